"""STOP, START and HELP through do_inbound_sms, and the consent ledger they write.

alpha_sandbox_line answers keywords itself (keyword_replies=ours); alpha_line is a
Twilio line whose provider answers them (keyword_replies=provider).
"""

import pytest
import time_machine

from textback.conftest import ALPHA_SANDBOX_NUMBER, CALLER
from textback.messaging import actions
from textback.messaging.models import AppendOnly, ConsentEvent, Conversation, Message, MessageStatus
from textback.outbox.models import OutboxItem

pytestmark = pytest.mark.django_db

OTHER = "+15125550148"


def replies(purpose: str, number: str = CALLER):
    return Message.objects.filter(direction=Message.OUT, purpose=purpose, contact__number=number)


def ledger(number: str = CALLER) -> list[tuple[str, str, str]]:
    return list(ConsentEvent.objects.filter(number=number).values_list("kind", "source", "keyword"))


# --- STOP -----------------------------------------------------------------------------------


def test_stop_writes_an_opt_out_to_the_ledger_with_the_inbound_message(alpha, alpha_sandbox_line, text_in):
    inbound = text_in(alpha_sandbox_line, "Stop")

    [event] = ConsentEvent.objects.all()
    assert (event.business, event.number, event.kind) == (alpha, CALLER, ConsentEvent.OPT_OUT)
    assert (event.source, event.keyword, event.line) == (ConsentEvent.KEYWORD, "STOP", alpha_sandbox_line)
    assert event.message == inbound and inbound.body == "Stop"
    assert actions.is_opted_out(alpha, CALLER)


def test_stop_is_still_recorded_as_a_message_in_the_conversation(alpha_sandbox_line, text_in):
    inbound = text_in(alpha_sandbox_line, "STOP")

    assert (inbound.direction, inbound.status, inbound.purpose) == (Message.IN, MessageStatus.RECEIVED, Message.INBOUND)
    assert inbound.conversation.line == alpha_sandbox_line


def test_stop_cancels_every_scheduled_text_to_that_contact(alpha, alpha_line, alpha_sandbox_line, queue, text_in):
    textback = queue(alpha_line, due_in=30)
    followup = queue(alpha_sandbox_line, purpose=Message.FOLLOWUP, due_in=3600)
    staff_reply = queue(alpha_sandbox_line, purpose=Message.REPLY, due_in=60)
    someone_else = queue(alpha_sandbox_line, to=OTHER, due_in=30)

    text_in(alpha_sandbox_line, "STOP")

    for message in (textback, followup, staff_reply):
        message.refresh_from_db()
        assert message.status == MessageStatus.CANCELED
        assert OutboxItem.objects.get(message=message).status == OutboxItem.CANCELED
    someone_else.refresh_from_db()
    assert someone_else.status == MessageStatus.SCHEDULED


def test_stop_queues_exactly_one_confirmation(alpha, alpha_sandbox_line, text_in):
    inbound = text_in(alpha_sandbox_line, "stop")

    [confirmation] = replies(Message.OPT_OUT_CONFIRMATION)
    assert confirmation.body == actions.opt_out_text(alpha)
    assert "AlphaPlumbing" in confirmation.body and "START" in confirmation.body
    assert confirmation.status == MessageStatus.SCHEDULED
    assert confirmation.line == alpha_sandbox_line and confirmation.conversation == inbound.conversation
    item = confirmation.outbox_item
    assert item.status == OutboxItem.PENDING and item.due_at <= confirmation.created_at
    assert item.expires_at is not None  # a confirmation that cannot go out promptly is not worth sending
    assert Message.objects.filter(direction=Message.OUT).count() == 1


def test_a_confirmation_gets_no_first_text_additions(alpha, alpha_sandbox_line, text_in):
    text_in(alpha_sandbox_line, "STOP")

    [confirmation] = replies(Message.OPT_OUT_CONFIRMATION)
    assert confirmation.body.count("AlphaPlumbing") == 1
    assert "Reply STOP to opt out" not in confirmation.body


def test_a_second_stop_queues_no_second_confirmation(alpha, alpha_sandbox_line, text_in, run_outbox):
    text_in(alpha_sandbox_line, "STOP")
    run_outbox()  # the first confirmation goes out
    text_in(alpha_sandbox_line, "STOP")

    assert replies(Message.OPT_OUT_CONFIRMATION).count() == 1
    assert [kind for kind, _, _ in ledger()] == [ConsentEvent.OPT_OUT, ConsentEvent.OPT_OUT]


def test_a_second_stop_before_the_first_confirmation_went_out_still_leaves_it_to_be_sent(alpha_sandbox_line, text_in):
    # People often send STOP twice in a row; the worker may not have sent the first answer yet.
    text_in(alpha_sandbox_line, "STOP")
    text_in(alpha_sandbox_line, "Stop!")

    confirmations = replies(Message.OPT_OUT_CONFIRMATION)
    assert [m.status for m in confirmations] == [MessageStatus.SCHEDULED]


def test_a_plain_request_to_stop_opts_out_as_a_phrase(alpha_sandbox_line, text_in):
    text_in(alpha_sandbox_line, "Please stop texting me")

    assert ledger() == [(ConsentEvent.OPT_OUT, ConsentEvent.PHRASE, "Please stop texting me")]
    assert replies(Message.OPT_OUT_CONFIRMATION).count() == 1


def test_an_ordinary_sentence_with_stop_in_it_is_just_a_reply(alpha_sandbox_line, text_in):
    text_in(alpha_sandbox_line, "Can you stop by at 5?")

    assert ledger() == []
    assert not Message.objects.filter(direction=Message.OUT).exists()


def test_a_stop_from_a_number_written_without_country_code_opts_out_that_contact(alpha, alpha_sandbox_line, text_in):
    text_in(alpha_sandbox_line, "STOP", from_number="5125550147")

    assert actions.is_opted_out(alpha, CALLER)


def test_opting_out_of_one_business_leaves_another_business_alone(
    alpha, beta, alpha_sandbox_line, beta_line, queue, text_in
):
    betas_text = queue(beta_line, due_in=30)

    text_in(alpha_sandbox_line, "STOP")

    assert not actions.is_opted_out(beta, CALLER)
    betas_text.refresh_from_db()
    assert betas_text.status == MessageStatus.SCHEDULED


def test_the_opt_out_applies_to_every_line_of_the_business(alpha, alpha_line, alpha_sandbox_line, text_in):
    text_in(alpha_line, "STOP")

    assert actions.is_opted_out(alpha, CALLER)
    assert ConsentEvent.objects.get().line == alpha_line


# --- START ----------------------------------------------------------------------------------


def test_start_after_stop_opts_back_in_with_a_confirmation(alpha, alpha_sandbox_line, text_in):
    text_in(alpha_sandbox_line, "STOP")
    start = text_in(alpha_sandbox_line, "Start")

    assert [kind for kind, _, _ in ledger()] == [ConsentEvent.OPT_OUT, ConsentEvent.OPT_IN]
    assert ConsentEvent.objects.last().message == start
    assert not actions.is_opted_out(alpha, CALLER)
    [confirmation] = replies(Message.OPT_IN_CONFIRMATION)
    assert confirmation.body == actions.opt_in_text(alpha)
    assert "STOP" in confirmation.body and "HELP" in confirmation.body


@pytest.mark.parametrize("word", ["YES", "unstop"])
def test_the_other_opt_in_keywords_work_too(alpha, alpha_sandbox_line, text_in, word):
    text_in(alpha_sandbox_line, "STOP")
    text_in(alpha_sandbox_line, word)

    assert not actions.is_opted_out(alpha, CALLER)


def test_start_from_someone_never_opted_out_is_just_a_message(alpha_sandbox_line, queue, text_in):
    pending = queue(alpha_sandbox_line, due_in=30)

    inbound = text_in(alpha_sandbox_line, "Yes")

    assert ledger() == []
    assert not replies(Message.OPT_IN_CONFIRMATION).exists()
    assert inbound.direction == Message.IN and inbound.body == "Yes"
    pending.refresh_from_db()
    assert pending.status == MessageStatus.CANCELED  # a reply like any other


def test_start_twice_confirms_once(alpha_sandbox_line, text_in):
    text_in(alpha_sandbox_line, "STOP")
    text_in(alpha_sandbox_line, "START")
    text_in(alpha_sandbox_line, "START")

    assert [kind for kind, _, _ in ledger()] == [ConsentEvent.OPT_OUT, ConsentEvent.OPT_IN]
    assert replies(Message.OPT_IN_CONFIRMATION).count() == 1


def test_stop_start_stop_leaves_the_contact_opted_out(alpha, alpha_sandbox_line, text_in):
    for word in ("STOP", "START", "STOP"):
        text_in(alpha_sandbox_line, word)

    assert actions.is_opted_out(alpha, CALLER)
    assert replies(Message.OPT_OUT_CONFIRMATION).count() == 2


# --- HELP -----------------------------------------------------------------------------------


def test_help_answers_with_the_business_how_to_reach_it_rates_and_how_to_stop(alpha, alpha_sandbox_line, text_in):
    text_in(alpha_sandbox_line, "HELP")

    [answer] = replies(Message.HELP)
    assert "AlphaPlumbing" in answer.body
    assert "call (512) 555-0100" in answer.body  # alpha's help_contact
    assert "Msg & data rates may apply" in answer.body
    assert "Reply STOP to opt out" in answer.body
    assert ledger() == [(ConsentEvent.HELP, ConsentEvent.KEYWORD, "HELP")]


def test_help_without_a_help_contact_points_at_the_line_itself(beta, beta_line, text_in):
    text_in(beta_line, "info")

    [answer] = replies(Message.HELP)
    assert "BetaHVAC" in answer.body and "(214) 555-0100" in answer.body


def test_help_does_not_change_consent(alpha, alpha_sandbox_line, text_in):
    text_in(alpha_sandbox_line, "STOP")
    text_in(alpha_sandbox_line, "HELP")

    assert actions.is_opted_out(alpha, CALLER)
    assert replies(Message.HELP).count() == 1  # an opted-out contact may still ask for help


def test_help_does_not_cancel_a_text_back_on_its_way(alpha_sandbox_line, queue, text_in):
    pending = queue(alpha_sandbox_line, due_in=30)

    text_in(alpha_sandbox_line, "HELP")

    pending.refresh_from_db()
    assert pending.status == MessageStatus.SCHEDULED


# --- lines whose provider answers keywords --------------------------------------------------


def test_on_a_line_whose_provider_confirms_stop_we_queue_no_confirmation_but_write_the_ledger(alpha_line, text_in):
    text_in(alpha_line, "STOP")

    assert len(ledger()) == 1
    assert not Message.objects.filter(direction=Message.OUT).exists()
    assert not OutboxItem.objects.exists()


def test_help_is_answered_with_the_business_name_even_where_the_provider_answers_keywords(alpha_line, text_in):
    """A carrier's stock HELP reply does not say who is texting; ours does."""
    text_in(alpha_line, "HELP")

    assert len(ledger()) == 1
    [answer] = Message.objects.filter(direction=Message.OUT)
    assert answer.purpose == Message.HELP and "AlphaPlumbing" in answer.body


def test_on_a_provider_line_start_after_stop_opts_back_in_without_a_confirmation(alpha, alpha_line, text_in):
    text_in(alpha_line, "STOP")
    text_in(alpha_line, "START")

    assert not actions.is_opted_out(alpha, CALLER)
    assert not Message.objects.filter(direction=Message.OUT).exists()


def test_twilio_advanced_opt_out_type_decides_what_a_custom_keyword_means(alpha, alpha_line, text_in):
    text_in(alpha_line, "Arrêtez", provider_type="STOP")

    assert actions.is_opted_out(alpha, CALLER)
    assert ConsentEvent.objects.get().keyword == "Arrêtez"


# --- the ledger -----------------------------------------------------------------------------


def test_the_ledger_refuses_updates(alpha_sandbox_line, text_in):
    text_in(alpha_sandbox_line, "STOP")
    event = ConsentEvent.objects.get()

    event.kind = ConsentEvent.OPT_IN
    with pytest.raises(AppendOnly):
        event.save()
    assert ConsentEvent.objects.get().kind == ConsentEvent.OPT_OUT


def test_the_ledger_refuses_deletes(alpha_sandbox_line, text_in):
    text_in(alpha_sandbox_line, "STOP")
    event = ConsentEvent.objects.get()

    with pytest.raises(AppendOnly):
        event.delete()
    assert ConsentEvent.objects.count() == 1


def test_the_latest_ledger_entry_decides_even_within_the_same_second(alpha, alpha_sandbox_line, text_in):
    with time_machine.travel("2025-03-01 15:00:00+00:00", tick=False):
        text_in(alpha_sandbox_line, "STOP")
        text_in(alpha_sandbox_line, "START")
        assert not actions.is_opted_out(alpha, CALLER)
        text_in(alpha_sandbox_line, "STOP")
        assert actions.is_opted_out(alpha, CALLER)


# --- ordinary replies -----------------------------------------------------------------------


def test_a_reply_cancels_pending_automatic_texts_but_not_a_staff_reply(alpha_sandbox_line, queue, text_in):
    textback = queue(alpha_sandbox_line, due_in=30)
    followup = queue(alpha_sandbox_line, purpose=Message.FOLLOWUP, due_in=3600)
    staff_reply = queue(alpha_sandbox_line, purpose=Message.REPLY, due_in=60)

    text_in(alpha_sandbox_line, "Water heater is leaking, can someone come today?")

    for message, status in ((textback, "canceled"), (followup, "canceled"), (staff_reply, "scheduled")):
        message.refresh_from_db()
        assert message.status == status, message.purpose
    assert ledger() == []


def test_a_reply_reopens_a_closed_conversation(alpha_sandbox_line, text_in):
    first = text_in(alpha_sandbox_line, "hello")
    Conversation.objects.filter(pk=first.conversation_id).update(status=Conversation.CLOSED)

    text_in(alpha_sandbox_line, "me again")

    assert Conversation.objects.get(pk=first.conversation_id).status == Conversation.OPEN
    assert Conversation.objects.count() == 1


def test_an_inbound_text_is_stored_with_its_shape(alpha_sandbox_line, text_in):
    inbound = text_in(alpha_sandbox_line, "Leak 💧 in the kitchen")

    assert (inbound.encoding, inbound.segments) == ("UCS-2", 1)
    assert inbound.contact.number == CALLER and inbound.line.number == ALPHA_SANDBOX_NUMBER
