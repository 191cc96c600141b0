"""Helpers for the messaging tests: texts in (queue and run_outbox come from textback/conftest.py)."""

import itertools

import pytest

from textback.conftest import CALLER
from textback.messaging import actions
from textback.messaging.models import Message

_sids = itertools.count(1)


@pytest.fixture
def text_in():
    """A contact texts a line (as the provider's webhook would report it)."""

    def text_in(line, body: str, *, from_number: str = CALLER, provider_type: str = "") -> Message:
        return actions.do_inbound_sms(
            actions.Inbound(
                line=line,
                provider=line.account.provider,
                provider_message_id=f"SMin{next(_sids):030d}",
                from_number=from_number,
                body=body,
                provider_type=provider_type,
            )
        )

    return text_in
