"""Every HTML page carries a Content-Security-Policy that allows no inline script and no framing."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from textback.conftest import ALPHA_TOKEN
from textback.inbox.middleware import CONTENT_SECURITY_POLICY
from textback.providers.twilio.tests.helpers import fixture, signed

pytestmark = pytest.mark.django_db


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for directive in policy.split(";"):
        name, *sources = directive.split()
        parsed[name] = sources
    return parsed


def test_the_policy_allows_only_our_own_files_recordings_and_pictures_included():
    assert directives(CONTENT_SECURITY_POLICY) == {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "media-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
    assert "unsafe" not in CONTENT_SECURITY_POLICY and "data:" not in CONTENT_SECURITY_POLICY


@pytest.fixture
def operator(db):
    return get_user_model().objects.create_superuser("op@textback.example", "op@textback.example", "pw-op-123")


@pytest.mark.parametrize(
    "path, status",
    [
        ("/login", 200),
        ("/", 302),  # one business: straight to it
        ("/b/alpha/", 200),
        ("/b/alpha/calls", 200),
        ("/b/alpha/live", 200),
        ("/b/alpha/calls/{call}", 200),
        ("/b/alpha/conversations/{conversation}", 200),
        ("/b/alpha/consent", 200),
        ("/sandbox/alpha/", 200),
        ("/sandbox/alpha/handset?handset=%2B15125550147", 200),
        ("/sandbox/alpha/?handset=%00", 400),
        ("/b/nobody/", 404),
        ("/no-such-page", 404),
    ],
)
def test_every_staff_page_carries_the_policy_and_refuses_framing(
    client, alice, alpha_sandbox_line, alpha_conversation, path, status
):
    client.force_login(alice)
    call = alpha_conversation.messages.exclude(call=None).first().call_id

    response = client.get(path.format(call=call, conversation=alpha_conversation.pk))

    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/accounts/business/",
        "/admin/accounts/business/{business}/change/",
        "/admin/providers/line/add/",
    ],
)
def test_the_admin_carries_the_policy(client, operator, alpha, path):
    client.force_login(operator)

    response = client.get(path.format(business=alpha.pk))

    assert response.status_code == 200
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_the_locked_out_login_page_carries_the_policy(client, alice):
    for _ in range(11):
        response = client.post("/login", {"username": "alice@alpha.example", "password": "wrong"})

    assert response.status_code == 429
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_a_form_sent_without_its_csrf_token_gets_our_page_under_the_policy(alice):
    client = Client(enforce_csrf_checks=True)

    response = client.post("/login", {"username": "alice@alpha.example", "password": "pw-alice-123"})

    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()
    assert "<style" not in response.content.decode()
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_a_request_too_large_to_read_gets_a_page_under_the_policy(client):
    response = client.post("/login", "x=" + "y" * 300_000, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 400
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("path", ["/healthz", "/static/textback/app.css", "/static/textback/refresh.js"])
def test_responses_that_are_not_html_carry_no_policy(client, path):
    response = client.get(path)

    assert response.status_code == 200
    assert "Content-Security-Policy" not in response


def test_a_webhooks_twiml_carries_no_policy(client, alpha_line):
    url, body, headers = signed(settings.PUBLIC_URL, "voice", fixture("voice_incoming"), ALPHA_TOKEN)

    response = client.post(
        "/hooks/twilio/voice",
        data=body,
        content_type=headers["Content-Type"],
        HTTP_X_TWILIO_SIGNATURE=headers["X-Twilio-Signature"],
        HTTP_HOST="textback.example.com",
    )

    assert response.status_code == 200 and "xml" in response["Content-Type"]
    assert "Content-Security-Policy" not in response
