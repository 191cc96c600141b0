"""A little history for the staff pages to show: a missed call, its text-back, a reply, and an opt-out."""

import itertools

import pytest
from django.db import transaction

from textback.calls import actions as calls
from textback.calls import outcomes
from textback.calls.models import Call
from textback.conftest import CALLER
from textback.messaging import actions as messaging
from textback.messaging.models import Conversation, Message

_ids = itertools.count(1)


def record_call(line, caller: str = CALLER, outcome: str = outcomes.NO_ANSWER, caller_name: str = "") -> Call:
    with transaction.atomic():
        call, _ = calls.start_call(
            calls.CallStart(
                line=line,
                provider=line.provider,
                call_id=f"CA{next(_ids):032x}",
                from_number=caller,
                to_number=line.number,
                caller_name=caller_name,
            )
        )
        call = calls.do_call_ended(call, outcome)
    call.refresh_from_db()
    return call


def receive(line, body: str, caller: str = CALLER) -> Message:
    with transaction.atomic():
        return messaging.do_inbound_sms(
            messaging.Inbound(
                line=line,
                provider=line.provider,
                provider_message_id=f"SM{next(_ids):032x}",
                from_number=caller,
                body=body,
            )
        )


def report_status(message: Message, *statuses: str) -> None:
    """The provider accepted the text, then sent these delivery reports in this order."""
    if not message.provider_message_id:
        Message.objects.filter(pk=message.pk).update(provider_message_id=f"SM{next(_ids):032x}", status="queued")
        message.refresh_from_db()
    for status in statuses:
        messaging.do_message_status(
            messaging.StatusReport(
                provider=message.provider, provider_message_id=message.provider_message_id, status=status
            )
        )


@pytest.fixture
def alpha_call(alpha_line) -> Call:
    return record_call(alpha_line)


@pytest.fixture
def alpha_conversation(alpha_call) -> Conversation:
    text = Message.objects.get(call=alpha_call)
    report_status(text, "sent", "delivered", "sent")
    receive(alpha_call.line, "Water heater is leaking, can you come today?")
    return text.conversation


@pytest.fixture
def beta_call(beta_line) -> Call:
    return record_call(beta_line, caller="+12145550147")


@pytest.fixture
def beta_conversation(beta_call) -> Conversation:
    return Message.objects.get(call=beta_call).conversation
