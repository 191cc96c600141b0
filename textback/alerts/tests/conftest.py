"""Fixtures of the alert tests: a real local server a webhook alert is delivered to (the SMTP server is
`smtp` in textback/conftest.py)."""

import pytest

from tests.support.webhook_receiver import WebhookReceiver


@pytest.fixture
def receiver():
    """A local HTTP server receiving outgoing webhooks."""
    server = WebhookReceiver().start()
    yield server
    server.stop()
