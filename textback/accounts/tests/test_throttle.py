"""Login throttling: keys that hold across spellings, windows, and counts that every process shares."""

import logging
from datetime import UTC, datetime, timedelta

import pytest

from textback.accounts import throttle
from textback.accounts.models import LoginThrottle

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
ADDRESS = "198.51.100.7"

pytestmark = pytest.mark.django_db


# --- keys ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    [
        "alice@alpha.example",
        "ａｌｉｃｅ@alpha.example",  # fullwidth letters: NFKC makes them ASCII, and Django logs them in
        "ａ" + "lice@alpha.example",
        "  alice@alpha.example\t",
        "ALICE@Alpha.Example",
        "ＡＬＩＣＥ＠ａｌｐｈａ．ｅｘａｍｐｌｅ",
    ],
)
def test_every_spelling_django_would_log_in_as_alice_has_alices_key(spelling):
    assert throttle.account_key(spelling) == throttle.account_key("alice@alpha.example")


def test_the_username_is_normalised_as_djangos_login_form_does_and_folded():
    assert throttle.normalise_username(" ﬁona@Straße.example ") == "fiona@strasse.example"


def test_different_accounts_have_different_keys():
    assert throttle.account_key("alice@alpha.example") != throttle.account_key("bob@alpha.example")


def test_the_key_does_not_hold_what_was_typed(settings):
    """People type their password into the username field; the row must not keep it readable."""
    key = throttle.account_key("hunter2-my-password")

    assert "hunter2" not in key and key.startswith("account:") and len(key) <= 100
    settings.SECRET_KEY = "another-secret-" + "y" * 40
    assert throttle.account_key("hunter2-my-password") != key


@pytest.mark.parametrize("raw", ["\x00", "a\ud800b", "x" * 100_000, ""])
def test_any_text_has_a_key_of_bounded_length(raw):
    assert len(throttle.account_key(raw)) == len(throttle.account_key("alice@alpha.example"))


def test_an_ipv6_client_is_counted_by_its_slash_64():
    assert throttle.address_key("2001:db8:1:2::7") == throttle.address_key("2001:db8:1:2:ffff::1")
    assert throttle.address_key(ADDRESS) == f"address:{ADDRESS}"


@pytest.mark.parametrize(
    "left, said",
    [
        (timedelta(minutes=15), "15 minutes"),
        (timedelta(minutes=14, seconds=1), "15 minutes"),
        (timedelta(seconds=61), "2 minutes"),
        (timedelta(seconds=60), "1 minute"),
        (timedelta(seconds=1), "1 minute"),
        (timedelta(0), "1 minute"),
    ],
)
def test_the_wait_is_rounded_up_to_whole_minutes(left, said):
    assert throttle.describe_wait(left) == said


# --- windows ---------------------------------------------------------------------------------


def reserve(username: str = "alice@alpha.example", address: str = ADDRESS, now: datetime = T0):
    return throttle.do_reserve(username, address, now)


def fail(times: int, username: str = "alice@alpha.example", address: str = ADDRESS, now: datetime = T0) -> None:
    for _ in range(times):
        assert not reserve(username, address, now).refused


def test_ten_attempts_are_checked_and_the_eleventh_is_refused_until_the_window_ends():
    fail(10)

    attempt = reserve(now=T0 + timedelta(minutes=3))

    assert (attempt.refused, attempt.until) == (throttle.ACCOUNT, T0 + throttle.WINDOW)
    assert attempt.seconds_left(T0 + timedelta(minutes=3)) == 12 * 60


def test_the_window_is_fixed_from_the_first_attempt_and_refusals_do_not_extend_it():
    fail(10)
    for minute in range(1, 15):
        assert reserve(now=T0 + timedelta(minutes=minute)).until == T0 + throttle.WINDOW

    assert not reserve(now=T0 + throttle.WINDOW).refused


def test_when_the_window_ends_the_count_starts_again(time_machine):
    time_machine.move_to(T0, tick=False)
    fail(10, now=None)
    assert reserve(now=None).refused

    time_machine.shift(throttle.WINDOW - timedelta(seconds=1))
    assert reserve(now=None).refused
    time_machine.shift(timedelta(seconds=1))
    fail(10, now=None)
    assert reserve(now=None).refused == throttle.ACCOUNT


def test_a_fullwidth_spelling_shares_the_accounts_count():
    fail(5, "alice@alpha.example")
    fail(5, "ａｌｉｃｅ@alpha.example")

    assert reserve("ALICE@ALPHA.EXAMPLE").refused == throttle.ACCOUNT


def test_the_count_is_shared_by_every_address():
    for n in range(10):
        assert not reserve(address=f"203.0.113.{n}").refused

    assert reserve(address="192.0.2.99").refused == throttle.ACCOUNT


def test_a_success_clears_the_accounts_count():
    fail(9)
    throttle.do_succeed(reserve())

    fail(10)
    assert reserve().refused


def test_one_accounts_lockout_does_not_touch_another():
    fail(10)

    assert reserve().refused
    assert not reserve("bob@alpha.example").refused


def test_one_address_may_fail_fifty_times_over_many_accounts_and_is_then_refused():
    for n in range(throttle.ADDRESS_LIMIT):
        assert not reserve(f"user{n}@alpha.example").refused

    attempt = reserve("alice@alpha.example")

    assert (attempt.refused, attempt.until) == (throttle.ADDRESS, T0 + throttle.WINDOW)
    assert not reserve("alice@alpha.example", address="203.0.113.1").refused


def test_an_attempt_refused_for_its_address_is_not_charged_to_the_account():
    for n in range(throttle.ADDRESS_LIMIT):
        reserve(f"user{n}@alpha.example")
    for _ in range(20):
        assert reserve("alice@alpha.example").refused == throttle.ADDRESS

    fail(10, address="203.0.113.1")


def test_successful_logins_give_the_address_its_places_back():
    """A whole office behind one address logs in every morning."""
    for n in range(3 * throttle.ADDRESS_LIMIT):
        attempt = reserve(f"staff{n}@alpha.example")
        assert not attempt.refused
        throttle.do_succeed(attempt)


def test_a_lockout_is_logged_once_with_the_account_and_address(caplog):
    fail(10)
    with caplog.at_level(logging.WARNING, logger="textback.login"):
        for _ in range(5):
            reserve(" ALICE@alpha.example ")

    [record] = caplog.records
    assert "login locked for account 'alice@alpha.example'" in record.getMessage()
    assert ADDRESS in record.getMessage() and "2026-03-02T15:15:00" in record.getMessage()


def test_an_address_lockout_is_logged_once(caplog):
    with caplog.at_level(logging.WARNING, logger="textback.login"):
        for n in range(throttle.ADDRESS_LIMIT + 5):
            reserve(f"user{n}@alpha.example", address="2001:db8:1:2::7")

    [record] = caplog.records
    assert "login locked for address 2001:db8:1:2::/64" in record.getMessage()


# --- old rows --------------------------------------------------------------------------------


def test_rows_whose_window_has_ended_are_deleted_when_a_new_window_starts(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(5):
            reserve(f"someone{n}@example.com")
    assert LoginThrottle.objects.count() == 6  # five accounts and the address

    with django_capture_on_commit_callbacks(execute=True):
        reserve("alice@alpha.example", now=T0 + throttle.WINDOW + timedelta(seconds=1))

    assert set(LoginThrottle.objects.values_list("key", flat=True)) == {
        throttle.account_key("alice@alpha.example"),
        throttle.address_key(ADDRESS),
    }


def test_a_sweep_keeps_rows_still_in_their_window():
    reserve()
    assert throttle.do_sweep(T0 + throttle.WINDOW - timedelta(seconds=1)) == 0
    assert throttle.do_sweep(T0 + throttle.WINDOW + timedelta(seconds=1)) == 2
