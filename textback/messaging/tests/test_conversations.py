"""What staff do to a conversation, below the pages: every change checked first, and recorded."""

from decimal import Decimal

import pytest
from django.db import transaction

from textback.accounts.models import Membership
from textback.messaging import conversations
from textback.messaging.conversations import Refused
from textback.messaging.models import Conversation, ConversationEvent, Message, MessageStatus
from textback.outbox.models import OutboxItem
from textback.testing import a_missed_call, a_staff_reply, an_inbound_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(alpha_sandbox_line):
    call = a_missed_call(alpha_sandbox_line)
    an_inbound_text(alpha_sandbox_line, "My basement is flooding")
    return Conversation.objects.select_related("business", "line", "contact").get(messages__call=call)


def test_a_staff_reply_goes_through_the_outbox_as_sent_by_that_person(conversation, bob):
    reply = a_staff_reply(conversation, bob, "On our way, 20 minutes.")
    assert (reply.purpose, reply.sender_kind, reply.sent_by_id) == (Message.REPLY, Message.STAFF, bob.pk)
    assert reply.status == MessageStatus.SCHEDULED
    assert OutboxItem.objects.get(message=reply).status == OutboxItem.PENDING


def test_a_staff_reply_stops_the_sla_clock(conversation, bob):
    conversation.refresh_from_db()
    assert conversation.awaiting_since is not None
    a_staff_reply(conversation, bob)
    conversation.refresh_from_db()
    assert conversation.awaiting_since is None and conversation.staff_replied_at is not None


def test_a_caller_message_starts_the_sla_clock_once_and_a_later_one_does_not_restart_it(conversation):
    conversation.refresh_from_db()
    first = conversation.awaiting_since
    an_inbound_text(conversation.line, "Hello?")
    conversation.refresh_from_db()
    assert conversation.awaiting_since == first


def test_a_stop_does_not_start_the_sla_clock(alpha_sandbox_line):
    call = a_missed_call(alpha_sandbox_line)
    an_inbound_text(alpha_sandbox_line, "STOP")
    convo = Conversation.objects.get(messages__call=call)
    assert convo.awaiting_since is None


def test_a_staff_reply_cancels_the_automatic_texts_still_pending(alpha_sandbox_line, bob):
    alpha_sandbox_line.delay_seconds = 600
    alpha_sandbox_line.save()
    call = a_missed_call(alpha_sandbox_line)
    textback = Message.objects.get(call=call)
    convo = Conversation.objects.get(pk=textback.conversation_id)
    a_staff_reply(convo, bob)
    textback.refresh_from_db()
    assert textback.status == MessageStatus.CANCELED
    assert ConversationEvent.objects.filter(conversation=convo, kind=ConversationEvent.AUTOMATION_CANCELED).exists()


def test_it_refuses_to_text_a_contact_who_opted_out_and_writes_nothing(conversation, bob):
    an_inbound_text(conversation.line, "STOP")
    before = Message.objects.count()
    with pytest.raises(Refused, match="opted out .* by texting STOP"):
        a_staff_reply(conversation, bob)
    assert Message.objects.count() == before


def test_an_empty_or_oversized_reply_is_refused(conversation, bob):
    with pytest.raises(Refused, match="empty"):
        a_staff_reply(conversation, bob, "   ")
    with pytest.raises(Refused, match="at most 1600"):
        a_staff_reply(conversation, bob, "x" * 1601)


def test_a_reply_from_a_switched_off_line_is_refused(conversation, bob):
    conversation.line.active = False
    conversation.line.save()
    with pytest.raises(Refused, match="switched off"):
        a_staff_reply(conversation, bob)


def test_a_form_submitted_twice_sends_one_reply(conversation, bob):
    with transaction.atomic():
        first = conversations.do_staff_reply(conversation, bob, "Coming at 3", token="form-1")
    with transaction.atomic():
        again = conversations.do_staff_reply(conversation, bob, "Coming at 3", token="form-1")
    assert first.pk == again.pk
    assert Message.objects.filter(purpose=Message.REPLY).count() == 1


def test_a_booked_outcome_needs_a_positive_value(conversation, mary):
    for bad in ("", "0", "-5", "abc", "12.345", "NaN", "99999999"):
        with pytest.raises(Refused):
            conversations.do_set_outcome(conversation, mary, Conversation.BOOKED, value=bad)
    conversations.do_set_outcome(conversation, mary, Conversation.BOOKED, value="$1,250.50")
    conversation.refresh_from_db()
    assert (conversation.outcome, conversation.outcome_value) == (Conversation.BOOKED, Decimal("1250.50"))


def test_a_lost_outcome_needs_a_reason(conversation, mary):
    with pytest.raises(Refused, match="why"):
        conversations.do_set_outcome(conversation, mary, Conversation.LOST)
    conversations.do_set_outcome(conversation, mary, Conversation.LOST, reason="went with another plumber")
    assert ConversationEvent.objects.get(kind=ConversationEvent.OUTCOME).body == "lost:went with another plumber"


def test_only_a_member_of_the_business_can_be_assigned(conversation, mary, charlie, bob):
    with pytest.raises(Refused):
        conversations.do_assign(conversation, mary, charlie)
    conversations.do_assign(conversation, mary, bob)
    conversation.refresh_from_db()
    assert conversation.assignee == bob


def test_closing_and_a_new_caller_message_reopens(conversation, bob):
    conversations.do_close(conversation, bob)
    an_inbound_text(conversation.line, "Are you still coming?")
    conversation.refresh_from_db()
    assert conversation.status == Conversation.OPEN and conversation.closed_at is None


def test_once_a_person_has_answered_a_new_missed_call_gets_no_automatic_text(conversation, bob):
    a_staff_reply(conversation, bob, "Plumber on the way")
    call = a_missed_call(conversation.line)
    assert (call.decision, call.decision_reason) == ("skip", "staff_talking")


def test_a_switched_off_line_sends_no_text_back(alpha_sandbox_line):
    alpha_sandbox_line.active = False
    alpha_sandbox_line.save()
    call = a_missed_call(alpha_sandbox_line)
    assert (call.decision, call.decision_reason) == ("skip", "line_disabled")


def test_a_colleague_calling_from_their_own_phone_gets_no_text_back(alpha, alpha_sandbox_line, bob):
    Membership.objects.filter(user=bob, business=alpha).update(phone="+15125550166")
    call = a_missed_call(alpha_sandbox_line, caller="+15125550166")
    assert (call.decision, call.decision_reason) == ("skip", "own_number")
