"""The cast for the set-up verb and check tests, and a way to run a command as a user would.

Acme Plumbing (slug "acme", Austin) has a Twilio account and a sandbox account;
Bolt Electric (slug "bolt") is a second tenant. Nothing else exists until a test makes it.
"""

import io
from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from textback.accounts.models import Business
from textback.providers.models import SANDBOX, TWILIO, ProviderAccount

SID = "AC" + "0123456789abcdef" * 2
TOKEN = "f00dfeedc0ffee0ddba11deadbeef123"  # distinctive, so a test can search any output for it
PUBLIC_URL = "https://textback.example.com"


@dataclass
class Result:
    """What the user sees: the exit status and the two output streams."""

    code: int
    out: str
    err: str

    @property
    def output(self) -> str:
        return self.out + self.err


@pytest.fixture
def textback(db):
    """Run `textback <args>`; a CommandError becomes its exit status and message, like the console script."""

    def run(*args: str, stdin: str | None = None) -> Result:
        out, err = io.StringIO(), io.StringIO()
        extra = {} if stdin is None else {"stdin": io.StringIO(stdin)}
        try:
            call_command(*args, stdout=out, stderr=err, no_color=True, **extra)
        except CommandError as exc:
            return Result(exc.returncode, out.getvalue(), err.getvalue() + str(exc))
        return Result(0, out.getvalue(), err.getvalue())

    return run


@pytest.fixture
def public_url(settings):
    settings.PUBLIC_URL = PUBLIC_URL
    settings.ALLOWED_HOSTS = ["textback.example.com"]
    return PUBLIC_URL


@pytest.fixture
def acme(db):
    return Business.objects.create(
        name="Acme Plumbing", slug="acme", time_zone="America/Chicago", help_contact="call (512) 555-0100"
    )


@pytest.fixture
def bolt(db):
    return Business.objects.create(name="Bolt Electric", slug="bolt", help_contact="bolt.example")


@pytest.fixture
def twilio_account(acme):
    return ProviderAccount.objects.create(
        business=acme, provider=TWILIO, label="main", account_sid=SID, auth_token=TOKEN
    )


@pytest.fixture
def sandbox_account(acme):
    return ProviderAccount.objects.create(business=acme, provider=SANDBOX, label="demo")
