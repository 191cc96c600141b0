"""Fixtures of the alert tests: a real local server a webhook alert is delivered to (the SMTP server is
`smtp` in textback/conftest.py)."""

import pytest

from tests.support.webhook_receiver import WebhookReceiver


@pytest.fixture
def receiver(settings):
    """A local HTTP server receiving outgoing webhooks. It is on this machine, a private address, so the
    operator's opt-in TEXTBACK_ALLOW_PRIVATE_WEBHOOKS is on while it runs (the tests of the refusal turn it off)."""
    settings.ALLOW_PRIVATE_WEBHOOKS = True
    server = WebhookReceiver().start()
    yield server
    server.stop()
