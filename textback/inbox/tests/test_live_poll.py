"""The inbox poll's shortcut (inbox/live.py): an unchanged list gets its 304 before Django, and anything
else (a change, another session, a signed-out or removed person, a forged or foreign token) goes on to
Django, which checks everything. Each test calls the real WSGI wrapper around a stand-in for Django that
records whether it was reached."""

import pytest
from django.contrib.sessions.models import Session
from django.db import transaction

from textback.accounts.models import Membership
from textback.inbox import live
from textback.messaging import conversations as convo
from textback.testing import a_staff_reply, an_inbound_text


class Django:
    """Stands in for the Django application behind the wrapper: answers 200 and counts its calls."""

    def __init__(self):
        self.calls = 0

    def __call__(self, environ, start_response):
        self.calls += 1
        start_response("200 OK", [("Content-Type", "text/html")])
        return [b"the fresh list"]


def poll(client, etag: str, path: str = "/b/alpha/live", cookie: str | None = None) -> tuple[str, int]:
    """One poll through the wrapper, with the test client's session cookie; (status, Django's calls)."""
    django = Django()
    session = client.cookies["sessionid"].value
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path.split("?")[0],
        "QUERY_STRING": path.split("?")[1] if "?" in path else "",
        "HTTP_IF_NONE_MATCH": etag,
        "HTTP_COOKIE": cookie if cookie is not None else f"csrftoken=x; sessionid={session}",
    }
    answered = []
    live.answer_unchanged_polls(django)(environ, lambda status, headers: answered.append(status))
    return answered[0], django.calls


def etag_of(client, path: str = "/b/alpha/live") -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response["ETag"]


@pytest.fixture
def conversation(alpha_line):
    return an_inbound_text(alpha_line, "Is anyone there?").conversation


def test_an_unchanged_list_is_answered_304_without_reaching_django(as_alice, conversation):
    etag = etag_of(as_alice)

    assert poll(as_alice, etag) == ("304 Not Modified", 0)


def test_the_shortcut_and_django_agree_on_the_etag(as_alice, conversation):
    etag = etag_of(as_alice)

    assert as_alice.get("/b/alpha/live", HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert poll(as_alice, etag)[0] == "304 Not Modified"


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda c, alice, mary: an_inbound_text(c.line, "More water now"), id="a new text"),
        pytest.param(lambda c, alice, mary: a_staff_reply(c, mary), id="a colleague's reply"),
        pytest.param(lambda c, alice, mary: convo.do_assign(c, mary, alice), id="an assignment"),
        pytest.param(lambda c, alice, mary: convo.do_close(c, mary), id="closing"),
        pytest.param(lambda c, alice, mary: convo.do_mark_read(c, alice), id="reading it elsewhere"),
    ],
)
def test_a_changed_list_goes_on_to_django(as_alice, alice, mary, conversation, change):
    etag = etag_of(as_alice)

    with transaction.atomic():
        change(conversation, alice, mary)

    assert poll(as_alice, etag) == ("200 OK", 1)


def test_a_token_made_for_another_session_goes_on_to_django(client, as_alice, alice, conversation):
    etag = etag_of(as_alice)
    other = type(client)()
    other.force_login(alice)  # the same person, another browser

    assert poll(other, etag) == ("200 OK", 1)


def test_a_poll_without_the_session_cookie_goes_on_to_django(as_alice, conversation):
    etag = etag_of(as_alice)

    assert poll(as_alice, etag, cookie="csrftoken=x") == ("200 OK", 1)


def test_a_signed_out_session_goes_on_to_django(as_alice, conversation):
    etag = etag_of(as_alice)
    Session.objects.filter(session_key=as_alice.cookies["sessionid"].value).delete()

    assert poll(as_alice, etag) == ("200 OK", 1)


def test_an_expired_session_goes_on_to_django(as_alice, conversation, time_machine):
    etag = etag_of(as_alice)
    session = Session.objects.get(session_key=as_alice.cookies["sessionid"].value)
    time_machine.move_to(session.expire_date)

    assert poll(as_alice, etag) == ("200 OK", 1)


def test_a_new_password_goes_on_to_django(as_alice, alice, conversation):
    etag = etag_of(as_alice)
    alice.set_password("a-brand-new-passphrase")
    alice.save()

    assert poll(as_alice, etag) == ("200 OK", 1)


def test_a_person_removed_from_the_business_goes_on_to_django(as_alice, alice, conversation):
    etag = etag_of(as_alice)
    Membership.objects.filter(user=alice).delete()

    assert poll(as_alice, etag) == ("200 OK", 1)


def test_a_new_role_or_new_lines_go_on_to_django(as_bob, bob, alpha_sandbox_line, conversation):
    etag = etag_of(as_bob)
    membership = Membership.objects.get(user=bob)
    membership.lines.set([alpha_sandbox_line])
    assert poll(as_bob, etag) == ("200 OK", 1)

    etag = etag_of(as_bob)
    Membership.objects.filter(pk=membership.pk).update(role=Membership.MANAGER)
    assert poll(as_bob, etag) == ("200 OK", 1)


def test_a_token_is_good_only_for_the_list_it_was_made_for(as_alice, conversation):
    etag = etag_of(as_alice)

    assert poll(as_alice, etag, path="/b/alpha/live?show=all") == ("200 OK", 1)
    assert poll(as_alice, etag, path="/b/beta/live") == ("200 OK", 1)


def test_a_forged_token_goes_on_to_django(as_alice, alice, charlie, conversation):
    etag = etag_of(as_alice)
    membership, mac = etag.strip('"').split(".")[1:]
    someone_else = Membership.objects.get(user=charlie).pk

    for forged in (
        f'"L1.{someone_else}.{mac}"',  # another person's membership with this session's MAC
        f'"L1.{membership}.{"0" * 32}"',
        '"L1.1.nothex"',
        "*",
        '"L1.99999999999999999999.' + "0" * 32 + '"',
    ):
        assert poll(as_alice, forged) == ("200 OK", 1), forged


def test_only_an_inbox_poll_takes_the_shortcut(as_alice, alpha_line, conversation):
    etag = etag_of(as_alice)

    assert poll(as_alice, etag, path=f"/b/alpha/conversations/{conversation.pk}/live") == ("200 OK", 1)


def test_the_shortcuts_304_keeps_the_etag_and_is_never_cached(as_alice, conversation):
    etag = etag_of(as_alice)
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/b/alpha/live",
        "HTTP_IF_NONE_MATCH": etag,
        "HTTP_COOKIE": f"sessionid={as_alice.cookies['sessionid'].value}",
    }
    answered = []

    body = live.answer_unchanged_polls(Django())(environ, lambda status, headers: answered.append(dict(headers)))

    assert body == [] and answered[0]["ETag"] == etag and answered[0]["Cache-Control"] == "no-store"


# --- reading ahead (textback serve): many tabs' rows in one statement, read just before their polls ----


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class Database:
    """Stands in for the facts query: counts its statements and the keys each asked for."""

    def __init__(self):
        self.statements: list[list] = []
        self.version = 1

    def __call__(self, keys):
        self.statements.append(list(keys))
        return {key: (1, self.version) for key in keys}


@pytest.fixture
def ahead():
    clock, database = Clock(), Database()
    watch = live.Watch(read_ahead=True, fetch=database, clock=clock)
    watch._start = lambda: None  # the test turns the crank (watch.tick) itself
    return watch, clock, database


def polls_every_two_seconds(watch, clock, keys, rounds):
    for _ in range(rounds):
        for key in keys:
            watch.row(key)
        for _ in range(20):  # two seconds of ticks
            clock.now += 0.1
            watch.tick()


def test_a_tabs_first_poll_reads_its_own_row(ahead):
    watch, clock, database = ahead

    assert watch.row((7, "s1")) == (1, 1)
    assert database.statements == [[(7, "s1")]]


def test_rows_are_read_ahead_of_the_polls_many_tabs_in_one_statement(ahead):
    watch, clock, database = ahead
    tabs = [(n, f"s{n}") for n in range(100)]
    polls_every_two_seconds(watch, clock, tabs, rounds=2)
    database.statements.clear()

    polls_every_two_seconds(watch, clock, tabs, rounds=5)

    assert sum(len(keys) for keys in database.statements) == 500  # each tab's row once a poll
    assert len(database.statements) == 5  # ... in one statement a round, not 100


def test_a_change_reaches_the_next_poll_after_the_row_is_read(ahead):
    watch, clock, database = ahead
    polls_every_two_seconds(watch, clock, [(7, "s1")], rounds=3)

    database.version = 2  # a caller writes
    polls_every_two_seconds(watch, clock, [], rounds=1)  # ... and the row is read ahead before the poll

    assert watch.row((7, "s1")) == (1, 2)


def test_a_row_older_than_fresh_is_never_used(ahead):
    watch, clock, database = ahead
    watch.row((7, "s1"))
    database.version = 2
    clock.now += live.Watch.FRESH + 0.01  # no tick ran (a stalled thread, or a poll that came early)

    assert watch.row((7, "s1")) == (1, 2)
    assert len(database.statements) == 2


def test_a_tab_unheard_of_for_a_while_is_forgotten(ahead):
    watch, clock, database = ahead
    watch.row((7, "s1"))

    clock.now += live.Watch.FORGET + 1
    watch.tick()

    assert watch.tabs == {}


def test_without_read_ahead_every_poll_reads_its_own_row():
    database = Database()
    watch = live.Watch(read_ahead=False, fetch=database)

    watch.row((7, "s1"))
    watch.row((7, "s1"))

    assert len(database.statements) == 2 and watch.tabs == {}


def test_with_one_tab_open_the_reader_sleeps_until_just_before_its_poll(ahead):
    watch, clock, database = ahead
    watch.row((7, "s1"))
    clock.now += 1.5
    watch.row((7, "s1"))  # a second poll: the tab's pace is known
    assert watch.woken.is_set()  # sooner than the reader meant to wake: it is told

    watch.tick()

    assert watch.next_tick == pytest.approx(clock.now + 1.5 - live.Watch.AHEAD)
    clock.now = watch.next_tick
    assert watch.tick() == 1  # its row, read just before the poll
    assert watch.next_tick == pytest.approx(clock.now + live.Watch.FORGET - 1.5 + live.Watch.AHEAD)


def test_with_no_tab_open_the_reader_does_not_wake(ahead):
    watch, clock, database = ahead
    watch.row((7, "s1"))
    clock.now += live.Watch.FORGET + 1

    watch.tick()

    assert watch.tabs == {} and watch.next_tick == float("inf")


def test_with_many_tabs_the_reader_wakes_at_most_every_tick(ahead):
    watch, clock, database = ahead
    tabs = [(n, f"s{n}") for n in range(100)]
    for key in tabs:  # polls spread over the interval, as tabs opened at different times
        clock.now += 1.5 / 100
        watch.row(key)

    watch.tick()

    assert watch.next_tick == pytest.approx(clock.now + live.Watch.TICK)
