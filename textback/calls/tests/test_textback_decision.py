"""calls.actions in the database: a finished call is decided once, and a "yes" queues exactly one text."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import transaction

from textback.calls import actions, decide, outcomes, timing
from textback.calls.models import Call
from textback.conftest import ALPHA_CELL, ALPHA_NUMBER, CALLER
from textback.messaging.actions import record_consent
from textback.messaging.models import ConsentEvent, Contact, ExcludedNumber, Message, MessageStatus
from textback.outbox.models import OutboxItem

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
_ids = itertools.count(1)


def missed_call(line, caller: str = CALLER, outcome: str = outcomes.NO_ANSWER, *, voicemail: int | None = None) -> Call:
    """A call as a provider adapter reports it: started, ended with an outcome, maybe a voicemail."""
    with transaction.atomic():
        call, _ = actions.start_call(
            actions.CallStart(
                line=line, provider="test", call_id=f"call-{next(_ids)}", from_number=caller, to_number=line.number
            )
        )
        if voicemail is None:
            call = actions.do_call_ended(call, outcome)
        else:
            call = actions.do_voicemail(call, voicemail, outcome=outcome)
    call.refresh_from_db()
    return call


def textbacks() -> list[Message]:
    return list(Message.objects.filter(purpose=Message.TEXTBACK).order_by("pk"))


def test_a_missed_call_queues_one_text_back(alpha_line):
    call = missed_call(alpha_line)

    assert (call.state, call.outcome, call.decision, call.decision_reason) == (
        Call.ENDED,
        outcomes.NO_ANSWER,
        Call.TEXT,
        decide.TEXT_MISSED_CALL,
    )
    [text] = textbacks()
    assert (text.call, text.contact.number, text.line, text.direction) == (call, CALLER, alpha_line, Message.OUT)
    assert (text.status, text.sender_kind) == (MessageStatus.SCHEDULED, Message.AUTOMATION)
    assert "sorry we missed your call" in text.body and "Mike" in text.body
    assert OutboxItem.objects.get(message=text).status == OutboxItem.PENDING


def test_the_text_back_is_due_at_call_end_plus_the_line_delay_and_expires_after_the_staleness(alpha, alpha_line):
    alpha_line.delay_seconds = 45
    alpha_line.save()
    alpha.staleness_minutes = 10
    alpha.save()

    with time_machine.travel(T0, tick=False):
        call = missed_call(alpha_line)

    item = OutboxItem.objects.get(message__call=call)
    assert call.ended_at == T0
    assert item.due_at == T0 + timedelta(seconds=45)
    assert item.expires_at == item.due_at + timedelta(minutes=10)


def test_with_no_delay_the_text_back_is_due_the_moment_the_call_ends(alpha_line):
    with time_machine.travel(T0, tick=False):
        call = missed_call(alpha_line)

    item = OutboxItem.objects.get(message__call=call)
    assert (item.due_at, item.expires_at) == (T0, T0 + timedelta(minutes=15))


def test_a_caller_who_left_a_voicemail_gets_the_voicemail_text(alpha_line):
    call = missed_call(alpha_line, voicemail=14)

    assert (call.outcome, call.voicemail, call.voicemail_seconds, call.decision) == (
        outcomes.VOICEMAIL,
        True,
        14,
        Call.TEXT,
    )
    [text] = textbacks()
    assert "We got your voicemail" in text.body


def test_a_three_second_recording_counts_as_a_voicemail(alpha_line):
    call = missed_call(alpha_line, voicemail=timing.MIN_VOICEMAIL_SECONDS)

    assert (call.outcome, call.voicemail) == (outcomes.VOICEMAIL, True)
    assert "We got your voicemail" in textbacks()[0].body


def test_a_recording_shorter_than_three_seconds_is_not_a_voicemail_but_still_texted(alpha_line):
    call = missed_call(alpha_line, voicemail=2)

    assert (call.outcome, call.voicemail, call.decision) == (outcomes.NO_ANSWER, False, Call.TEXT)
    [text] = textbacks()
    assert "sorry we missed your call" in text.body and "voicemail" not in text.body


def test_a_blank_voicemail_template_falls_back_to_the_text_back_template(alpha_line):
    alpha_line.voicemail_template = ""
    alpha_line.save()

    missed_call(alpha_line, voicemail=20)

    assert "sorry we missed your call" in textbacks()[0].body


def test_a_second_missed_call_within_the_cool_down_is_not_texted(alpha_line):
    with time_machine.travel(T0, tick=False):
        missed_call(alpha_line)
    with time_machine.travel(T0 + timedelta(hours=23), tick=False):
        second = missed_call(alpha_line)

    assert (second.decision, second.decision_reason) == (Call.SKIP, decide.COOLDOWN)
    assert len(textbacks()) == 1


def test_a_missed_call_after_the_cool_down_is_texted_again(alpha_line):
    with time_machine.travel(T0, tick=False):
        missed_call(alpha_line)
    with time_machine.travel(T0 + timedelta(hours=24, minutes=1), tick=False):
        second = missed_call(alpha_line)

    assert second.decision == Call.TEXT
    assert len(textbacks()) == 2


def test_the_cool_down_is_the_business_setting(alpha, alpha_line):
    alpha.cooldown_hours = 1
    alpha.save()
    with time_machine.travel(T0, tick=False):
        missed_call(alpha_line)
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        assert missed_call(alpha_line).decision == Call.TEXT


def test_the_cool_down_is_per_business(alpha_line, beta_line):
    missed_call(alpha_line)
    other = missed_call(beta_line)

    assert other.decision == Call.TEXT
    assert len(textbacks()) == 2


def test_a_text_back_that_was_canceled_does_not_start_a_cool_down(alpha_line):
    first = missed_call(alpha_line)
    Message.objects.filter(call=first).update(status=MessageStatus.CANCELED)

    assert missed_call(alpha_line).decision == Call.TEXT


@pytest.mark.parametrize("own", [ALPHA_CELL, ALPHA_NUMBER])
def test_a_call_from_the_business_own_phones_is_not_texted(alpha_line, own):
    call = missed_call(alpha_line, caller=own)

    assert (call.decision, call.decision_reason) == (Call.SKIP, decide.OWN_NUMBER)
    assert textbacks() == []


def test_any_phone_any_line_of_the_business_rings_counts_as_its_own(alpha, alpha_line, alpha_sandbox_line):
    alpha_sandbox_line.forward_to = ["+15125550198", "+15125550197"]
    alpha_sandbox_line.save()

    call = missed_call(alpha_line, caller="+15125550197")

    assert (call.decision, call.decision_reason) == (Call.SKIP, decide.OWN_NUMBER)


def test_another_business_staff_phone_is_just_a_caller(alpha_line, beta_line):
    call = missed_call(alpha_line, caller=beta_line.forward_to[0])

    assert call.decision == Call.TEXT


def test_an_excluded_number_is_not_texted(alpha, alpha_line):
    ExcludedNumber.objects.create(business=alpha, number=CALLER, label="the supplier")

    call = missed_call(alpha_line)

    assert (call.decision, call.decision_reason) == (Call.SKIP, decide.EXCLUDED)
    assert textbacks() == []


def test_another_business_exclusion_does_not_apply(beta, alpha_line):
    ExcludedNumber.objects.create(business=beta, number=CALLER)

    assert missed_call(alpha_line).decision == Call.TEXT


def test_an_opted_out_caller_is_not_texted(alpha, alpha_line):
    record_consent(alpha, CALLER, ConsentEvent.OPT_OUT, source=ConsentEvent.KEYWORD, keyword="STOP")

    call = missed_call(alpha_line)

    assert (call.decision, call.decision_reason) == (Call.SKIP, decide.OPTED_OUT)
    assert textbacks() == []


def test_a_caller_who_opted_back_in_is_texted(alpha, alpha_line):
    record_consent(alpha, CALLER, ConsentEvent.OPT_OUT, source=ConsentEvent.KEYWORD, keyword="STOP")
    record_consent(alpha, CALLER, ConsentEvent.OPT_IN, source=ConsentEvent.KEYWORD, keyword="START")

    assert missed_call(alpha_line).decision == Call.TEXT


def test_a_known_landline_is_not_texted(alpha, alpha_line):
    Contact.objects.create(business=alpha, number=CALLER, is_landline=True)

    call = missed_call(alpha_line)

    assert (call.decision, call.decision_reason) == (Call.SKIP, decide.LANDLINE)


def test_an_invalid_caller_id_is_not_texted_and_makes_no_contact(alpha_line):
    call = missed_call(alpha_line, caller="+1512555014")  # a digit short

    assert (call.decision, call.decision_reason, call.contact) == (Call.SKIP, decide.INVALID_NUMBER, None)
    assert call.from_number == "+1512555014"
    assert Contact.objects.count() == 0
    assert textbacks() == []


def test_an_anonymous_caller_is_not_texted_and_makes_no_contact(alpha_line):
    call = missed_call(alpha_line, caller="+266696687")

    assert (call.decision, call.decision_reason, call.contact) == (Call.SKIP, decide.ANONYMOUS, None)
    assert Contact.objects.count() == 0


def test_a_caller_id_typed_nationally_is_matched_to_the_same_contact(alpha_line):
    call = missed_call(alpha_line, caller="(512) 555-0147")

    assert call.contact.number == CALLER


def test_deciding_a_call_twice_decides_once(alpha_line):
    call = missed_call(alpha_line)
    first_decided_at = call.decided_at

    with transaction.atomic():
        again = actions.decide_call(Call.objects.select_related("line__business").get(pk=call.pk))
        actions.do_call_ended(call, outcomes.NO_ANSWER)

    call.refresh_from_db()
    assert again is None
    assert call.decided_at == first_decided_at
    assert len(textbacks()) == 1
    assert OutboxItem.objects.count() == 1


def test_an_answered_call_is_not_texted(alpha_line):
    call = missed_call(alpha_line, outcome=outcomes.ANSWERED)

    assert (call.decision, call.decision_reason) == (Call.SKIP, decide.OUTCOME_NOT_SELECTED)
    assert textbacks() == []


def test_a_call_a_person_accepted_is_answered_whatever_is_reported_later(alpha_line):
    with transaction.atomic():
        call, _ = actions.start_call(
            actions.CallStart(
                line=alpha_line, provider="test", call_id="accepted", from_number=CALLER, to_number=ALPHA_NUMBER
            )
        )
        actions.do_accept(call)
        call = actions.do_call_ended(call, outcomes.CALLER_HUNG_UP)

    assert (call.outcome, call.decision) == (outcomes.ANSWERED, Call.SKIP)
    assert textbacks() == []


def test_the_business_choice_of_outcomes_is_honoured(alpha, alpha_line):
    alpha.textback_outcomes = "no_answer,voicemail"
    alpha.save()

    busy = missed_call(alpha_line, outcome=outcomes.BUSY)
    no_answer = missed_call(alpha_line, caller="+15125550148")

    assert (busy.decision, busy.decision_reason) == (Call.SKIP, decide.OUTCOME_NOT_SELECTED)
    assert no_answer.decision == Call.TEXT
    assert [t.call for t in textbacks()] == [no_answer]


def test_a_line_with_text_back_switched_off_texts_nobody(alpha_line):
    alpha_line.textback_enabled = False
    alpha_line.save()

    call = missed_call(alpha_line)

    assert (call.decision, call.decision_reason) == (Call.SKIP, decide.LINE_DISABLED)


def test_a_caller_outside_the_allowed_countries_is_not_texted(alpha_line):
    call = missed_call(alpha_line, caller="+18762345678")

    assert (call.decision, call.decision_reason) == (Call.SKIP, decide.COUNTRY_NOT_ALLOWED)


def test_a_call_still_waiting_for_a_voicemail_is_not_decided_yet(alpha_line):
    with transaction.atomic():
        call, _ = actions.start_call(
            actions.CallStart(
                line=alpha_line, provider="test", call_id="waiting", from_number=CALLER, to_number=ALPHA_NUMBER
            )
        )
        call = actions.do_call_ended(call, outcomes.NO_ANSWER, voicemail_expected=True)

    assert (call.state, call.decision, call.decided_at) == (Call.RINGING, "", None)
    assert call.awaiting_voicemail and call.decide_by is not None
    assert textbacks() == []
