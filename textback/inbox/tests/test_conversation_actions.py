"""What staff do on the conversation page: answer, use a canned reply, note, close, reopen, assign, set the
outcome. Each refusal says why in words and writes nothing."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.utils.html import escape

from textback.accounts.models import Membership
from textback.messaging.conversations import do_assign
from textback.messaging.models import CannedReply, Conversation, ConversationEvent, Message
from textback.outbox.models import OutboxItem
from textback.providers.models import Line
from textback.testing import an_inbound_text

pytestmark = pytest.mark.django_db


def url(conversation, action: str = "", slug: str = "alpha") -> str:
    return f"/b/{slug}/conversations/{conversation.pk}" + (f"/{action}" if action else "")


def flash(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def staff_replies(conversation=None):
    replies = Message.objects.filter(purpose=Message.REPLY)
    return replies.filter(conversation=conversation) if conversation else replies


def snapshot(conversation) -> tuple:
    row = Conversation.objects.get(pk=conversation.pk)
    return (
        row.status, row.assignee_id, row.outcome, row.outcome_value, row.lost_reason,
        ConversationEvent.objects.count(), Message.objects.count(), OutboxItem.objects.count(),
    )  # fmt: skip


# --- answering ---------------------------------------------------------------------------------------


def test_a_reply_goes_through_the_outbox_as_the_staff_member(as_bob, bob, alpha_conversation):
    response = as_bob.post(url(alpha_conversation, "reply"), {"body": "We can come at 2", "token": "t1"})

    assert response.status_code == 302 and response["Location"] == url(alpha_conversation) + "#compose"
    [reply] = staff_replies(alpha_conversation)
    assert (reply.body, reply.sender_kind, reply.sent_by, reply.status) == (
        "We can come at 2",
        "staff",
        bob,
        "scheduled",
    )
    assert OutboxItem.objects.get(message=reply).kind == OutboxItem.SMS
    assert flash(response) == [
        f"Reply to {alpha_conversation.contact} queued; its delivery status shows in the timeline."
    ]
    assert Conversation.objects.get(pk=alpha_conversation.pk).awaiting_since is None  # the SLA clock stopped


def test_the_same_reply_form_sent_twice_sends_once(as_bob, alpha_conversation):
    for _ in range(2):
        as_bob.post(url(alpha_conversation, "reply"), {"body": "On my way", "token": "same-form"})

    assert staff_replies(alpha_conversation).count() == 1


def test_two_reply_forms_send_two_replies(as_bob, alpha_conversation):
    as_bob.post(url(alpha_conversation, "reply"), {"body": "On my way", "token": "form-1"})
    as_bob.post(url(alpha_conversation, "reply"), {"body": "Running 5 min late", "token": "form-2"})

    assert staff_replies(alpha_conversation).count() == 2


def test_each_page_view_gets_its_own_reply_token(as_bob, alpha_conversation):
    tokens = [
        as_bob.get(url(alpha_conversation)).content.decode().split('name="token" value="')[1].split('"')[0]
        for _ in range(2)
    ]

    assert tokens[0] != tokens[1] and len(tokens[0]) == 32


@pytest.mark.parametrize(
    "body, says",
    [
        ("", "Type a reply first; an empty text cannot be sent."),
        ("   \r\n  ", "Type a reply first; an empty text cannot be sent."),
        ("x" * 1601, "That reply is 1601 characters; a text can be at most 1600. Shorten it."),
        ("hi\x00there", "The reply contains a NUL character."),
    ],
    ids=["empty", "blank", "1601 characters", "NUL"],
)
def test_a_bad_reply_is_refused_with_a_message_and_the_text_kept(as_bob, alpha_conversation, body, says):
    before = snapshot(alpha_conversation)

    response = as_bob.post(url(alpha_conversation, "reply"), {"body": body, "token": "t"})

    assert response.status_code == 400
    content = response.content.decode()
    assert escape(says) in content
    if body.strip() and "\x00" not in body:
        assert f">{body}</textarea>" in content  # nobody loses what they typed
    assert snapshot(alpha_conversation) == before


def test_a_1600_character_reply_with_line_breaks_is_accepted(as_bob, alpha_conversation):
    body = ("x" * 98 + "\r\n") * 16  # 1600 characters once the form's CRLFs are the newlines they were typed as
    body = body[:-2]

    response = as_bob.post(url(alpha_conversation, "reply"), {"body": body, "token": "t"})

    assert response.status_code == 302
    assert len(staff_replies(alpha_conversation).get().body) < 1600 + 200


def test_an_opted_out_contact_has_no_reply_box_and_a_post_sends_nothing(as_bob, alpha_line, alpha_conversation):
    an_inbound_text(alpha_line, "STOP")

    content = as_bob.get(url(alpha_conversation)).content.decode()
    assert 'id="reply-body"' not in content and 'id="no-reply"' in content
    assert "opted out on" in content and "by texting STOP" in content

    before = snapshot(alpha_conversation)
    response = as_bob.post(url(alpha_conversation, "reply"), {"body": "Are you sure?", "token": "t"})

    assert response.status_code == 400 and "opted out" in response.content.decode()
    assert snapshot(alpha_conversation) == before and not staff_replies().exists()


def test_a_switched_off_line_cannot_be_texted_from(as_bob, alpha_line, alpha_conversation):
    Line.objects.filter(pk=alpha_line.pk).update(active=False)

    content = as_bob.get(url(alpha_conversation)).content.decode()
    response = as_bob.post(url(alpha_conversation, "reply"), {"body": "Hello", "token": "t"})

    assert "is switched off, so nothing can be sent from it" in content and 'id="reply-body"' not in content
    assert response.status_code == 400 and not staff_replies().exists()


def test_a_landline_cannot_be_texted(as_bob, alpha_conversation):
    alpha_conversation.contact.is_landline = True
    alpha_conversation.contact.save()

    response = as_bob.post(url(alpha_conversation, "reply"), {"body": "Hello", "token": "t"})

    assert response.status_code == 400 and "is a landline" in response.content.decode()
    assert not staff_replies().exists()


# --- canned replies ------------------------------------------------------------------------------------


@pytest.fixture
def canned(alpha):
    return CannedReply.objects.create(
        business=alpha, title="On our way", body="Hi {first_name|there}, this is {staff} from {business}. On our way!"
    )


def test_a_canned_reply_is_offered_with_its_merge_fields_filled_in(as_bob, bob, canned, alpha_conversation):
    bob.first_name = "Bob"
    bob.save()
    contact = alpha_conversation.contact
    contact.name = "Jane Doe"
    contact.save()

    content = as_bob.get(url(alpha_conversation)).content.decode()

    assert f'<option value="{canned.pk}" data-text="Hi Jane, this is Bob from AlphaPlumbing. On our way!">' in content


def test_a_canned_reply_chosen_without_script_fills_the_reply_box(as_bob, canned, alpha_conversation):
    content = as_bob.get(url(alpha_conversation), {"canned": canned.pk}).content.decode()

    assert ">Hi there, this is Mike from AlphaPlumbing. On our way!</textarea>" in content  # the line's name


@pytest.mark.parametrize("wanted", ["999999", "abc"])
def test_an_unknown_canned_reply_is_a_clear_message(as_bob, canned, alpha_conversation, wanted):
    response = as_bob.get(url(alpha_conversation), {"canned": wanted})

    assert response.status_code == 200
    assert "That canned reply does not exist (it may have just been deleted)" in response.content.decode()


def test_another_business_canned_reply_is_unknown_here(as_bob, beta, alpha_conversation):
    theirs = CannedReply.objects.create(business=beta, title="Beta secret", body="beta only text")

    content = as_bob.get(url(alpha_conversation), {"canned": theirs.pk}).content.decode()

    assert "That canned reply does not exist" in content and "beta only text" not in content


def test_a_canned_reply_with_a_mistake_is_shown_but_cannot_be_used(as_bob, alpha, alpha_conversation):
    broken = CannedReply.objects.create(business=alpha, title="Broken", body="Hi {name}")

    content = as_bob.get(url(alpha_conversation)).content.decode()

    assert (
        f'<option value="{broken.pk}" data-text="" disabled>Broken (cannot be used: unknown field {{name}}' in content
    )


def test_markup_in_a_canned_reply_is_escaped(as_bob, alpha, alpha_conversation):
    CannedReply.objects.create(business=alpha, title="<b>x</b>", body='"><script>alert(1)</script>')

    content = as_bob.get(url(alpha_conversation)).content.decode()

    assert "<script>alert(1)</script>" not in content and "<b>x</b>" not in content


# --- notes ------------------------------------------------------------------------------------------------


def test_an_agent_adds_an_internal_note(as_bob, bob, alpha_conversation):
    response = as_bob.post(url(alpha_conversation, "note"), {"body": "Gate code 4411"})

    assert response.status_code == 302
    note = ConversationEvent.objects.get(kind=ConversationEvent.NOTE)
    assert (note.body, note.actor, note.conversation_id) == ("Gate code 4411", bob, alpha_conversation.pk)
    assert not staff_replies().exists()  # a note is never texted


@pytest.mark.parametrize(
    "body, says", [("  ", "Write the note first."), ("n" * 2001, "A note can be at most 2000 characters")]
)
def test_a_bad_note_is_refused_with_a_message(as_bob, alpha_conversation, body, says):
    response = as_bob.post(url(alpha_conversation, "note"), {"body": body})

    assert response.status_code == 400 and says in response.content.decode()
    assert not ConversationEvent.objects.exists()


# --- close and reopen -------------------------------------------------------------------------------------


def test_an_agent_closes_and_reopens_a_conversation(as_bob, alpha_conversation):
    closed = as_bob.post(url(alpha_conversation, "close"))
    assert Conversation.objects.get(pk=alpha_conversation.pk).status == Conversation.CLOSED
    assert "Reopen conversation" in as_bob.get(url(alpha_conversation)).content.decode()

    reopened = as_bob.post(url(alpha_conversation, "reopen"))

    assert Conversation.objects.get(pk=alpha_conversation.pk).status == Conversation.OPEN
    assert flash(closed) == ["Conversation closed. It opens again by itself when the caller writes."]
    assert flash(reopened) == ["Conversation reopened."]
    kinds = list(ConversationEvent.objects.values_list("kind", flat=True))
    assert kinds == [ConversationEvent.CLOSED, ConversationEvent.REOPENED]


# --- assigning ----------------------------------------------------------------------------------------------


def test_a_manager_assigns_to_a_colleague_and_then_to_nobody(as_mary, bob, alpha_conversation):
    assigned = as_mary.post(url(alpha_conversation, "assign"), {"assignee": bob.pk})
    assert Conversation.objects.get(pk=alpha_conversation.pk).assignee == bob

    cleared = as_mary.post(url(alpha_conversation, "assign"), {"assignee": ""})

    assert Conversation.objects.get(pk=alpha_conversation.pk).assignee is None
    assert flash(assigned) == ["Assigned to bob."] and flash(cleared)[-1] == "Nobody is assigned now."


def test_the_assign_list_names_every_member_of_the_business_only(as_mary, alice, bob, charlie, alpha_conversation):
    content = as_mary.get(url(alpha_conversation)).content.decode()

    for user in (alice, bob):
        assert f'<option value="{user.pk}"' in content
    assert f'<option value="{charlie.pk}"' not in content


@pytest.mark.parametrize("who", ["charlie", "nobody-by-that-id", "abc"])
def test_assigning_someone_outside_the_business_is_refused(as_mary, charlie, alpha_conversation, who):
    value = {"charlie": charlie.pk, "nobody-by-that-id": 999999, "abc": "abc"}[who]
    before = snapshot(alpha_conversation)

    response = as_mary.post(url(alpha_conversation, "assign"), {"assignee": value})

    assert flash(response) == ["Not changed: That person does not work for this business."]
    assert snapshot(alpha_conversation) == before


def test_an_agent_cannot_assign(as_bob, bob, alpha_conversation):
    before = snapshot(alpha_conversation)

    response = as_bob.post(url(alpha_conversation, "assign"), {"assignee": bob.pk})

    assert response.status_code == 403
    assert snapshot(alpha_conversation) == before


# --- outcomes -------------------------------------------------------------------------------------------------


def test_a_manager_sets_booked_with_the_jobs_value(as_mary, mary, alpha_conversation):
    response = as_mary.post(url(alpha_conversation, "outcome"), {"outcome": "booked", "value": "$1,250.50"})

    row = Conversation.objects.get(pk=alpha_conversation.pk)
    assert (row.outcome, row.outcome_value, row.outcome_by) == ("booked", Decimal("1250.50"), mary)
    assert flash(response) == ["Outcome set: Booked, $1,250.50."]


@pytest.mark.parametrize(
    "value, says",
    [
        ("0", "A booked job's value must be more than zero."),
        ("-5", "A booked job's value must be more than zero."),
        ("- $5", "A booked job's value must be more than zero."),
        ("abc", "“abc” is not an amount; write the job's value like 350, 1,250 or $1,250.50."),
        ("", "“” is not an amount"),
        ("12.345", "Give the value to the cent at most"),
        ("1e5", "“1e5” is not an amount"),  # Decimal() reads it as 100000
        ("NaN", "“NaN” is not an amount"),
        ("Infinity", "“Infinity” is not an amount"),
        ("1_000", "“1_000” is not an amount"),
        ("\u0661\u0662", "“\u0661\u0662” is not an amount"),  # Decimal() reads it as 12
        ("1,25", "“1,25” is not an amount"),  # a comma sits between groups of three
        ("12,50.00", "“12,50.00” is not an amount"),
        ("350 dollars", "“350 dollars” is not an amount"),
        ("10000000", "That is more than $9,999,999.99 for one job"),
        ("9" * 40, "That is more than $9,999,999.99 for one job"),
    ],
)
def test_a_job_value_that_is_not_a_positive_amount_is_refused(as_mary, alpha_conversation, value, says):
    before = snapshot(alpha_conversation)

    response = as_mary.post(url(alpha_conversation, "outcome"), {"outcome": "booked", "value": value}, follow=True)

    assert says in response.content.decode().replace("&#x27;", "'")
    assert snapshot(alpha_conversation) == before


@pytest.mark.parametrize(
    ("value", "amount"),
    [("350", "350"), ("1,250", "1250"), ("$1,250.50", "1250.50"), ("$ 99.9", "99.90"), ("1234567.89", "1234567.89")],
)
def test_a_job_value_is_read_as_people_write_amounts(as_mary, alpha_conversation, value, amount):
    as_mary.post(url(alpha_conversation, "outcome"), {"outcome": "booked", "value": value})

    assert Conversation.objects.get(pk=alpha_conversation.pk).outcome_value == Decimal(amount)


def test_lost_needs_a_reason(as_mary, alpha_conversation):
    refused = as_mary.post(url(alpha_conversation, "outcome"), {"outcome": "lost", "reason": " "})
    assert flash(refused)[0].startswith("Not changed: Say why the job was lost")
    assert Conversation.objects.get(pk=alpha_conversation.pk).outcome == ""

    as_mary.post(url(alpha_conversation, "outcome"), {"outcome": "lost", "reason": "price"})

    row = Conversation.objects.get(pk=alpha_conversation.pk)
    assert (row.outcome, row.lost_reason, row.outcome_value) == ("lost", "price", None)


@pytest.mark.parametrize("outcome, words", [("no_show", "No-show"), ("spam", "Spam / wrong number")])
def test_no_show_and_spam_need_nothing_more(as_mary, alpha_conversation, outcome, words):
    response = as_mary.post(url(alpha_conversation, "outcome"), {"outcome": outcome, "value": "", "reason": ""})

    assert Conversation.objects.get(pk=alpha_conversation.pk).outcome == outcome
    assert flash(response) == [f"Outcome set: {words}."]


def test_an_outcome_can_be_cleared(as_mary, alpha_conversation):
    as_mary.post(url(alpha_conversation, "outcome"), {"outcome": "booked", "value": "350"})

    response = as_mary.post(url(alpha_conversation, "outcome"), {"outcome": "booked", "value": "350", "clear": "1"})

    row = Conversation.objects.get(pk=alpha_conversation.pk)
    assert (row.outcome, row.outcome_value) == ("", None)
    assert flash(response)[-1] == "Outcome cleared."


@pytest.mark.parametrize("outcome", ["", "won", "<b>"])
def test_an_unknown_or_missing_outcome_is_refused(as_mary, alpha_conversation, outcome):
    before = snapshot(alpha_conversation)

    response = as_mary.post(url(alpha_conversation, "outcome"), {"outcome": outcome})

    assert flash(response)[0].startswith("Not changed: ")
    assert snapshot(alpha_conversation) == before


def test_an_agent_cannot_set_an_outcome(as_bob, alpha_conversation):
    before = snapshot(alpha_conversation)

    response = as_bob.post(url(alpha_conversation, "outcome"), {"outcome": "booked", "value": "350"})

    assert response.status_code == 403
    assert snapshot(alpha_conversation) == before


def test_an_agent_sees_what_they_may_not_do_as_absent(as_bob, alpha_conversation):
    content = as_bob.get(url(alpha_conversation)).content.decode()

    assert "/assign" not in content and "/outcome" not in content
    assert "/reply" in content and "/note" in content and "/close" in content


def test_a_manager_sees_every_action(as_mary, alpha_conversation):
    content = as_mary.get(url(alpha_conversation)).content.decode()

    for action in ("reply", "note", "close", "assign", "outcome"):
        assert f'action="{url(alpha_conversation, action)}"' in content


def test_an_agent_serving_other_lines_does_not_see_this_one(as_bob, bob, alpha, alpha_sandbox_line, alpha_conversation):
    Membership.objects.get(user=bob, business=alpha).lines.set([alpha_sandbox_line])

    assert as_bob.get(url(alpha_conversation)).status_code == 404
    assert as_bob.get(url(alpha_conversation, "live")).status_code == 404
    assert as_bob.post(url(alpha_conversation, "reply"), {"body": "hi", "token": "t"}).status_code == 404
    assert not staff_replies().exists()


def test_an_agent_can_answer_a_conversation_a_manager_assigned_to_them_on_another_line(
    as_bob, bob, mary, alpha, alpha_sandbox_line, alpha_conversation
):
    Membership.objects.get(user=bob, business=alpha).lines.set([alpha_sandbox_line])
    do_assign(alpha_conversation, mary, bob)

    assert as_bob.get(url(alpha_conversation)).status_code == 200
    assert as_bob.get(url(alpha_conversation, "live")).status_code == 200
    as_bob.post(url(alpha_conversation, "reply"), {"body": "On my way", "token": "t2"})
    assert staff_replies().count() == 1


# --- CSRF -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "action, data",
    [
        ("reply", {"body": "hello", "token": "t"}),
        ("note", {"body": "a note"}),
        ("close", {}),
        ("reopen", {}),
        ("assign", {"assignee": ""}),
        ("outcome", {"outcome": "spam"}),
        ("presence", {"typing": "1"}),
    ],
)
def test_every_form_needs_its_csrf_token(mary, alpha_conversation, action, data):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(mary)
    before = snapshot(alpha_conversation)

    response = strict.post(url(alpha_conversation, action), data)

    assert response.status_code == 403
    assert snapshot(alpha_conversation) == before


def test_the_forms_work_with_the_token_the_page_gives(mary, alpha_conversation):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(mary)
    content = strict.get(url(alpha_conversation)).content.decode()
    token = content.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]

    response = strict.post(url(alpha_conversation, "note"), {"body": "ok", "csrfmiddlewaretoken": token})

    assert response.status_code == 302
