"""Fixtures of the people pages: mail kept in the sandbox mailbox, and the links found in it."""

import re

import pytest

from textback.accounts.mail import SANDBOX_BACKEND
from textback.providers.sandbox.models import SandboxEmail

LINK = re.compile(r"https?://\S+")


@pytest.fixture
def sandbox_mail(settings):
    """Mail goes to the sandbox mailbox, as with no TEXTBACK_EMAIL_URL (pytest-django would keep it in memory)."""
    settings.EMAIL_BACKEND = SANDBOX_BACKEND


@pytest.fixture
def delivered(sandbox_mail, run_outbox):
    """Run the outbox, then the mails in the sandbox mailbox, oldest first."""

    def delivered():
        run_outbox()
        return list(SandboxEmail.objects.order_by("sent_at", "pk"))

    return delivered


def link_in(mail) -> str:
    """The path of the (one) link in a mail's text, to request with the test client."""
    (url,) = LINK.findall(mail.body)
    return url.removeprefix("https://textback.example.com")
