"""The test cast as fixtures; who they are, and the shared helpers, are in textback/testing.py."""

import itertools
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from django.utils import timezone

from textback.accounts.models import Business, Membership
from textback.providers.models import SANDBOX, TWILIO, Line, ProviderAccount
from textback.testing import (
    ALPHA_CELL,
    ALPHA_NUMBER,
    ALPHA_SANDBOX_NUMBER,
    ALPHA_SID,
    ALPHA_TOKEN,
    BETA_NUMBER,
    BETA_SID,
    BETA_TOKEN,
    CALLER,
)


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PUBLIC_URL = "https://textback.example.com"
    settings.ALLOWED_HOSTS = ["testserver", "textback.example.com", "127.0.0.1", "localhost"]
    settings.DATA_DIR = tmp_path
    settings.TWILIO_API_URL = "http://127.0.0.1:9"  # a test that forgets its stub fails at once, never reaches Twilio


@pytest.fixture
def alpha(db):
    return Business.objects.create(name="AlphaPlumbing", slug="alpha", help_contact="call (512) 555-0100")


@pytest.fixture
def beta(db):
    return Business.objects.create(name="BetaHVAC", slug="beta")


@pytest.fixture
def alpha_twilio(alpha):
    return ProviderAccount.objects.create(
        business=alpha, provider=TWILIO, account_sid=ALPHA_SID, auth_token=ALPHA_TOKEN
    )


@pytest.fixture
def alpha_line(alpha, alpha_twilio):
    return Line.objects.create(
        business=alpha,
        account=alpha_twilio,
        number=ALPHA_NUMBER,
        forward_to=[ALPHA_CELL],
        staff_name="Mike",
        keyword_replies=Line.PROVIDER,
    )


@pytest.fixture
def alpha_sandbox_line(alpha):
    account = ProviderAccount.objects.create(business=alpha, provider=SANDBOX, label="demo")
    return Line.objects.create(
        business=alpha,
        account=account,
        number=ALPHA_SANDBOX_NUMBER,
        forward_to=[ALPHA_CELL],
        staff_name="Mike",
        keyword_replies=Line.OURS,
    )


@pytest.fixture
def beta_line(beta):
    account = ProviderAccount.objects.create(
        business=beta, provider=TWILIO, account_sid=BETA_SID, auth_token=BETA_TOKEN
    )
    return Line.objects.create(
        business=beta, account=account, number=BETA_NUMBER, forward_to=["+12145550199"], keyword_replies=Line.OURS
    )


@pytest.fixture
def alice(alpha, django_user_model):
    user = django_user_model.objects.create_user("alice@alpha.example", "alice@alpha.example", "pw-alice-123")
    Membership.objects.create(user=user, business=alpha, role=Membership.OWNER)
    return user


@pytest.fixture
def bob(alpha, django_user_model):
    user = django_user_model.objects.create_user("bob@alpha.example", "bob@alpha.example", "pw-bob-123")
    Membership.objects.create(user=user, business=alpha, role=Membership.AGENT)
    return user


@pytest.fixture
def mary(alpha, django_user_model):
    user = django_user_model.objects.create_user("mary@alpha.example", "mary@alpha.example", "pw-mary-123")
    Membership.objects.create(user=user, business=alpha, role=Membership.MANAGER)
    return user


@pytest.fixture
def charlie(beta, django_user_model):
    user = django_user_model.objects.create_user("charlie@beta.example", "charlie@beta.example", "pw-charlie-123")
    Membership.objects.create(user=user, business=beta, role=Membership.OWNER)
    return user


@pytest.fixture
def as_alice(client, alice):
    """The test client signed in as alice, AlphaPlumbing's owner (no role stands between her and a page there)."""
    client.force_login(alice)
    return client


@pytest.fixture
def as_mary(client, mary):
    """The test client signed in as mary, AlphaPlumbing's manager."""
    client.force_login(mary)
    return client


@pytest.fixture
def as_bob(client, bob):
    """The test client signed in as bob, an agent who works for AlphaPlumbing only."""
    client.force_login(bob)
    return client


@pytest.fixture
def smtp(settings):
    """A real SMTP server (aiosmtpd, tests/support/smtp.py) that Django's SMTP backend talks to."""
    from tests.support.smtp import SmtpServer

    server = SmtpServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield server
    server.stop()


@pytest.fixture
def lose_the_key(settings):
    """Make accounts' secrets unreadable the way it happens: stored under one TEXTBACK_ENCRYPTION_KEY,
    then the setting changed to another key without the old one after it."""

    def lose(*accounts):
        plain = [(account.auth_token, account.webhook_key) for account in accounts]
        settings.ENCRYPTION_KEYS = [Fernet.generate_key()]
        for account, (token, key) in zip(accounts, plain, strict=True):
            account.auth_token, account.webhook_key = token, key
            account.save()
        settings.ENCRYPTION_KEYS = [Fernet.generate_key()]

    return lose


@pytest.fixture
def lose_the_two_factor_key(settings):
    """Give people a two-factor set-up whose secret no configured key opens: made under one
    TEXTBACK_ENCRYPTION_KEY, then the setting changed to another without the old one after it."""
    from textback.accounts import two_factor

    def lose(*users):
        settings.ENCRYPTION_KEYS = [Fernet.generate_key()]
        made = [two_factor.do_begin(user) for user in users]
        settings.ENCRYPTION_KEYS = [Fernet.generate_key()]
        return made

    return lose


_keys = itertools.count(1)


@pytest.fixture
def queue():
    """Queue an outbound text to a number through the one path every text takes."""
    from textback.messaging import actions
    from textback.messaging.models import Message

    def queue(
        line,
        body: str = "Sorry we missed your call, how can we help?",
        *,
        to: str = CALLER,
        purpose: str = Message.TEXTBACK,
        due_in: float = 0.0,
        expires_in: float | None = 900.0,
    ):
        due = timezone.now() + timedelta(seconds=due_in)
        return actions.queue_text(
            line=line,
            contact=actions.contact_for(line.business, to),
            body=body,
            purpose=purpose,
            key=f"test:{next(_keys)}",
            due_at=due,
            expires_at=None if expires_in is None else due + timedelta(seconds=expires_in),
        )

    return queue


@pytest.fixture
def run_outbox():
    """One worker tick in this thread: claim what is due now and carry each row out; again while rows that
    waited for their endpoint (a webhook address, the mail server: a few at a time) are let go."""
    from textback.outbox import worker

    def run_outbox(name: str = "worker-1"):
        done = []
        while True:
            claimed = worker.claim(name, 100)
            for item, reconcile in claimed:
                worker.HANDLERS[item.kind](item, reconcile)
            done += claimed
            if not any(item.endpoint for item, _ in claimed):
                return done

    return run_outbox


@pytest.fixture
def twilio_api(settings):
    """The local stand-in for api.twilio.com (tests/support/twilio_stub.py), which TwilioClient reaches over HTTP.

    When the test ends, every request it received must match Twilio's OpenAPI description and carry Basic
    credentials for the account in its path.
    """
    from tests.support.twilio_stub import TwilioStub
    from textback.providers import registry
    from textback.providers.twilio.tests import openapi

    spec = openapi.require_spec()
    stub = TwilioStub().start()
    settings.TWILIO_API_URL = stub.url
    registry.use_transport(None)  # a fresh pooled transport, not one a test swapped in
    yield stub
    stub.stop()
    problems = []
    for request in stub.requests:
        content_type = request.headers.get("Content-Type")
        problems += openapi.request_problems(spec, request.method, stub.url + request.url, request.body, content_type)
        problems += openapi.auth_problems(request.headers, request.path.split("/")[3].removesuffix(".json"))
    assert problems == [], "requests Twilio would refuse"
