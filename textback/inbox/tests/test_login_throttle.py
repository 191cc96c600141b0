"""The login page under repeated failures: spellings, addresses, proxies and what the user is told."""

import logging
from datetime import timedelta

import pytest
from django.contrib.auth.signals import user_login_failed
from django.test import Client
from django.utils import timezone

from textback.accounts import throttle
from textback.lib.client_ip import parse_networks

pytestmark = pytest.mark.django_db

ALICE = ("alice@alpha.example", "pw-alice-123")
FULLWIDTH_ALICE = "ａｌｉｃｅ@alpha.example"


def log_in(client, username: str, password: str, **extra):
    return client.post("/login", {"username": username, "password": password}, **extra)


def is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def fail(client, times: int, username: str = ALICE[0], **extra) -> None:
    for _ in range(times):
        assert log_in(client, username, "wrong", **extra).status_code == 200


@pytest.fixture
def checked():
    """Usernames whose password Django actually checked and found wrong."""
    seen = []

    def receiver(sender, credentials, **kwargs):
        seen.append(credentials["username"])

    user_login_failed.connect(receiver)
    yield seen
    user_login_failed.disconnect(receiver)


def test_the_fullwidth_spelling_logs_in_as_alice(client, alice):
    """The reason the count must be keyed on the normalised name: Django treats both as alice."""
    assert log_in(client, FULLWIDTH_ALICE, ALICE[1]).status_code == 302
    assert is_logged_in(client)


def test_failures_under_the_fullwidth_spelling_lock_out_the_plain_one(client, alice):
    fail(client, 10, FULLWIDTH_ALICE)

    response = log_in(client, *ALICE)

    assert response.status_code == 429
    assert not is_logged_in(client)


def test_failures_under_the_plain_spelling_lock_out_the_fullwidth_one(client, alice):
    fail(client, 10)

    assert log_in(client, FULLWIDTH_ALICE, ALICE[1]).status_code == 429
    assert not is_logged_in(client)


def test_the_lockout_page_says_plainly_for_how_long(client, alice):
    fail(client, 10)

    response = log_in(client, *ALICE)

    assert response.status_code == 429
    content = response.content.decode()
    assert "Too many failed attempts. Logging in as this user is locked for 15 minutes" in content
    assert 900 - 5 <= int(response["Retry-After"]) <= 900
    assert 'name="username"' in content and 'value="alice@alpha.example"' in content


def test_a_locked_out_attempt_is_not_checked_at_all(client, alice, checked):
    """Not even to show "wrong password": a different page for a right one would tell the password."""
    fail(client, 10)
    checked.clear()

    wrong = log_in(client, ALICE[0], "wrong")
    right = log_in(client, *ALICE)

    assert checked == []
    assert wrong.status_code == right.status_code == 429
    assert "do not match an account" not in wrong.content.decode()


def test_the_right_password_works_again_when_the_window_ends(client, alice, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    fail(client, 10)
    time_machine.shift(throttle.WINDOW - timedelta(minutes=1))
    locked = log_in(client, *ALICE)
    assert locked.status_code == 429 and "locked for 1 minute;" in locked.content.decode()

    time_machine.shift(timedelta(minutes=1))

    assert log_in(client, *ALICE).status_code == 302


def test_a_lockout_is_logged_without_the_password(client, alice, caplog):
    fail(client, 10)
    with caplog.at_level(logging.INFO):
        log_in(client, ALICE[0], "the-Secret-pw-987")

    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "login locked for account 'alice@alpha.example'" in logged and "127.0.0.1" in logged
    assert "the-Secret-pw-987" not in logged and "pw-alice-123" not in logged


def test_one_address_trying_many_accounts_is_refused_after_fifty_failures(client, alice, checked):
    for n in range(throttle.ADDRESS_LIMIT):
        assert log_in(client, f"guess{n}@alpha.example", "wrong").status_code == 200

    response = log_in(client, *ALICE)

    assert response.status_code == 429
    assert "Too many failed attempts from your network" in response.content.decode()
    assert len(checked) == throttle.ADDRESS_LIMIT
    assert log_in(Client(REMOTE_ADDR="203.0.113.9"), *ALICE).status_code == 302


def test_without_trusted_proxies_a_forged_forwarded_for_does_not_give_a_fresh_address(client, alice):
    for n in range(throttle.ADDRESS_LIMIT):
        log_in(client, f"guess{n}@alpha.example", "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")

    assert log_in(client, *ALICE, HTTP_X_FORWARDED_FOR="203.0.113.200").status_code == 429


def test_behind_a_trusted_proxy_each_client_has_its_own_address_count(client, alice, settings):
    settings.TRUSTED_PROXIES = parse_networks(["127.0.0.0/8"])
    for n in range(throttle.ADDRESS_LIMIT):
        log_in(client, f"guess{n}@alpha.example", "wrong", HTTP_X_FORWARDED_FOR="203.0.113.1")
    assert log_in(client, *ALICE, HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 429

    assert log_in(client, *ALICE, HTTP_X_FORWARDED_FOR="203.0.113.1, 203.0.113.2").status_code == 302


def test_a_whole_office_behind_one_address_can_log_in(django_user_model, alpha):
    from textback.accounts.models import Membership

    for n in range(throttle.ADDRESS_LIMIT + 10):
        user = django_user_model.objects.create_user(f"staff{n}@alpha.example", password="pw-staff-123")
        Membership.objects.create(user=user, business=alpha)
        assert log_in(Client(), user.username, "pw-staff-123").status_code == 302


@pytest.mark.parametrize("username", ["\x00alice", "a" * 100_000, "\ufffd", "alice\r\n@alpha.example"])
def test_odd_usernames_are_refused_as_wrong_not_failed(client, alice, username):
    response = log_in(client, username, "wrong")

    assert response.status_code == 200
    assert not is_logged_in(client)


def test_a_wrong_password_is_told_in_plain_words(client, alice):
    page = log_in(client, ALICE[0], "wrong").content.decode()

    assert "That email or username and password do not match an account here." in page
    assert not is_logged_in(client)


def test_a_username_that_is_not_text_is_refused_next_to_the_field(client, alice):
    page = log_in(client, "alice\x00@alpha.example", ALICE[1]).content.decode()

    assert "“Email or username” contains a NUL character; type it again without it." in page
    assert not is_logged_in(client)
