"""The inbox list: what staff see, in which order, how they narrow it down, and how it stays fresh."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from textback.accounts.models import Membership
from textback.inbox import search
from textback.messaging import conversations as convo
from textback.messaging.models import Contact, Conversation
from textback.testing import CALLER, a_staff_reply, an_inbound_text

pytestmark = pytest.mark.django_db


def caller(n: int) -> str:
    """The n-th caller: clear of the business's own numbers (its line +15125550100, the cell it rings …0199)."""
    return f"+1512555{2000 + n:04d}"


def texts(line, count: int, body: str = "Can you come today?") -> list[Conversation]:
    """`count` callers who each texted the line once, the last one newest."""
    return [an_inbound_text(line, f"{body} #{n}", caller=caller(n)).conversation for n in range(count)]


def listed(response) -> list[int]:
    """The conversation ids of the rows, top to bottom."""
    assert response.status_code == 200, response.content[:500]
    return [int(pk) for pk in re.findall(r'<li class="convo[^"]*" data-id="(\d+)"', response.content.decode())]


def row_of(response, conversation) -> str:
    content = response.content.decode()
    start = content.index(f'data-id="{conversation.pk}"')
    return content[start : content.index("</li>", start)]


def newest_first(*conversations):
    return [c.pk for c in reversed(conversations)]


# --- which conversations, in which order ---------------------------------------------------------


def test_the_inbox_lists_open_conversations_with_the_latest_activity_first(as_alice, alpha_line):
    first, second, third = texts(alpha_line, 3)
    an_inbound_text(alpha_line, "Still there?", caller=caller(0))  # the first caller writes again

    assert listed(as_alice.get("/b/alpha/")) == [first.pk, third.pk, second.pk]


def test_closed_conversations_leave_the_open_list_and_stay_under_all(as_alice, alice, alpha_line):
    first, second = texts(alpha_line, 2)
    convo.do_close(first, alice)

    assert listed(as_alice.get("/b/alpha/")) == [second.pk]
    assert listed(as_alice.get("/b/alpha/?show=all")) == [second.pk, first.pk]
    assert "Closed" in row_of(as_alice.get("/b/alpha/?show=all"), first)


def test_unassigned_lists_the_open_conversations_nobody_has(as_alice, alice, mary, alpha_line):
    first, second, third = texts(alpha_line, 3)
    convo.do_assign(first, alice, mary)
    convo.do_close(third, alice)

    assert listed(as_alice.get("/b/alpha/?show=unassigned")) == [second.pk]


def test_mine_lists_the_viewers_open_conversations(as_alice, alice, mary, alpha_line):
    first, second, third = texts(alpha_line, 3)
    convo.do_assign(first, alice, alice)
    convo.do_assign(second, alice, mary)
    convo.do_assign(third, alice, alice)
    convo.do_close(third, alice)

    assert listed(as_alice.get("/b/alpha/?show=mine")) == [first.pk]


def test_the_line_filter_lists_one_line(as_alice, alpha_line, alpha_sandbox_line):
    (twilio,) = texts(alpha_line, 1)
    sandbox = an_inbound_text(alpha_sandbox_line, "hello", caller=caller(9)).conversation

    assert listed(as_alice.get("/b/alpha/", {"line": alpha_sandbox_line.pk})) == [sandbox.pk]
    assert listed(as_alice.get("/b/alpha/", {"line": alpha_line.pk})) == [twilio.pk]


def test_another_business_line_in_the_filter_is_refused_with_a_message(as_alice, alpha_line, beta_line):
    (ours,) = texts(alpha_line, 1)
    an_inbound_text(beta_line, "beta's caller", caller="+12145550147")

    response = as_alice.get("/b/alpha/", {"line": beta_line.pk})

    assert listed(response) == [ours.pk]
    assert "That line is not one of yours" in response.content.decode()


@pytest.mark.parametrize(
    "params, message",
    [
        ({"before": "yesterday"}, "That page link is broken"),
        ({"show": "everything"}, "That is not one of the lists"),
        ({"line": "x"}, "That line is not one of yours"),
        ({"q": "a" * 101}, "Search for at most 100 characters"),
    ],
)
def test_bad_filter_values_are_explained_and_the_list_still_shows(as_alice, alpha_line, params, message):
    (ours,) = texts(alpha_line, 1)

    response = as_alice.get("/b/alpha/", params)

    assert listed(response) == [ours.pk]
    assert message in response.content.decode()


# --- search --------------------------------------------------------------------------------------


def test_search_finds_a_contact_by_name(as_alice, alpha, alpha_line):
    Contact.objects.create(business=alpha, number=caller(1), name="Jane Rodriguez")
    jane, other = (an_inbound_text(alpha_line, "hi", caller=caller(n)).conversation for n in (1, 2))

    assert listed(as_alice.get("/b/alpha/", {"q": "rodri"})) == [jane.pk]


@pytest.mark.parametrize("typed", ["512 555 0147", "(512) 555-0147", "+1 512-555-0147", "5125550147", "555.0147"])
def test_search_finds_a_number_however_it_is_typed(as_alice, alpha_line, typed):
    wanted = an_inbound_text(alpha_line, "hi", caller=CALLER).conversation
    an_inbound_text(alpha_line, "hi", caller="+15125550148")

    assert listed(as_alice.get("/b/alpha/", {"q": typed})) == [wanted.pk]


def test_search_finds_words_in_any_message_of_the_conversation(as_alice, alice, alpha_line):
    first, second = texts(alpha_line, 2, body="Hello")
    an_inbound_text(alpha_line, "The water HEATER is leaking", caller=caller(0))
    a_staff_reply(Conversation.objects.get(pk=first.pk), alice, "On our way")

    assert listed(as_alice.get("/b/alpha/", {"q": "water heater"})) == [first.pk]
    assert listed(as_alice.get("/b/alpha/", {"q": "heater", "show": "all"})) == [first.pk]
    assert listed(as_alice.get("/b/alpha/", {"q": "ATER hea"})) == [first.pk]  # any part, any case


def test_a_search_of_one_or_two_characters_finds_names_only_and_says_so(as_alice, alpha, alpha_line):
    Contact.objects.create(business=alpha, number=caller(1), name="Al Baker")
    al = an_inbound_text(alpha_line, "hi", caller=caller(1)).conversation
    an_inbound_text(alpha_line, "Call me back", caller=caller(2))  # "al" in a text only

    short = as_alice.get("/b/alpha/", {"q": "al"})
    longer = as_alice.get("/b/alpha/", {"q": "all"})

    assert listed(short) == [al.pk]
    assert "type at least 3 characters to search the texts too" in short.content.decode()
    assert len(listed(longer)) == 1 and "at least 3 characters" not in longer.content.decode()


def test_a_search_that_finds_nothing_says_so(as_alice, alpha_line):
    texts(alpha_line, 2)

    response = as_alice.get("/b/alpha/", {"q": "boiler"})

    assert listed(response) == []
    assert "No conversation matches “boiler”" in response.content.decode()


def test_search_wildcards_are_taken_literally(as_alice, alpha_line):
    texts(alpha_line, 2)
    sure = an_inbound_text(alpha_line, "I am 100% sure", caller=caller(5)).conversation
    an_inbound_text(alpha_line, "I called 1000 times", caller=caller(6))
    tagged = an_inbound_text(alpha_line, "Job ref tag_12", caller=caller(7)).conversation
    an_inbound_text(alpha_line, "Job ref tagX12", caller=caller(8))

    assert listed(as_alice.get("/b/alpha/", {"q": "%"})) == []
    assert listed(as_alice.get("/b/alpha/", {"q": "_"})) == []
    assert listed(as_alice.get("/b/alpha/", {"q": "100%"})) == [sure.pk]
    assert listed(as_alice.get("/b/alpha/", {"q": "tag_12"})) == [tagged.pk]


@pytest.fixture(params=["few", "many"])
def matches(request, monkeypatch):
    """Both ways a search finds its conversations: few matches are looked up through the indexes and put
    in order; many are found by the list's own walk, newest first, testing each conversation."""
    monkeypatch.setattr(search, "FEW", 10_000 if request.param == "few" else 0)
    return request.param


def test_search_results_come_newest_first_a_page_at_a_time(as_alice, alice, alpha, alpha_line, matches):
    wanted = []
    for n in range(120):
        body = "The pipe is leaking" if n % 2 else "Can you come today?"
        conversation = an_inbound_text(alpha_line, body, caller=caller(n)).conversation
        if n % 2:
            wanted.append(conversation)
    Contact.objects.filter(number=caller(0)).update(name="Jo Leakey")  # a name matches, no text does
    wanted.insert(0, Conversation.objects.get(contact__number=caller(0)))
    a_staff_reply(wanted[3], alice, "On our way")  # newest activity, the match in an older text
    wanted.append(wanted.pop(3))

    pages = follow_pages(as_alice, "/b/alpha/?show=all&q=leak")

    assert [len(p) for p in pages] == [50, 11]
    assert [pk for page in pages for pk in page] == [c.pk for c in reversed(wanted)]


# --- keyset pages --------------------------------------------------------------------------------


def follow_pages(client, path: str) -> list[list[int]]:
    pages = []
    while path:
        response = client.get(path)
        pages.append(listed(response))
        older = re.search(r'<a href="\?([^"]+)" rel="next">', response.content.decode())
        path = f"/b/alpha/?{older[1].replace('&amp;', '&')}" if older else ""
        assert len(pages) < 10
    return pages


def test_pages_show_every_conversation_once_even_when_many_share_a_moment(as_alice, alpha_line):
    made = texts(alpha_line, 130)
    moment = timezone.now()
    # Three runs of rows with the very same last activity, one of them across the first page's end.
    for index, c in enumerate(made):
        Conversation.objects.filter(pk=c.pk).update(last_message_at=moment - timedelta(seconds=index // 40))

    pages = follow_pages(as_alice, "/b/alpha/")

    assert [len(p) for p in pages] == [50, 50, 30]
    everything = [pk for page in pages for pk in page]
    group = {c.pk: index // 40 for index, c in enumerate(made)}
    assert everything == sorted(group, key=lambda pk: (group[pk], -pk))
    assert len(set(everything)) == 130


def test_pages_keep_the_filter_and_search(as_alice, alpha_line):
    texts(alpha_line, 60, body="leak")

    pages = follow_pages(as_alice, "/b/alpha/?show=all&q=leak")

    assert [len(p) for p in pages] == [50, 10]


def test_the_last_page_has_no_older_link(as_alice, alpha_line):
    texts(alpha_line, 50)

    content = as_alice.get("/b/alpha/").content.decode()

    assert 'rel="next"' not in content


# --- what a row shows ----------------------------------------------------------------------------


def test_a_row_shows_caller_last_message_line_assignee_and_outcome(as_alice, alice, mary, alpha, alpha_line):
    alpha_line.label = "Austin office"
    alpha_line.save()
    Contact.objects.create(business=alpha, number=CALLER, name="Jane Rodriguez")
    conversation = an_inbound_text(alpha_line, "My basement\ndrain is slow").conversation
    convo.do_assign(conversation, alice, mary)
    convo.do_set_outcome(conversation, alice, Conversation.BOOKED, value="350")

    row = row_of(as_alice.get("/b/alpha/"), conversation)

    assert "Jane Rodriguez" in row and "My basement drain is slow" in row
    assert "Austin office" in row and "mary@alpha.example" in row and "Booked" in row


def test_a_row_without_a_name_shows_the_number_as_people_read_it(as_alice, alpha_line):
    conversation = an_inbound_text(alpha_line, "hi").conversation

    assert "(512) 555-0147" in row_of(as_alice.get("/b/alpha/"), conversation)


def test_a_row_says_when_the_last_message_was_ours(as_alice, alice, alpha_line):
    conversation = an_inbound_text(alpha_line, "hi").conversation
    a_staff_reply(conversation, alice, "We will call you in five minutes")

    row = row_of(as_alice.get("/b/alpha/"), conversation)

    assert "Sent:" in row and "We will call you in five minutes" in row


def test_a_long_last_message_is_trimmed(as_alice, alpha_line):
    conversation = an_inbound_text(alpha_line, "word " * 300).conversation

    row = row_of(as_alice.get("/b/alpha/"), conversation)

    assert 20 < row.count("word") <= 32  # 160 characters


def test_markup_in_a_name_or_a_message_is_escaped_in_the_list_and_the_live_fragment(as_alice, alpha, alpha_line):
    script = "<script>alert(1)</script>"
    Contact.objects.create(business=alpha, number=CALLER, name=script)
    an_inbound_text(alpha_line, f"hi {script}")

    for path in ("/b/alpha/", "/b/alpha/live"):
        content = as_alice.get(path).content.decode()
        assert script not in content
        assert content.count(escape(script)) == 2, path


# --- unread ----------------------------------------------------------------------------------------


def test_a_conversation_is_unread_until_the_viewer_reads_it_and_again_when_the_caller_writes(
    as_alice, alice, alpha_line
):
    conversation = an_inbound_text(alpha_line, "hi").conversation
    assert 'class="badge">New' in row_of(as_alice.get("/b/alpha/"), conversation)

    convo.do_mark_read(conversation, alice)
    row = row_of(as_alice.get("/b/alpha/"), conversation)
    assert "badge" not in row and "unread" not in row

    an_inbound_text(alpha_line, "hello?")
    assert 'class="badge">New' in row_of(as_alice.get("/b/alpha/"), conversation)


def test_one_persons_read_mark_does_not_read_it_for_another(client, alice, mary, alpha_line):
    conversation = an_inbound_text(alpha_line, "hi").conversation
    convo.do_mark_read(conversation, alice)
    client.force_login(mary)

    assert 'class="badge">New' in row_of(client.get("/b/alpha/"), conversation)


def test_the_tab_title_counts_the_unread_conversations(as_alice, alice, alpha_line):
    first, second, third = texts(alpha_line, 3)
    convo.do_mark_read(second, alice)

    content = as_alice.get("/b/alpha/").content.decode()

    assert "<title>(2) Inbox · AlphaPlumbing</title>" in content
    assert 'data-unread="2"' in content


# --- the SLA clock -------------------------------------------------------------------------------


def sla_of(client, conversation) -> str:
    found = re.search(
        r'<span class="sla (\w+)" data-since="(\d+)"[^>]*>([^<]*)<', row_of(client.get("/b/alpha/"), conversation)
    )
    return f"{found[1]} {found[3]}" if found else ""


def test_the_sla_clock_turns_amber_and_red_at_the_business_thresholds(as_alice, alpha, alpha_line):
    alpha.sla_amber_minutes, alpha.sla_red_minutes = 5, 15
    alpha.save()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        conversation = an_inbound_text(alpha_line, "hi").conversation
    for waited, shown in [
        (timedelta(0), "ok 0m"),
        (timedelta(minutes=5) - timedelta(seconds=1), "ok 4m"),
        (timedelta(minutes=5), "amber 5m"),
        (timedelta(minutes=15) - timedelta(seconds=1), "amber 14m"),
        (timedelta(minutes=15), "red 15m"),
        (timedelta(hours=2, minutes=5), "red 2h 05m"),
    ]:
        with time_machine.travel(start + waited, tick=False):
            assert sla_of(as_alice, conversation) == shown, waited


def test_the_sla_clock_starts_at_the_callers_oldest_unanswered_message(as_alice, alpha_line):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        conversation = an_inbound_text(alpha_line, "hi").conversation
    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        an_inbound_text(alpha_line, "hello??")
    with time_machine.travel(start + timedelta(minutes=11), tick=False):
        assert sla_of(as_alice, conversation) == "amber 11m"


def test_other_businesses_thresholds_do_not_apply(as_alice, alpha, alpha_line):
    alpha.sla_amber_minutes, alpha.sla_red_minutes = 1, 2
    alpha.save()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        conversation = an_inbound_text(alpha_line, "hi").conversation
    with time_machine.travel(start + timedelta(minutes=3), tick=False):
        assert sla_of(as_alice, conversation) == "red 3m"


def test_no_clock_runs_once_a_person_answered_or_the_conversation_is_closed(as_alice, alice, alpha_line):
    answered, closed = texts(alpha_line, 2)
    a_staff_reply(answered, alice)
    convo.do_close(closed, alice)

    assert sla_of(as_alice, answered) == ""
    assert 'class="sla' not in row_of(as_alice.get("/b/alpha/?show=all"), closed)


def test_the_clock_carries_the_moment_it_started_for_the_browser_to_tick(as_alice, alpha_line):
    conversation = an_inbound_text(alpha_line, "hi").conversation
    conversation.refresh_from_db()
    since = int(conversation.awaiting_since.timestamp() * 1000)

    row = row_of(as_alice.get("/b/alpha/"), conversation)

    assert f'data-since="{since}"' in row


# --- agents see the lines they serve, and what is assigned to them -------------------------------


def test_an_agent_sees_only_their_lines_and_what_is_assigned_to_them(
    as_bob, alice, bob, alpha_line, alpha_sandbox_line
):
    Membership.objects.get(user=bob).lines.set([alpha_sandbox_line])
    mine_by_line = an_inbound_text(alpha_sandbox_line, "sandbox", caller=caller(1)).conversation
    other_line, assigned = (an_inbound_text(alpha_line, "twilio", caller=caller(n)).conversation for n in (2, 3))
    convo.do_assign(assigned, alice, bob)

    response = as_bob.get("/b/alpha/")

    assert listed(response) == [assigned.pk, mine_by_line.pk]
    assert other_line.pk not in listed(as_bob.get("/b/alpha/", {"q": "twilio", "show": "all"}))
    assert other_line.pk not in listed(as_bob.get("/b/alpha/live"))


def test_an_agent_cannot_filter_by_a_line_they_do_not_serve(as_bob, bob, alpha_line, alpha_sandbox_line):
    Membership.objects.get(user=bob).lines.set([alpha_sandbox_line])
    an_inbound_text(alpha_line, "twilio")

    response = as_bob.get("/b/alpha/", {"line": alpha_line.pk})

    assert listed(response) == []
    assert "That line is not one of yours" in response.content.decode()


def test_an_agent_with_no_lines_listed_sees_every_line(as_bob, alpha_line, alpha_sandbox_line):
    a = an_inbound_text(alpha_line, "twilio", caller=caller(1)).conversation
    b = an_inbound_text(alpha_sandbox_line, "sandbox", caller=caller(2)).conversation

    assert listed(as_bob.get("/b/alpha/")) == [b.pk, a.pk]


# --- browser notifications -----------------------------------------------------------------------


def test_rows_the_viewer_is_alerted_about_are_marked_for_a_browser_notification(as_bob, alice, mary, bob, alpha_line):
    theirs, nobodys, bobs = texts(alpha_line, 3)
    convo.do_assign(theirs, alice, mary)
    convo.do_assign(bobs, alice, bob)

    response = as_bob.get("/b/alpha/")

    assert 'data-alert="1"' not in row_of(response, theirs)
    assert 'data-alert="1"' in row_of(response, nobodys)
    assert 'data-alert="1"' in row_of(response, bobs)


def test_no_browser_notification_when_the_person_switched_them_off(as_bob, bob, alpha_line):
    Membership.objects.filter(user=bob).update(alert_browser=False)
    (conversation,) = texts(alpha_line, 1)

    response = as_bob.get("/b/alpha/")

    assert 'data-alert="1"' not in row_of(response, conversation)
    assert "Turn on desktop alerts" not in response.content.decode()


def test_the_alerts_button_is_offered_not_forced(as_bob, alpha_line):
    content = as_bob.get("/b/alpha/").content.decode()

    assert 'id="alerts-button" hidden>Turn on desktop alerts' in content  # inbox.js shows it; nothing asks on load


# --- live updates --------------------------------------------------------------------------------


def poll(client, etag: str | None = None, path: str = "/b/alpha/live"):
    return client.get(path, HTTP_IF_NONE_MATCH=etag) if etag else client.get(path)


def test_the_live_endpoint_answers_304_while_nothing_changed(as_alice, alpha_line):
    texts(alpha_line, 2)
    first = poll(as_alice)
    assert first.status_code == 200 and first["ETag"]

    again = poll(as_alice, first["ETag"])

    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == first["ETag"]


def test_the_page_hands_the_poller_its_etag_so_the_first_poll_is_304(as_alice, alpha_line):
    texts(alpha_line, 2)
    content = as_alice.get("/b/alpha/").content.decode()
    etag = re.search(r'data-etag="([^"]+)"', content)[1].replace("&quot;", '"')

    assert poll(as_alice, etag).status_code == 304


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda c, alice, mary, line: an_inbound_text(line, "another text"), id="a new inbound text"),
        pytest.param(lambda c, alice, mary, line: an_inbound_text(line, "new", caller=caller(7)), id="a new caller"),
        pytest.param(lambda c, alice, mary, line: convo.do_assign(c, alice, mary), id="an assignment"),
        pytest.param(lambda c, alice, mary, line: convo.do_close(c, alice), id="closing"),
        pytest.param(lambda c, alice, mary, line: convo.do_mark_read(c, alice), id="a read mark"),
        pytest.param(lambda c, alice, mary, line: a_staff_reply(c, mary), id="a colleague's reply"),
        pytest.param(lambda c, alice, mary, line: convo.do_set_outcome(c, mary, Conversation.SPAM), id="an outcome"),
    ],
)
def test_the_live_endpoint_answers_200_with_the_fresh_list_after_a_change(as_alice, alice, mary, alpha_line, change):
    conversation = an_inbound_text(alpha_line, "hi").conversation
    etag = poll(as_alice)["ETag"]

    with transaction.atomic():
        change(Conversation.objects.get(pk=conversation.pk), alice, mary, alpha_line)
    response = poll(as_alice, etag)

    assert response.status_code == 200
    assert response["ETag"] != etag
    assert poll(as_alice, response["ETag"]).status_code == 304


def test_a_new_conversation_rises_to_the_top_of_the_live_fragment_unread(as_alice, alice, alpha_line):
    first, second = texts(alpha_line, 2)
    convo.do_mark_read(first, alice)
    convo.do_mark_read(second, alice)
    etag = poll(as_alice)["ETag"]

    newest = an_inbound_text(alpha_line, "Burst pipe!", caller=caller(5)).conversation
    response = poll(as_alice, etag)

    assert listed(response) == [newest.pk, second.pk, first.pk]
    assert 'class="badge">New' in row_of(response, newest)
    assert 'data-unread="1"' in response.content.decode()


def test_the_live_fragment_is_the_list_alone_and_keeps_polling(as_alice, alpha_line):
    texts(alpha_line, 1)

    content = poll(as_alice).content.decode()

    assert content.lstrip().startswith('<div id="inbox-live"') and "<html" not in content
    assert 'hx-get="/b/alpha/live"' in content and 'hx-trigger="every 1.5s"' in content


def test_the_live_fragment_keeps_the_filter_and_search(as_alice, alice, alpha_line):
    first, second = texts(alpha_line, 2)
    convo.do_close(first, alice)

    response = poll(as_alice, path="/b/alpha/live?show=all&q=day%3F+%231")

    assert listed(response) == [second.pk]
    assert 'hx-get="/b/alpha/live?show=all&amp;q=day%3F+%231"' in response.content.decode()


def test_each_filter_has_its_own_etag(as_alice, alpha_line):
    texts(alpha_line, 1)

    assert poll(as_alice)["ETag"] != poll(as_alice, path="/b/alpha/live?show=all")["ETag"]


def test_an_older_page_does_not_poll(as_alice, alpha_line):
    texts(alpha_line, 51)
    older = re.search(r'<a href="\?([^"]+)" rel="next">', as_alice.get("/b/alpha/").content.decode())[1]

    content = as_alice.get(f"/b/alpha/?{older}").content.decode()

    assert "hx-get" not in content and 'href="?">Newest' in content


def test_a_poll_after_the_session_ended_sends_the_tab_to_the_login_page(client, alpha):
    response = client.get("/b/alpha/live")

    assert response.status_code == 401
    assert response["HX-Redirect"] == "/login?next=%2Fb%2Falpha%2F"


def test_the_poll_is_never_cached_by_the_browser(as_alice, alpha_line):
    assert poll(as_alice)["Cache-Control"] == "no-store"


# --- query counts (NetBox style): an N+1 fails here ----------------------------------------------

LIST_QUERIES = 9  # session, user, membership, the lines to filter by, the page, the viewer's lines, unread count,
# the change stamp, the business switcher
LIVE_304_QUERIES = 4  # session, user, membership, stamp
LIVE_200_QUERIES = 7  # … and the page, the viewer's lines, the unread count


@pytest.fixture
def fifty(alice, mary, alpha_line, alpha_sandbox_line):
    made = texts(alpha_line, 25) + [
        an_inbound_text(alpha_sandbox_line, "sandbox", caller=caller(100 + n)).conversation for n in range(25)
    ]
    for c in made[::3]:
        convo.do_assign(c, alice, mary)
    for c in made[::4]:
        a_staff_reply(c, alice)
    for c in made[::5]:
        convo.do_set_outcome(c, alice, Conversation.BOOKED, value="100")
    return made


def test_the_inbox_list_of_fifty_conversations_costs_a_fixed_number_of_queries(
    as_alice, fifty, django_assert_max_num_queries
):
    with django_assert_max_num_queries(LIST_QUERIES):
        response = as_alice.get("/b/alpha/")
    assert len(listed(response)) == 50


def test_an_agents_inbox_list_costs_a_fixed_number_of_queries(
    as_bob, bob, fifty, alpha_sandbox_line, django_assert_max_num_queries
):
    Membership.objects.get(user=bob).lines.set([alpha_sandbox_line])
    with django_assert_max_num_queries(LIST_QUERIES):  # the lines the agent serves are read once
        response = as_bob.get("/b/alpha/?show=all")
    assert len(listed(response)) == 25


def test_a_search_costs_one_query_more_than_the_list(as_alice, fifty, matches, django_assert_max_num_queries):
    with django_assert_max_num_queries(LIST_QUERIES + 1):  # the matches, through the indexes
        response = as_alice.get("/b/alpha/?q=sandbox")
    assert len(listed(response)) == 25


def test_the_live_endpoint_costs_a_fixed_number_of_queries(as_alice, fifty, django_assert_max_num_queries):
    with django_assert_max_num_queries(LIVE_200_QUERIES):
        fresh = poll(as_alice)
    assert len(listed(fresh)) == 50
    with django_assert_max_num_queries(LIVE_304_QUERIES):
        assert poll(as_alice, fresh["ETag"]).status_code == 304


# --- the calls list, the business switcher -------------------------------------------------------


def test_the_calls_page_is_linked_from_every_business_page(as_alice, alpha_line):
    content = as_alice.get("/b/alpha/").content.decode()

    assert 'href="/b/alpha/calls"' in content


def test_a_person_of_several_businesses_switches_from_the_header(client, alice, beta):
    Membership.objects.create(user=alice, business=beta, role=Membership.AGENT)
    client.force_login(alice)

    content = client.get("/b/alpha/").content.decode()

    switcher = content[content.index('<details class="switcher">') : content.index("</details>")]
    assert 'href="/b/alpha/reports/" aria-current="page">AlphaPlumbing' in switcher  # an owner's front page
    assert 'href="/b/beta/">BetaHVAC' in switcher  # an agent's: the inbox


def test_a_person_of_one_business_gets_no_switcher(as_alice):
    assert "switcher" not in as_alice.get("/b/alpha/").content.decode()


def test_the_switcher_never_lists_a_business_the_person_does_not_serve(client, charlie, alice, beta):
    Membership.objects.create(user=charlie, business=Membership.objects.get(user=alice).business)
    client.force_login(alice)

    assert "BetaHVAC" not in client.get("/b/alpha/").content.decode()


# --- another business's conversations: never seen, never reached --------------------------------


@pytest.mark.cross_tenant("business", "calls", "inbox-live")
def test_another_business_inbox_calls_and_live_list_are_not_found(as_bob, beta_line, beta_conversation):
    for path in ("/b/beta/", "/b/beta/calls", "/b/beta/live", "/b/beta/live?show=all"):
        assert as_bob.get(path).status_code == 404, path


@pytest.mark.cross_tenant("business", "calls", "inbox-live")
def test_the_inbox_routes_take_no_posts_and_change_nothing(client, bob, beta_conversation):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(bob)
    before = list(Conversation.objects.values_list("pk", "status", "assignee_id", "last_message_at"))

    for path in ("/b/beta/", "/b/beta/calls", "/b/beta/live", "/b/alpha/", "/b/alpha/live"):
        assert strict.post(path, {"show": "all"}).status_code in (403, 405), path

    assert list(Conversation.objects.values_list("pk", "status", "assignee_id", "last_message_at")) == before


def test_another_business_conversations_never_show_in_the_list_or_the_live_fragment(
    as_bob, alpha_line, beta_line, matches
):
    ours = an_inbound_text(alpha_line, "ours").conversation
    theirs = an_inbound_text(beta_line, "theirs, same number", caller=CALLER).conversation

    for path in ("/b/alpha/?show=all", "/b/alpha/live?show=all", f"/b/alpha/?q={CALLER[2:]}", "/b/alpha/?q=theirs"):
        ids = listed(as_bob.get(path))
        assert theirs.pk not in ids, path
    assert listed(as_bob.get("/b/alpha/")) == [ours.pk]


def test_another_business_activity_does_not_wake_our_poller(as_bob, alpha_line, beta_line):
    an_inbound_text(alpha_line, "ours")
    etag = poll(as_bob)["ETag"]

    an_inbound_text(beta_line, "theirs", caller="+12145550147")

    assert poll(as_bob, etag).status_code == 304


def test_managers_see_every_line_and_an_agent_the_lines_they_serve_read_once_a_request(
    alice, mary, bob, alpha_line, alpha_sandbox_line, django_assert_num_queries
):
    from textback.accounts import access

    for user, lines, seen in [
        (alice, [], None),
        (mary, [alpha_line], None),
        (bob, [], None),
        (bob, [alpha_sandbox_line], [alpha_sandbox_line.pk]),
    ]:
        Membership.objects.get(user=user).lines.set(lines)
        membership = Membership.objects.get(user=user)
        assert access.visible_line_ids(membership) == seen, user
    with django_assert_num_queries(0):  # the inbox asks several times a page; the lines were read above
        assert access.visible_line_ids(membership) == [alpha_sandbox_line.pk]


def test_an_agent_searching_finds_only_the_conversations_they_may_see(
    as_bob, bob, alpha_line, alpha_sandbox_line, matches
):
    Membership.objects.get(user=bob).lines.set([alpha_sandbox_line])
    an_inbound_text(alpha_line, "The pipe is leaking", caller=caller(1))
    theirs = an_inbound_text(alpha_sandbox_line, "The pipe is leaking", caller=caller(2)).conversation

    assert listed(as_bob.get("/b/alpha/", {"q": "leak"})) == [theirs.pk]


def test_a_query_that_looks_like_a_number_searches_numbers_not_texts(as_alice, alpha_line):
    by_number = an_inbound_text(alpha_line, "hi", caller="+15125550198").conversation
    an_inbound_text(alpha_line, "call me back on 555 0198", caller=caller(3))

    assert listed(as_alice.get("/b/alpha/", {"q": "555 0198"})) == [by_number.pk]


# --- desktop notifications on every page of the business -----------------------------------------


def watcher(response) -> dict | None:
    match = re.search(r'<div id="notify-watch" hidden ([^>]*)>', response.content.decode())
    return dict(re.findall(r'data-([\w-]+)="([^"]*)"', match[1])) if match else None


def test_every_page_of_the_business_watches_for_callers_texts_with_a_poll_that_starts_at_304(as_alice, alpha_line):
    texts(alpha_line, 2)

    for path in ("/b/alpha/calls", "/b/alpha/contacts/", "/b/alpha/settings/"):
        watch = watcher(as_alice.get(path))
        assert watch["url"] == "/b/alpha/live" and watch["every"] == "5", path
        assert poll(as_alice, watch["etag"].replace("&quot;", '"')).status_code == 304, path


def test_the_inbox_list_is_its_own_watcher(as_alice, alpha_line):
    assert watcher(as_alice.get("/b/alpha/")) is None


def test_a_conversation_page_does_not_announce_the_conversation_it_shows(as_alice, alpha_line):
    conversation = texts(alpha_line, 1)[0]

    assert watcher(as_alice.get(f"/b/alpha/conversations/{conversation.pk}"))["conversation"] == str(conversation.pk)


def test_a_person_who_turned_browser_alerts_off_gets_no_watcher(as_alice, alice, alpha_line):
    Membership.objects.filter(user=alice).update(alert_browser=False)

    assert watcher(as_alice.get("/b/alpha/calls")) is None
