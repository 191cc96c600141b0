"""A little history for the staff pages to show: a missed call, its text-back, a reply, and an opt-out."""

import pytest

from textback.calls.models import Call
from textback.messaging.models import Conversation, Message
from textback.testing import a_missed_call, an_inbound_text, delivery_reports


@pytest.fixture
def alpha_call(alpha_line) -> Call:
    return a_missed_call(alpha_line)


@pytest.fixture
def alpha_conversation(alpha_call) -> Conversation:
    text = Message.objects.get(call=alpha_call)
    delivery_reports(text, "sent", "delivered", "sent")
    an_inbound_text(alpha_call.line, "Water heater is leaking, can you come today?")
    return text.conversation


@pytest.fixture
def beta_call(beta_line) -> Call:
    return a_missed_call(beta_line, caller="+12145550147")


@pytest.fixture
def beta_conversation(beta_call) -> Conversation:
    return Message.objects.get(call=beta_call).conversation
