"""Helpers for the messaging tests: texts in, texts out, and one worker tick run by hand."""

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from textback.conftest import CALLER
from textback.messaging import actions
from textback.messaging.models import Message
from textback.outbox import worker

_sids = itertools.count(1)


@pytest.fixture
def text_in():
    """A contact texts a line (as the provider's webhook would report it)."""

    def text_in(line, body: str, *, from_number: str = CALLER, provider_type: str = "") -> Message:
        return actions.do_inbound_sms(
            actions.Inbound(
                line=line, provider=line.account.provider, provider_message_id=f"SMin{next(_sids):030d}",
                from_number=from_number, body=body, provider_type=provider_type,
            )
        )

    return text_in


@pytest.fixture
def queue():
    """Queue an outbound text to a number through the one path every text takes."""

    def queue(line, body: str = "Sorry we missed your call, how can we help?", *, to: str = CALLER,
              purpose: str = Message.TEXTBACK, due_in: float = 0.0, expires_in: float | None = 900.0) -> Message:
        due = timezone.now() + timedelta(seconds=due_in)
        return actions.queue_text(
            line=line, contact=actions.contact_for(line.business, to), body=body, purpose=purpose,
            key=f"test:{next(_sids)}", due_at=due,
            expires_at=None if expires_in is None else due + timedelta(seconds=expires_in),
        )

    return queue


@pytest.fixture
def run_outbox():
    """One worker tick in this thread: claim what is due now and carry it out."""
    worker._load_handlers()

    def run_outbox(name: str = "test-worker"):
        claimed = worker.claim(name, 100)
        for item, reconcile in claimed:
            worker.HANDLERS[item.kind](item, reconcile)
        return claimed

    return run_outbox
