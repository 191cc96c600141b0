"""Revocation by any reasonable means, through do_inbound_sms: opt-outs in plain words, and borderline ones
that pause automation until staff decide (messaging/revocations.py).

alpha_sandbox_line answers keywords itself; alpha_line is a Twilio line whose provider answers its own
keywords (but no carrier recognises "stop texting me").
"""

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from textback.calls import decide
from textback.calls.models import Call
from textback.conftest import CALLER
from textback.messaging import actions, revocations
from textback.messaging.conversations import Refused
from textback.messaging.models import ConsentEvent, Contact, Conversation, ConversationEvent, Message, MessageStatus
from textback.outbox.models import OutboxItem
from textback.testing import a_missed_call

pytestmark = pytest.mark.django_db

LONG = "I never called your company and I do not know who you are, so please stop texting me right now thanks"


def confirmations():
    return Message.objects.filter(direction=Message.OUT, purpose=Message.OPT_OUT_CONFIRMATION)


def ledger() -> list[tuple[str, str, str]]:
    return list(ConsentEvent.objects.filter(number=CALLER).values_list("kind", "source", "keyword"))


def contact() -> Contact:
    return Contact.objects.get(number=CALLER)


# --- a clear opt-out in plain words -------------------------------------------------------------------


@pytest.mark.parametrize(
    "body", ["stop texting me", "no me manden más mensajes", "Arrêtez de m'écrire svp", "lose my number"]
)
def test_a_plain_words_opt_out_in_any_of_three_languages_is_recorded_with_its_words(alpha_sandbox_line, text_in, body):
    text_in(alpha_sandbox_line, body)

    assert ledger() == [(ConsentEvent.OPT_OUT, ConsentEvent.PHRASE, body)]
    assert actions.is_opted_out(alpha_sandbox_line.business, CALLER)


def test_the_ledger_keeps_a_long_phrase_whole_up_to_160_characters(alpha_sandbox_line, text_in):
    text_in(alpha_sandbox_line, LONG + ". " + "Do not text me again. " * 4)

    [(_kind, _source, words)] = ledger()
    assert words.startswith(LONG) and len(words) == 160


def test_a_phrase_opt_out_gets_exactly_one_confirmation_due_at_once_and_useless_after_5_minutes(
    alpha, alpha_sandbox_line, text_in
):
    inbound = text_in(alpha_sandbox_line, "please stop texting me")

    [confirmation] = confirmations()
    assert confirmation.body == actions.opt_out_text(alpha)  # no marketing: the name, the fact, how to undo
    item = confirmation.outbox_item
    assert item.due_at <= inbound.created_at + timedelta(seconds=1)
    assert item.expires_at == item.due_at + timedelta(minutes=5)


def test_a_phrase_opt_out_on_a_line_whose_carrier_confirms_keywords_is_still_confirmed_by_us(alpha_line, text_in):
    text_in(alpha_line, "remove me from your list")

    assert confirmations().count() == 1


def test_a_carrier_keyword_on_such_a_line_is_left_to_the_carrier_to_confirm(alpha_line, text_in):
    text_in(alpha_line, "STOP")

    assert confirmations().count() == 0


def test_a_phrase_opt_out_cancels_a_pending_text_back_and_follow_up(alpha_sandbox_line, queue, text_in):
    textback = queue(alpha_sandbox_line, due_in=30)
    followup = queue(alpha_sandbox_line, purpose=Message.FOLLOWUP, due_in=3600)

    text_in(alpha_sandbox_line, "no more texts please")

    for message in (textback, followup):
        message.refresh_from_db()
        assert message.status == MessageStatus.CANCELED
        assert OutboxItem.objects.get(message=message).status == OutboxItem.CANCELED


def test_a_stop_after_a_phrase_opt_out_gets_no_second_confirmation(alpha_sandbox_line, text_in, run_outbox):
    text_in(alpha_sandbox_line, "stop texting me")
    run_outbox()
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        text_in(alpha_sandbox_line, "STOP")
        text_in(alpha_sandbox_line, "I said leave me alone")

    assert confirmations().count() == 1
    assert [kind for kind, _, _ in ledger()] == [ConsentEvent.OPT_OUT] * 3


def test_nothing_automatic_reaches_a_caller_who_opted_out_in_plain_words(alpha_sandbox_line, text_in):
    text_in(alpha_sandbox_line, "take me off your list")

    call = a_missed_call(alpha_sandbox_line)

    assert (call.decision, call.decision_reason) == (Call.SKIP, decide.OPTED_OUT)


@pytest.mark.parametrize("body", ["can you stop by tomorrow?", "the leak won't stop", "cancel my appointment?"])
def test_an_ordinary_reply_with_stop_or_cancel_in_it_changes_nothing(alpha_sandbox_line, text_in, body):
    text_in(alpha_sandbox_line, body)

    assert ledger() == []
    assert contact().automation_paused_at is None


# --- borderline: a person decides --------------------------------------------------------------------


def test_a_borderline_reply_pauses_automation_and_cancels_what_was_pending_without_opting_out(
    alpha_sandbox_line, queue, text_in
):
    textback = queue(alpha_sandbox_line, due_in=30)

    inbound = text_in(alpha_sandbox_line, "not interested")

    textback.refresh_from_db()
    assert textback.status == MessageStatus.CANCELED
    assert revocations.pending_phrase(contact()) == "not interested"
    assert ledger() == [] and confirmations().count() == 0
    assert Conversation.objects.get(pk=inbound.conversation_id).awaiting_since is not None  # staff owe an answer


def test_a_caller_paused_by_a_borderline_reply_gets_no_text_back(alpha_sandbox_line, text_in):
    text_in(alpha_sandbox_line, "who is this? stop")

    call = a_missed_call(alpha_sandbox_line)

    assert (call.decision, call.decision_reason) == (Call.SKIP, decide.AUTOMATION_PAUSED)


def decide_it(conversation, change, by):
    with transaction.atomic():
        convo = Conversation.objects.select_related("contact", "line", "business").get(pk=conversation.pk)
        return change(convo, by)


def test_staff_confirming_a_borderline_reply_record_the_opt_out_with_its_words_and_confirm_it(
    alpha, alpha_sandbox_line, text_in, alice
):
    inbound = text_in(alpha_sandbox_line, "wrong number")

    assert decide_it(inbound.conversation, revocations.do_confirm_opt_out, alice) is True

    assert ledger() == [(ConsentEvent.OPT_OUT, ConsentEvent.STAFF, "wrong number")]
    assert ConsentEvent.objects.get().message == inbound
    assert confirmations().count() == 1
    assert contact().automation_paused_at is None and actions.is_opted_out(alpha, CALLER)
    assert ConversationEvent.objects.filter(kind=revocations.OPT_OUT_CONFIRMED, actor=alice).count() == 1


def test_an_opt_out_confirmed_after_5_minutes_is_recorded_but_not_texted(alpha_sandbox_line, text_in, alice):
    inbound = text_in(alpha_sandbox_line, "not interested")

    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert decide_it(inbound.conversation, revocations.do_confirm_opt_out, alice) is False

    assert [kind for kind, _, _ in ledger()] == [ConsentEvent.OPT_OUT]
    assert confirmations().count() == 0


def test_staff_saying_it_was_no_opt_out_resume_automation(alpha_sandbox_line, text_in, bob):
    inbound = text_in(alpha_sandbox_line, "no thanks")

    decide_it(inbound.conversation, revocations.do_dismiss_opt_out, bob)

    assert contact().automation_paused_at is None and ledger() == []
    assert ConversationEvent.objects.get(kind=revocations.OPT_OUT_DISMISSED).body == "no thanks"
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert a_missed_call(alpha_sandbox_line).decision == Call.TEXT


def test_a_decision_already_taken_cannot_be_taken_again(alpha_sandbox_line, text_in, alice, bob):
    inbound = text_in(alpha_sandbox_line, "not interested")
    decide_it(inbound.conversation, revocations.do_dismiss_opt_out, bob)

    with pytest.raises(Refused):
        decide_it(inbound.conversation, revocations.do_confirm_opt_out, alice)
    assert ledger() == []


def test_a_clear_opt_out_after_a_borderline_one_leaves_staff_nothing_to_decide(alpha, alpha_sandbox_line, text_in):
    text_in(alpha_sandbox_line, "not interested")
    text_in(alpha_sandbox_line, "STOP")

    assert revocations.pending_phrase(contact()) is None
    assert actions.is_opted_out(alpha, CALLER) and confirmations().count() == 1


def test_it_forgets_the_callers_words_on_the_timeline_when_their_data_is_erased(
    alpha_sandbox_line, text_in, alice, bob
):
    from textback.messaging import records

    confirmed = text_in(alpha_sandbox_line, "wrong number")
    decide_it(confirmed.conversation, revocations.do_confirm_opt_out, alice)
    dismissed = text_in(alpha_sandbox_line, "no thanks", from_number="+15125550148")
    decide_it(dismissed.conversation, revocations.do_dismiss_opt_out, bob)

    with transaction.atomic():
        records.do_erase_contact(contact(), alice)
        records.do_erase_contact(Contact.objects.get(number="+15125550148"), alice)

    kinds = [revocations.OPT_OUT_CONFIRMED, revocations.OPT_OUT_DISMISSED]
    assert ConversationEvent.objects.filter(kind__in=kinds).count() == 2
    assert set(ConversationEvent.objects.filter(kind__in=kinds).values_list("body", flat=True)) == {""}
