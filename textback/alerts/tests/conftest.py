"""Fixtures of the alert tests: real local servers an alert is delivered to."""

import pytest

from tests.support.smtp import SmtpServer
from tests.support.webhook_receiver import WebhookReceiver


@pytest.fixture
def receiver():
    """A local HTTP server receiving outgoing webhooks."""
    server = WebhookReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def smtp(settings):
    """A real SMTP server (aiosmtpd) that Django's SMTP backend talks to."""
    server = SmtpServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield server
    server.stop()
