"""The conversation page: one timeline of calls, texts, consent and staff work, kept live within 2 s."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.html import escape

from textback.calls import outcomes
from textback.inbox import presence
from textback.messaging import conversations as staff
from textback.messaging.models import ConversationEvent, ConversationRead, Message
from textback.testing import a_missed_call, a_staff_reply, an_inbound_text, delivery_reports

pytestmark = pytest.mark.django_db


def page(client, conversation, slug: str = "alpha") -> str:
    response = client.get(f"/b/{slug}/conversations/{conversation.pk}")
    assert response.status_code == 200
    return response.content.decode()


def live(client, conversation, etag: str = "", since: str | None = None):
    """The live part as the page polls it: with the ETag it holds and the `since` the page gave it."""
    headers = {"If-None-Match": etag} if etag else {}
    query = {"since": since} if since is not None else {}
    return client.get(f"/b/alpha/conversations/{conversation.pk}/live", query, headers=headers)


def since_of(content: str) -> str:
    return re.search(r'<input type="hidden" name="since" id="live-since" value="([^"]*)">', content)[1]


def timeline_of(content: str) -> str:
    return content.split('<ol class="timeline"', 1)[1].split("</ol>\n</div>")[0]


# --- one timeline --------------------------------------------------------------------------------


def test_the_timeline_shows_the_call_its_text_back_and_the_reply_oldest_first(as_bob, alpha_conversation):
    content = timeline_of(page(as_bob, alpha_conversation))

    call = content.index("Missed call · No answer")
    text_back = content.index("sorry we missed your call")
    reply = content.index("Water heater is leaking")
    assert call < text_back < reply
    assert "Text-back sent" in content
    assert "textback · Text-back" in content  # who wrote it: the automation, and why


def test_a_skipped_text_back_says_why_in_words(as_bob, alpha_line, alpha_conversation):
    an_inbound_text(alpha_line, "STOP")
    a_missed_call(alpha_line, outcome=outcomes.BUSY)

    content = timeline_of(page(as_bob, alpha_conversation))

    assert "Missed call · Busy" in content
    assert "Text-back skipped: The caller has opted out (STOP)" in content


def test_opt_out_opt_in_and_help_show_in_the_timeline(as_bob, alpha_sandbox_line, alpha_conversation):
    message = an_inbound_text(alpha_sandbox_line, "STOP")
    an_inbound_text(alpha_sandbox_line, "HELP")
    an_inbound_text(alpha_sandbox_line, "START")

    content = timeline_of(page(as_bob, message.conversation))

    assert content.index("Opt-out received (STOP)") < content.index("Help sent (HELP)")
    assert content.index("Help sent (HELP)") < content.index("Opted back in (START)")


def test_a_staff_reply_shows_the_name_of_who_sent_it(as_bob, alice, alpha_conversation):
    alice.first_name, alice.last_name = "Alice", "Owens"
    alice.save()
    a_staff_reply(alpha_conversation, alice, "On our way")

    content = timeline_of(page(as_bob, alpha_conversation))

    bubble = content.split("On our way")[0].rsplit('<li class="entry', 1)[1]
    assert "staff" in bubble and "Alice Owens" in bubble


def test_each_text_shows_its_status_encoding_and_segments(as_bob, alpha_conversation):
    content = timeline_of(page(as_bob, alpha_conversation))

    text_back = content.split("sorry we missed your call")[1].split("</li>")[0]
    assert '<span class="status s-delivered">Delivered</span>' in text_back
    assert "GSM-7, 1 segment" in text_back


def test_the_delivery_history_is_there_on_demand_with_late_reports_marked(as_bob, alpha_conversation):
    content = timeline_of(page(as_bob, alpha_conversation))

    history = content.split("<summary>Delivery history</summary>")[1].split("</details>")[0]
    steps = [step.split(" ·")[0] for step in history.split("<li>")[1:]]
    assert steps == ["sent", "delivered", "sent (arrived late, ignored)"]


def test_a_delivery_error_is_explained_to_staff(as_bob, alpha_call):
    text = Message.objects.get(call=alpha_call)
    delivery_reports(text, "sent")
    from textback.messaging import actions

    actions.do_message_status(
        actions.StatusReport(
            provider="twilio",
            provider_message_id=Message.objects.get(pk=text.pk).provider_message_id,
            status="undelivered",
            error_code="30003",
        )
    )

    content = page(as_bob, text.conversation)

    assert "error 30003: the phone could not be reached (switched off or out of coverage)" in content
    assert "Not delivered" in content


def test_a_voicemail_plays_through_our_view_never_the_providers_url(as_bob, alpha_line):
    recording = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE1"
    call = a_missed_call(alpha_line)
    from textback.calls.models import Call

    Call.objects.filter(pk=call.pk).update(voicemail=True, voicemail_seconds=14, recording_url=recording)
    convo = Message.objects.get(call=call).conversation

    content = page(as_bob, convo)

    assert f'<audio controls preload="none" src="/b/alpha/calls/{call.pk}/recording">' in content
    assert "Voicemail, 14 s" in content
    assert "api.twilio.com" not in content
    assert "api.twilio.com" not in as_bob.get(f"/b/alpha/calls/{call.pk}").content.decode()


def test_mms_pictures_show_as_images_through_our_view(as_bob, alpha_line, alpha_conversation):
    photo = "https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM1/Media/ME1"
    video = "https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM1/Media/ME2"
    message = an_inbound_text(
        alpha_line,
        "This is the leak",
        media=[{"url": photo, "content_type": "image/jpeg"}, {"url": video, "content_type": "video/mp4"}],
    )

    content = page(as_bob, alpha_conversation)

    assert f'<img src="/b/alpha/media/{message.pk}/0"' in content
    assert f'<video controls preload="metadata" src="/b/alpha/media/{message.pk}/1">' in content
    assert "api.twilio.com" not in content


def test_an_internal_note_is_set_apart_as_internal(as_bob, bob, alpha_conversation):
    staff.do_add_note(alpha_conversation, bob, "She prefers mornings")

    content = timeline_of(page(as_bob, alpha_conversation))

    note = content.split("She prefers mornings")[0].rsplit("<li", 1)[1]
    assert 'class="entry note"' in note and "internal, never texted" in note


def test_staff_work_reads_as_sentences_in_the_timeline(client, mary, bob, alpha_conversation):
    staff.do_assign(alpha_conversation, mary, bob)
    staff.do_close(alpha_conversation, mary)
    staff.do_reopen(alpha_conversation, mary)
    staff.do_set_outcome(alpha_conversation, mary, "booked", value="350")
    staff.do_assign(alpha_conversation, mary, None)
    client.force_login(mary)

    content = timeline_of(page(client, alpha_conversation))

    sentences = [
        "mary assigned the conversation to bob",
        "mary closed the conversation",
        "mary reopened the conversation",
        "mary set the outcome: Booked ($350.00)",
        "mary unassigned the conversation",
    ]
    positions = [content.index(s) for s in sentences]
    assert positions == sorted(positions)


def test_canceled_automation_shows_in_the_timeline(as_bob, bob, alpha_line, queue):
    pending = queue(alpha_line, "A follow-up", purpose=Message.FOLLOWUP, due_in=3600)
    convo = pending.conversation
    a_staff_reply(convo, bob, "I can help now")

    content = timeline_of(page(as_bob, convo))

    assert "Automation canceled: 1 automatic text(s) not sent because bob replied" in content


def test_the_header_shows_status_assignee_and_outcome(client, mary, bob, alpha_conversation):
    bob.first_name, bob.last_name = "Bob", "Baker"
    bob.save()
    staff.do_assign(alpha_conversation, mary, bob)
    staff.do_set_outcome(alpha_conversation, mary, "lost", reason="went with a cheaper plumber")
    client.force_login(mary)

    header = page(client, alpha_conversation).split('<header class="convo-head">')[1].split("</header>")[0]

    assert "Open" in header and "Bob Baker" in header
    assert "Lost: went with a cheaper plumber" in header
    assert "Waiting" in header  # the caller's text has had no answer yet


def test_opening_the_conversation_marks_it_read_for_the_viewer_only(as_bob, bob, mary, alpha_conversation):
    page(as_bob, alpha_conversation)

    assert ConversationRead.objects.filter(conversation=alpha_conversation, user=bob).exists()
    assert not ConversationRead.objects.filter(conversation=alpha_conversation, user=mary).exists()


# --- caller-supplied text is escaped ----------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"


def test_markup_in_a_note_a_message_and_a_contact_name_is_escaped(as_bob, bob, alpha_line, alpha_conversation):
    contact = alpha_conversation.contact
    contact.name = SCRIPT
    contact.save()
    an_inbound_text(alpha_line, f"hi {SCRIPT}")
    staff.do_add_note(alpha_conversation, bob, f"note {SCRIPT}")

    content = page(as_bob, alpha_conversation)
    fragment = live(as_bob, alpha_conversation).content.decode()

    for text in (content, fragment):
        assert SCRIPT not in text
        assert f"hi {escape(SCRIPT)}" in text and f"note {escape(SCRIPT)}" in text
        assert f"<h1>{escape(SCRIPT)}</h1>" in text


def test_markup_in_a_colleagues_name_is_escaped_in_the_presence_line(as_bob, mary, alpha_conversation):
    mary.first_name = SCRIPT
    mary.save()
    presence.do_heartbeat(alpha_conversation, mary, typing=True)

    content = page(as_bob, alpha_conversation)

    assert SCRIPT not in content and f"{escape(SCRIPT)} is typing…" in content


# --- live updates ----------------------------------------------------------------------------------


def test_the_live_part_answers_304_while_nothing_changes(as_bob, alpha_conversation):
    first = live(as_bob, alpha_conversation)
    assert first.status_code == 200 and first["Cache-Control"] == "no-store"

    again = live(as_bob, alpha_conversation, first["ETag"])

    assert again.status_code == 304 and again["ETag"] == first["ETag"]
    assert again.content == b""


def test_the_page_starts_polling_from_the_version_it_shows(as_bob, alpha_conversation):
    content = page(as_bob, alpha_conversation)
    etag = live(as_bob, alpha_conversation, since=since_of(content))["ETag"]

    assert f'data-etag="{escape(etag)}"' in content
    assert 'hx-trigger="every 1.5s"' in content


@pytest.mark.parametrize(
    "change, shows",
    [
        (lambda c, line, user: an_inbound_text(line, "Are you still coming?"), "Are you still coming?"),
        (lambda c, line, user: staff.do_add_note(c, user, "Called her back"), "Called her back"),
        (lambda c, line, user: staff.do_assign(c, user, user), "mary took the conversation"),
        (lambda c, line, user: staff.do_close(c, user), "mary closed the conversation"),
        (lambda c, line, user: a_staff_reply(c, user, "See you at 2"), "See you at 2"),
        (lambda c, line, user: staff.do_set_outcome(c, user, "spam"), "Spam / wrong number"),
        (lambda c, line, user: an_inbound_text(line, "STOP"), "Opt-out received (STOP)"),
    ],
    ids=["new text", "note", "assignment", "status", "staff reply", "outcome", "opt-out"],
)
def test_the_live_part_changes_when_the_conversation_does(client, mary, alpha_line, alpha_conversation, change, shows):
    client.force_login(mary)
    etag = live(client, alpha_conversation)["ETag"]

    change(alpha_conversation, alpha_line, mary)
    response = live(client, alpha_conversation, etag)

    assert response.status_code == 200 and response["ETag"] != etag
    assert shows in response.content.decode()


def test_the_live_part_changes_when_a_delivery_report_arrives(client, mary, alpha_conversation):
    client.force_login(mary)
    reply = a_staff_reply(alpha_conversation, mary, "See you at 2")
    etag = live(client, alpha_conversation)["ETag"]

    delivery_reports(reply, "delivered")

    assert live(client, alpha_conversation, etag).status_code == 200


def test_a_new_text_read_through_the_live_part_is_marked_read(as_bob, bob, alpha_line, alpha_conversation):
    page(as_bob, alpha_conversation)
    etag = live(as_bob, alpha_conversation)["ETag"]
    later = timezone.now() + timedelta(minutes=1)

    with time_machine.travel(later, tick=False):
        an_inbound_text(alpha_line, "Hello?")
        live(as_bob, alpha_conversation, etag)

    assert ConversationRead.objects.get(conversation=alpha_conversation, user=bob).read_at == later


# --- who else is here ---------------------------------------------------------------------------------


def test_a_colleague_typing_shows_and_fades_after_fifteen_seconds(client, bob, mary, alpha_conversation):
    client.force_login(bob)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        mary_client = type(client)()
        mary_client.force_login(mary)
        assert (
            mary_client.post(f"/b/alpha/conversations/{alpha_conversation.pk}/presence", {"typing": "1"}).status_code
            == 204
        )
        shown = live(client, alpha_conversation)
        assert "mary is typing…" in shown.content.decode()

    with time_machine.travel(start + timedelta(seconds=16), tick=False):
        faded = live(client, alpha_conversation, shown["ETag"])

    assert faded.status_code == 200 and "mary is" not in faded.content.decode()


def test_a_colleague_viewing_shows_and_leaving_removes_them(client, bob, mary, alpha_conversation):
    client.force_login(mary)
    page(client, alpha_conversation)  # opening the page counts as a heartbeat
    bob_client = type(client)()
    bob_client.force_login(bob)

    assert "mary is viewing" in page(bob_client, alpha_conversation)

    client.post(f"/b/alpha/conversations/{alpha_conversation.pk}/presence", {"left": "1"})
    assert "mary is" not in page(bob_client, alpha_conversation)


def test_nobody_sees_themselves_as_a_colleague(as_bob, alpha_conversation):
    as_bob.post(f"/b/alpha/conversations/{alpha_conversation.pk}/presence", {"typing": "1"})

    assert "bob is" not in page(as_bob, alpha_conversation)


def test_a_person_keeps_about_one_presence_row(as_bob, bob, alpha_line, alpha_conversation):
    from textback.inbox.models import Presence

    other = an_inbound_text(alpha_line, "hi", caller="+15125550148").conversation
    page(as_bob, alpha_conversation)
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        page(as_bob, other)

    assert list(Presence.objects.filter(user=bob).values_list("conversation_id", flat=True)) == [other.pk]


# --- query-count pins (an N+1 fails here) --------------------------------------------------------------


@pytest.fixture
def long_history(alpha_line, alpha_conversation, alice, mary, bob):
    """50 messages, 20 staff events, several calls and consent events."""
    for n in range(24):
        an_inbound_text(alpha_line, f"question {n}")
        reply = a_staff_reply(alpha_conversation, [alice, mary, bob][n % 3], f"answer {n}")
        delivery_reports(reply, "sent", "delivered")
    for n in range(20):
        staff.do_add_note(alpha_conversation, [alice, mary, bob][n % 3], f"note {n}")
    a_missed_call(alpha_line)
    a_missed_call(alpha_line, outcome=outcomes.BUSY)
    assert Message.objects.filter(conversation=alpha_conversation).count() >= 50
    assert ConversationEvent.objects.filter(conversation=alpha_conversation).count() >= 20
    return alpha_conversation


PAGE_QUERIES = 25  # the business switcher 1, the notification watcher's ETag 1; 7 of them the first visit's presence row and read mark
LIVE_QUERIES = 13
UNCHANGED_QUERIES = 5


def test_the_conversation_page_costs_the_same_few_queries_for_a_long_history(
    client, mary, long_history, django_assert_max_num_queries
):
    client.force_login(mary)
    with django_assert_max_num_queries(PAGE_QUERIES):
        content = page(client, long_history)
    assert "answer 23" in content and "note 19" in content


def test_the_live_part_costs_the_same_few_queries_for_a_long_history(
    client, mary, long_history, django_assert_max_num_queries
):
    client.force_login(mary)
    with django_assert_max_num_queries(LIVE_QUERIES):
        response = live(client, long_history)
    assert "answer 23" in response.content.decode()


def test_an_unchanged_live_part_costs_a_handful_of_small_queries(client, mary, long_history):
    client.force_login(mary)
    etag = live(client, long_history)["ETag"]

    with CaptureQueriesContext(connection) as queries:
        assert live(client, long_history, etag).status_code == 304

    assert len(queries) <= UNCHANGED_QUERIES, [q["sql"] for q in queries]
    assert not any(q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")) for q in queries)
