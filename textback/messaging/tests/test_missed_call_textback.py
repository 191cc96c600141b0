"""A missed call on the sandbox network becomes exactly one text-back, sent by the outbox."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from textback.calls.models import Call
from textback.conftest import ALPHA_SANDBOX_NUMBER, CALLER
from textback.messaging import actions
from textback.messaging.models import ConsentEvent, Contact, Message, MessageStatus
from textback.outbox.models import OutboxItem
from textback.providers.sandbox import carrier
from textback.providers.sandbox.models import SandboxMessage

pytestmark = pytest.mark.django_db

EXPECTED = "Hi there, Mike at AlphaPlumbing here, sorry we missed your call. What's going on? Reply STOP to opt out."


@pytest.fixture
def clock():
    with time_machine.travel("2025-03-03 15:00:00+00:00", tick=False) as traveller:
        yield traveller


def miss(line, scenario=carrier.NO_ANSWER, caller=CALLER, voicemail_seconds=0) -> Call:
    return carrier.place_call(
        carrier.SimulatedCall(line=line, caller=caller, scenario=scenario, voicemail_seconds=voicemail_seconds)
    )


def textbacks():
    return Message.objects.filter(direction=Message.OUT, purpose=Message.TEXTBACK)


@pytest.mark.parametrize("scenario", [carrier.NO_ANSWER, carrier.BUSY, carrier.HANG_UP, carrier.SCREENED_OUT])
def test_a_missed_call_queues_one_text_back_due_at_once(alpha_sandbox_line, clock, scenario):
    call = miss(alpha_sandbox_line, scenario)

    [message] = textbacks()
    assert message.body == EXPECTED
    assert (message.call, message.contact.number, message.line) == (call, CALLER, alpha_sandbox_line)
    assert message.sender_kind == Message.AUTOMATION and message.status == MessageStatus.SCHEDULED
    item = message.outbox_item
    assert item.due_at == call.ended_at == timezone.now()
    assert item.expires_at == item.due_at + timedelta(minutes=15)
    assert item.idempotency_key == f"textback:{call.pk}"
    call.refresh_from_db()
    assert (call.decision, call.decision_reason) == (Call.TEXT, "missed_call")


def test_an_answered_call_gets_no_text(alpha_sandbox_line):
    call = miss(alpha_sandbox_line, carrier.ANSWERED)

    assert not textbacks().exists()
    call.refresh_from_db()
    assert call.decision == Call.SKIP


def test_the_line_delay_puts_the_text_back_later(alpha_sandbox_line, clock):
    alpha_sandbox_line.delay_seconds = 90
    alpha_sandbox_line.save()

    call = miss(alpha_sandbox_line)

    assert textbacks().get().outbox_item.due_at == call.ended_at + timedelta(seconds=90)


def test_a_caller_who_left_a_voicemail_gets_the_voicemail_text(alpha_sandbox_line):
    miss(alpha_sandbox_line, voicemail_seconds=12)

    assert "We got your voicemail" in textbacks().get().body


def test_the_text_back_uses_the_callers_first_name_when_known(alpha, alpha_sandbox_line):
    Contact.objects.create(business=alpha, number=CALLER, name="Dana Lee")

    miss(alpha_sandbox_line)  # a contact on file is a repeat caller: the repeat-caller text greets them

    assert textbacks().get().body.startswith("Hi Dana, it's AlphaPlumbing again, Mike here")


def test_an_opted_out_caller_gets_no_text_back(alpha, alpha_sandbox_line):
    actions.record_consent(alpha, CALLER, ConsentEvent.OPT_OUT, source=ConsentEvent.STAFF)

    call = miss(alpha_sandbox_line)

    assert not textbacks().exists()
    call.refresh_from_db()
    assert (call.decision, call.decision_reason) == (Call.SKIP, "opted_out")


def test_a_second_missed_call_within_the_cooldown_gets_no_second_text(alpha_sandbox_line, clock):
    miss(alpha_sandbox_line)
    clock.shift(timedelta(hours=2))
    second = miss(alpha_sandbox_line)

    assert textbacks().count() == 1
    second.refresh_from_db()
    assert second.decision_reason == "cooldown"


def test_the_outbox_sends_the_text_back_and_the_handset_sees_it_delivered(alpha_sandbox_line, clock, run_outbox):
    miss(alpha_sandbox_line)

    run_outbox()
    clock.shift(timedelta(seconds=1))
    run_outbox()

    [carried] = SandboxMessage.objects.filter(to_number=CALLER)
    assert (carried.from_number, carried.body, carried.status) == (ALPHA_SANDBOX_NUMBER, EXPECTED, "delivered")
    message = textbacks().get()
    assert message.status == MessageStatus.DELIVERED and message.provider_message_id == carried.sid


def test_a_text_back_a_worker_reaches_too_late_is_expired_not_sent(alpha_sandbox_line, clock, run_outbox):
    miss(alpha_sandbox_line)

    clock.shift(timedelta(minutes=15, seconds=1))
    run_outbox()

    assert not SandboxMessage.objects.filter(to_number=CALLER).exists()
    message = textbacks().get()
    assert message.status == MessageStatus.EXPIRED
    assert message.outbox_item.status == OutboxItem.DEAD


def test_a_reply_before_the_delayed_text_back_cancels_it(alpha_sandbox_line, clock, run_outbox):
    alpha_sandbox_line.delay_seconds = 60
    alpha_sandbox_line.save()
    miss(alpha_sandbox_line)

    clock.shift(timedelta(seconds=30))
    carrier.text_from_handset(alpha_sandbox_line, CALLER, "Hi, my basement drain is slow")
    clock.shift(timedelta(seconds=31))
    run_outbox()

    assert not SandboxMessage.objects.filter(to_number=CALLER).exists()
    assert textbacks().get().status == MessageStatus.CANCELED
