"""A long conversation opens on its newest 50 entries; "Earlier" brings the 50 before, and so on back to
the first; the live part adds what arrives below without dropping what is shown. The cost of each
stays the same whatever the thread's length."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from textback.inbox import timeline
from textback.messaging.models import Message
from textback.testing import a_long_thread, a_staff_reply, an_inbound_text, delivery_reports

pytestmark = pytest.mark.django_db

ENTRY_ID = re.compile(r'<li class="entry[^"]*" id="((?:m|call|consent|note|event)\d+)"')
EARLIER_LINK = re.compile(r'<a class="earlier-link" href="([^"]+)" hx-get="([^"]+)"')


def url(conversation, tail: str = "") -> str:
    return f"/b/alpha/conversations/{conversation.pk}{tail}"


def ids(content: str) -> list[str]:
    return ENTRY_ID.findall(content)


def earlier_of(content: str) -> tuple[str, str] | None:
    """The Earlier control's plain link and its htmx address, or None when there is none."""
    found = EARLIER_LINK.search(content)
    return (found[1].replace("&amp;", "&"), found[2].replace("&amp;", "&")) if found else None


def since_of(content: str) -> str:
    return re.search(r'name="since" id="live-since" value="([^"]*)"', content)[1]


@pytest.fixture
def thread(alpha_call, alpha_conversation, bob) -> list[str]:
    """alpha's conversation: 120 entries of every kind over the two hours up to yesterday, then today's
    call, its text-back and the caller's text. The page ids of all 123, oldest first."""
    today = [f"call{alpha_call.pk}"] + [f"m{pk}" for pk in _texts(alpha_conversation)]
    return a_long_thread(alpha_conversation, 120, staff=bob) + today


def _texts(conversation) -> list[int]:
    texts = Message.objects.filter(conversation=conversation).order_by("created_at", "pk")
    return list(texts.values_list("pk", flat=True))


def walk_back(client, content: str, follow) -> tuple[list[str], str, int]:
    """Every entry shown from `content` back to the start, following Earlier with `follow` (the link
    without script, or htmx's address); the last page; how many pages."""
    shown, pages = ids(content), 1
    while link := earlier_of(content):
        content = client.get(follow(link)).content.decode()
        shown = ids(content) + shown  # each page goes above the ones loaded before
        pages += 1
    return shown, content, pages


# --- the newest window and the Earlier control -------------------------------------------------------


def test_a_long_thread_opens_on_its_newest_fifty_entries_with_an_earlier_control(as_bob, alpha_conversation, thread):
    content = as_bob.get(url(alpha_conversation)).content.decode()

    assert ids(content) == thread[-50:]
    link, fragment = earlier_of(content)
    assert link.startswith(url(alpha_conversation, "?before=")) and link.endswith("#timeline")
    assert fragment.startswith(url(alpha_conversation, "/earlier?before="))
    assert "Earlier entries" in content and "text 119" in content and "text 20" not in content


def test_the_earlier_link_without_script_shows_the_fifty_before_and_a_way_back(as_bob, alpha_conversation, thread):
    link, _ = earlier_of(as_bob.get(url(alpha_conversation)).content.decode())

    response = as_bob.get(link)

    content = response.content.decode()
    assert response.status_code == 200
    assert ids(content) == thread[-100:-50]
    assert earlier_of(content) is not None
    assert "Back to the newest entries" in content
    assert 'hx-trigger="every 1.5s"' not in content  # a page of the past does not poll
    assert 'id="reply-body"' in content  # and one can still answer from it


def test_walking_earlier_to_the_start_shows_every_entry_once_in_order(as_bob, alpha_conversation, thread):
    content = as_bob.get(url(alpha_conversation)).content.decode()

    shown, _, pages = walk_back(as_bob, content, lambda link: link[1])

    assert shown == thread
    assert pages == 3


@pytest.mark.parametrize("entries, at_once", [(50, 1), (51, 1), (160, 4), (111, 37)])
def test_entries_sharing_a_moment_are_neither_lost_nor_repeated_between_pages(
    as_bob, bob, alpha_sandbox_line, entries, at_once
):
    """Calls, texts, HELPs and notes at the same instant (at_once of them), cut across page boundaries."""
    text = an_inbound_text(alpha_sandbox_line, "hello")
    thread = a_long_thread(text.conversation, entries - 1, at_once=at_once, staff=bob) + [f"m{text.pk}"]
    content = as_bob.get(f"/b/alpha/conversations/{text.conversation.pk}").content.decode()

    shown, _, pages = walk_back(as_bob, content, lambda link: link[1])

    assert shown == thread
    assert pages == -(-entries // 50)


def test_a_thread_of_exactly_fifty_entries_is_shown_whole_without_an_earlier_control(as_bob, bob, alpha_sandbox_line):
    text = an_inbound_text(alpha_sandbox_line, "hello")
    a_long_thread(text.conversation, 49, staff=bob)

    content = as_bob.get(f"/b/alpha/conversations/{text.conversation.pk}").content.decode()

    assert len(ids(content)) == 50
    assert earlier_of(content) is None
    assert "The conversation starts here." not in content  # nothing above: the page looks as it always did


def test_the_oldest_page_has_no_earlier_control_with_or_without_script(as_bob, alpha_conversation, thread):
    newest = as_bob.get(url(alpha_conversation)).content.decode()

    for follow in (lambda link: link[0], lambda link: link[1]):
        shown, oldest, pages = walk_back(as_bob, newest, follow)

        assert shown == thread and pages == 3
        assert ids(oldest) == thread[:23]
        assert earlier_of(oldest) is None
        assert "The conversation starts here." in oldest


# --- bad cursors ---------------------------------------------------------------------------------------

BAD = ["", "tomorrow", "123", "123-message", "1-nonsense-2", "-1-call-1", "1-call-1-2", "١٢٣-call-1",
       "1" * 18 + "-call-1", "1-call-" + "9" * 19, "1-CALL-1", "1%00-call-1"]  # fmt: skip


@pytest.mark.parametrize("cursor", BAD)
def test_a_broken_earlier_link_shows_the_newest_entries_and_says_so(as_bob, alpha_conversation, thread, cursor):
    response = as_bob.get(url(alpha_conversation), {"before": cursor})

    content = response.content.decode()
    assert response.status_code == 400
    assert "That link to earlier entries is broken; here are the newest ones." in content
    assert ids(content) == thread[-50:]


@pytest.mark.parametrize("cursor", BAD)
def test_a_broken_earlier_request_is_answered_with_a_message_in_place_of_the_control(
    as_bob, alpha_conversation, cursor
):
    response = as_bob.get(url(alpha_conversation, "/earlier"), {"before": cursor})

    assert response.status_code == 400
    assert "That link to earlier entries is broken." in response.content.decode()


def test_an_earlier_request_without_a_cursor_is_refused(as_bob, alpha_conversation):
    assert as_bob.get(url(alpha_conversation, "/earlier")).status_code == 400


@pytest.mark.parametrize("cursor", BAD)
def test_a_live_request_with_a_broken_since_is_refused(as_bob, alpha_conversation, cursor):
    response = as_bob.get(url(alpha_conversation, "/live"), {"since": cursor})

    assert response.status_code == 400
    assert b"reload" in response.content


@pytest.mark.parametrize(
    "cursor", ["0-call-0", "99999999999999999-event-999999999999999999", "1-consent-0"], ids=["start", "far", "early"]
)
def test_cursors_at_the_ends_of_time_are_answered_plainly(as_bob, alpha_conversation, thread, cursor):
    for path, query in (("", "before"), ("/earlier", "before"), ("/live", "since")):
        assert as_bob.get(url(alpha_conversation, path), {query: cursor}).status_code == 200


# --- live updates on a long thread ---------------------------------------------------------------------


def live(client, conversation, since: str, etag: str = ""):
    headers = {"If-None-Match": etag} if etag else {}
    return client.get(url(conversation, "/live"), {"since": since}, headers=headers)


def test_what_arrives_is_added_below_and_the_window_shown_stays_whole(as_bob, alpha_line, alpha_conversation, thread):
    content = as_bob.get(url(alpha_conversation)).content.decode()
    since = since_of(content)

    text = an_inbound_text(alpha_line, "Are you still coming?")
    response = live(as_bob, alpha_conversation, since)

    fragment = response.content.decode()
    assert ids(fragment) == thread[-50:] + [f"m{text.pk}"]  # 51: the oldest shown is not pushed out
    assert since_of(fragment) == since
    earlier_block = f'<div class="earlier" id="earlier-{since}" hx-preserve="true">'
    assert earlier_block in content and earlier_block in fragment  # htmx keeps the page's own, loaded entries and all


def test_a_delivery_report_inside_the_window_shows_on_the_next_refresh(as_bob, bob, alpha_conversation, thread):
    reply = a_staff_reply(alpha_conversation, bob, "On our way")
    since = since_of(as_bob.get(url(alpha_conversation)).content.decode())
    etag = live(as_bob, alpha_conversation, since)["ETag"]

    delivery_reports(reply, "sent", "delivered")
    response = live(as_bob, alpha_conversation, since, etag)

    assert response.status_code == 200
    bubble = response.content.decode().split(f'id="m{reply.pk}"')[1].split("</li>")[0]
    assert '<span class="status s-delivered">Delivered</span>' in bubble


def test_a_late_delivery_report_inside_the_window_shows_in_its_history(as_bob, bob, alpha_conversation, thread):
    """It changes no status (it arrived after "delivered"), only the delivery history."""
    reply = a_staff_reply(alpha_conversation, bob, "On our way")
    delivery_reports(reply, "sent", "delivered")
    since = since_of(as_bob.get(url(alpha_conversation)).content.decode())
    etag = live(as_bob, alpha_conversation, since)["ETag"]

    delivery_reports(reply, "sent")
    response = live(as_bob, alpha_conversation, since, etag)

    assert response.status_code == 200
    history = response.content.decode().split(f'id="history-{reply.pk}"')[1].split("</details>")[0]
    assert "sent (arrived late, ignored)" in history


def test_an_unchanged_long_thread_answers_304_from_its_window(as_bob, alpha_conversation, thread):
    content = as_bob.get(url(alpha_conversation)).content.decode()
    etag = re.search(r'data-etag="&quot;(\w+)&quot;"', content)[1]

    response = live(as_bob, alpha_conversation, since_of(content), f'"{etag}"')

    assert response.status_code == 304


def test_after_too_much_arrives_the_live_part_starts_over_from_the_newest_fifty(
    as_bob, bob, alpha_conversation, thread
):
    since = since_of(as_bob.get(url(alpha_conversation)).content.decode())
    arrived = a_long_thread(
        alpha_conversation, timeline.LIVE_MAX, ending=timezone.now() + timedelta(hours=5), staff=bob
    )

    fragment = live(as_bob, alpha_conversation, since).content.decode()

    assert ids(fragment) == arrived[-50:]
    assert since_of(fragment) != since
    assert f'id="earlier-{since_of(fragment)}" hx-preserve="true"><p class="earlier-control"><a' in fragment
    assert earlier_of(fragment) is not None


# --- cost: the same queries for 2,000 texts as for three entries ------------------------------------------


def count_queries(client, path: str, status: int = 200, **kwargs) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, **kwargs)
    assert response.status_code == status
    return len(queries), response


def costs(client, conversation) -> dict:
    """Queries of a second visit (the first writes the presence row and read mark), of the live part
    (200 and 304), and of one Earlier page."""
    client.get(url(conversation))
    page_queries, response = count_queries(client, url(conversation))
    content = response.content.decode()
    since = since_of(content)
    live_queries, response = count_queries(client, url(conversation, "/live"), data={"since": since})
    unchanged, _ = count_queries(
        client, url(conversation, "/live"), 304, data={"since": since}, headers={"If-None-Match": response["ETag"]}
    )
    cursor = timeline.Key(timezone.now(), 0, 0).encode()
    earlier, _ = count_queries(client, url(conversation, "/earlier"), data={"before": cursor})
    return {"page": page_queries, "live": live_queries, "304": unchanged, "earlier": earlier}


def test_a_thread_of_2000_texts_costs_the_same_queries_as_one_of_three_entries(as_bob, bob, alpha_conversation):
    short = costs(as_bob, alpha_conversation)

    a_long_thread(alpha_conversation, 2800, staff=bob)
    long = costs(as_bob, alpha_conversation)

    assert Message.objects.filter(conversation=alpha_conversation).count() >= 2000
    assert long == short, (short, long)
