"""Alerts through real HTTP against `textback serve`: an email alert reaches a real SMTP server, a signed
webhook alert reaches a local HTTP server that verifies it, and the SMS relay works end to end through
signed Twilio webhooks and the local Twilio API stand-in. A webhook endpoint that never answers does not
hold up a text-back."""

import re
import time
import uuid

import httpx
import pytest

from tests.e2e.conftest import FORWARDED_LINE, TWILIO_LINE, _system
from tests.support.harness import wait_until
from tests.support.smtp import SmtpServer
from tests.support.webhook_receiver import SilentEndpoint, WebhookReceiver, verify
from textback.conftest import ALPHA_TOKEN
from textback.providers.twilio.tests.helpers import fixture, signed

pytestmark = pytest.mark.e2e

MIKE_PHONE = "+15125550177"  # the owner's own cell, where his alert texts go
SECRET = "e2e-webhook-secret-" + "s" * 20


@pytest.fixture(scope="module")
def smtp_server():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def receiver():
    server = WebhookReceiver().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def alerting(seeded_template, tmp_path_factory, twilio_stub, smtp_server, receiver):
    """`textback serve` with TEXTBACK_EMAIL_URL at a real SMTP server; Mike, the owner, alerted by email and
    by text to his own cell (verified by the operator with `textback user phone --verified`); a signed JSON
    webhook. (His alert channels are set here as an operator would in the database; the settings page is
    another part of the inbox.)"""
    system = _system(
        seeded_template, tmp_path_factory, twilio_stub, "alerts", TEXTBACK_EMAIL_URL=smtp_server.url,
        TEXTBACK_ALLOW_PRIVATE_WEBHOOKS="1",  # the receiver is on this machine
    )  # fmt: skip
    system.cli("user", "add", "--business", "alpha", "--email", "mike@alpha.example", "--name", "Mike Rivera",
               "--role", "owner", "--password-stdin", stdin="correct horse battery staple\n")  # fmt: skip
    # The operator vouches for Mike's cell; on My settings he would type back the code texted to it.
    system.cli(
        "user", "phone", "--business", "alpha", "--email", "mike@alpha.example", "--phone", MIKE_PHONE, "--verified"
    )
    system.database.execute("UPDATE accounts_membership SET alert_sms = %s, alert_email = %s", (True, True))
    yield from serving_with_a_signed_webhook(system, receiver.url)


def serving_with_a_signed_webhook(system, url: str):
    """Add a signed JSON webhook for every reply (as an operator would, in the database), then serve."""
    db = system.database
    (business_id,) = db.query("SELECT id FROM accounts_business WHERE slug = 'alpha'")[0]
    db.execute(
        "INSERT INTO alerts_alertwebhook (business_id, name, kind, url, secret, on_reply, on_missed_call, on_sla, "
        "active, created_at) VALUES (%s, 'ops', 'generic', %s, %s, %s, %s, %s, %s, CURRENT_TIMESTAMP)",
        (business_id, url, SECRET, True, False, False, True),
    )
    system.start_web(with_worker=True)
    yield system
    system.stop()
    db.drop()


@pytest.fixture(scope="module")
def silent():
    endpoint = SilentEndpoint().start()
    yield endpoint
    endpoint.stop()


@pytest.fixture(scope="module")
def stalled(seeded_template, tmp_path_factory, twilio_stub, silent):
    """`textback serve` (its defaults: 4 threads for texts, 4 for alerts) whose business posts every reply
    to a signed JSON webhook at an address that accepts the connection and never answers."""
    system = _system(seeded_template, tmp_path_factory, twilio_stub, "stalled", TEXTBACK_ALLOW_PRIVATE_WEBHOOKS="1")
    yield from serving_with_a_signed_webhook(system, silent.url)


def a_caller() -> str:
    return f"+1512{200 + uuid.uuid4().int % 800:03d}{uuid.uuid4().int % 10000:04d}"


def text_the_line(system, from_number: str, body: str) -> None:
    fields = fixture("sms_incoming", From=from_number, To=TWILIO_LINE, MessageSid="SM" + uuid.uuid4().hex, Body=body)
    url, content, headers = signed(system.url, "sms", fields, ALPHA_TOKEN)
    assert httpx.post(url, content=content, headers=headers, timeout=10).status_code == 200


def test_an_email_alert_reaches_a_real_smtp_server(alerting, smtp_server):
    caller = a_caller()
    text_the_line(alerting, caller, "e2e: my basement drain is slow")

    def mine():
        return [m for m in smtp_server.received if "e2e: my basement drain is slow" in m.text()]

    (mail,) = wait_until(mine, timeout=15)
    assert mail.rcpt_tos == ["mike@alpha.example"]
    assert mail.subject.startswith("New text from (512)")
    assert f"{alerting.url}/b/alpha/conversations/" in mail.text()


def test_a_signed_webhook_alert_is_received_and_verified(alerting, receiver):
    caller = a_caller()
    text_the_line(alerting, caller, "e2e: need a quote for a water heater")

    def mine():
        return [d for d in receiver.received if d.json().get("contact", {}).get("number") == caller]

    (delivery,) = wait_until(mine, timeout=15)
    assert verify(SECRET, delivery)
    body = delivery.json()
    assert (body["event"], body["message"]["body"]) == ("reply", "e2e: need a quote for a water heater")


def test_the_sms_relay_answers_the_caller_from_the_business_number(alerting, twilio_stub):
    caller = a_caller()
    text_the_line(alerting, caller, "e2e: the sink drips, help")

    def alert_text():
        return [r for r in twilio_stub.sent(to=MIKE_PHONE) if '"e2e: the sink drips, help"' in r.form["Body"]]

    (alert,) = wait_until(alert_text, timeout=15)
    assert alert.form["From"] == TWILIO_LINE
    code = re.search(r"#([A-Z][0-9]{1,2})$", alert.form["Body"]).group(1)

    text_the_line(alerting, MIKE_PHONE, f"#{code} On my way, 20 minutes")

    (answer,) = twilio_stub.wait_for(1, to=caller, timeout=15)
    assert (answer.form["From"], answer.form["To"]) == (TWILIO_LINE, caller)
    assert "On my way, 20 minutes" in answer.form["Body"] and f"#{code}" not in answer.form["Body"]
    rows = alerting.database.query(
        "SELECT u.username, m.sender_kind FROM messaging_message m JOIN auth_user u ON u.id = m.sent_by_id "
        "JOIN messaging_contact c ON c.id = m.contact_id WHERE c.number = %s AND m.direction = 'out'",
        (caller,),
    )
    assert rows == [("mike@alpha.example", "staff")]
    assert alerting.database.query("SELECT COUNT(*) FROM messaging_contact WHERE number = %s", (MIKE_PHONE,)) == [(0,)]


def test_a_webhook_endpoint_that_never_answers_does_not_hold_up_a_text_back(stalled, silent, twilio_stub):
    chatty = a_caller()
    for n in range(12):
        text_the_line(stalled, chatty, f"e2e: text {n} to a business whose webhook hangs")
    wait_until(lambda: silent.open >= 2, timeout=10)  # the alerts are stuck at the endpoint

    caller = a_caller()
    fields = fixture("voice_incoming", CallSid="CA" + uuid.uuid4().hex, From=caller, Caller=caller,
                     To=FORWARDED_LINE, Called=FORWARDED_LINE)  # fmt: skip
    url, content, headers = signed(stalled.url, "voice", fields, ALPHA_TOKEN)
    started = time.monotonic()
    assert httpx.post(url, content=content, headers=headers, timeout=10).status_code == 200

    (text_back,) = twilio_stub.wait_for(1, to=caller, timeout=15)
    took = time.monotonic() - started
    assert text_back.form["From"] == FORWARDED_LINE
    assert took < 2.0, f"the text-back took {took:.2f} s behind a hanging webhook"
    assert silent.most_open <= 2  # one address gets at most two deliveries at a time
