"""Alerts as outbox work: email over real SMTP, texts to staff phones through the line's provider, webhooks
to a real HTTP server; retried with backoff, stopped, and recorded on the Alert."""

import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.support.webhook_receiver import verify
from textback.alerts import compose
from textback.alerts.models import Alert, AlertWebhook
from textback.lib import gsm7
from textback.messaging.actions import record_consent
from textback.messaging.models import ConsentEvent, Contact, Message
from textback.outbox import worker
from textback.outbox.models import OutboxItem
from textback.testing import CALLER, a_staff_phone, an_inbound_text

pytestmark = pytest.mark.django_db

BOB_PHONE = "+15125550181"


@pytest.fixture
def bob_by_text(bob):
    a_staff_phone(bob, BOB_PHONE, alert_email=False, alert_sms=True)
    return bob


def run_until_finished(run_outbox, *, rounds: int = 20) -> None:
    """Run the outbox again and again, as if each retry's time had come."""
    for _ in range(rounds):
        OutboxItem.objects.filter(status=OutboxItem.PENDING).update(due_at=timezone.now())
        if not run_outbox():
            return


# --- email ------------------------------------------------------------------------------------


def test_an_email_alert_reaches_a_real_smtp_server(smtp, bob, alpha_line, run_outbox):
    Contact.objects.create(business=alpha_line.business, number=CALLER, name="Jane Doe")
    an_inbound_text(alpha_line, "my basement drain is slow")
    run_outbox()

    (mail,) = smtp.wait_for(1)
    assert mail.rcpt_tos == ["bob@alpha.example"]
    assert mail.subject == "New text from Jane Doe (512) 555-0147"
    assert "my basement drain is slow" in mail.text()
    assert "https://textback.example.com/b/alpha/conversations/" in mail.text()
    alert = Alert.objects.get()
    assert (alert.status, alert.attempts, alert.sent_at is not None) == (Alert.SENT, 1, True)


def test_an_smtp_server_saying_try_later_leaves_the_alert_retrying(smtp, bob, alpha_line, run_outbox):
    smtp.busy = True
    an_inbound_text(alpha_line, "hello?")
    run_outbox()

    alert = Alert.objects.get()
    assert (alert.status, alert.attempts) == (Alert.RETRYING, 1)
    assert "451" in alert.error


def test_a_refused_address_stops_the_email_alert(smtp, bob, alpha_line, run_outbox):
    smtp.refuse.add("bob@alpha.example")
    an_inbound_text(alpha_line, "hello?")
    run_outbox()

    assert Alert.objects.get().status == Alert.FAILED


# --- texts to staff phones ------------------------------------------------------------------------


def test_a_staff_phone_gets_the_alert_from_the_business_line(twilio_api, bob_by_text, alpha_line, run_outbox):
    Contact.objects.create(business=alpha_line.business, number=CALLER, name="Jane Doe")
    an_inbound_text(alpha_line, "my basement drain is slow, the sink too")
    run_outbox()

    (request,) = twilio_api.sent()
    form = request.form
    assert (form["From"], form["To"]) == (alpha_line.number, BOB_PHONE)
    alert = Alert.objects.get()
    assert form["Body"] == (
        'New text from Jane Doe (512) 555-0147: "my basement drain is slow, the sink too" '
        f"- reply to this text to answer Jane. #{alert.code}"
    )
    assert alert.status == Alert.SENT
    assert not Message.objects.filter(direction=Message.OUT).exists()  # a staff phone is never a contact
    assert not Contact.objects.filter(number=BOB_PHONE).exists()


def test_a_provider_error_is_retried_then_the_alert_stops(twilio_api, bob_by_text, alpha_line, run_outbox):
    twilio_api.failures.extend([(500, {"code": 20500, "message": "Internal", "status": 500})] * 20)
    an_inbound_text(alpha_line, "hello?")

    run_until_finished(run_outbox)

    alert = Alert.objects.get()
    assert (alert.status, alert.attempts) == (Alert.FAILED, worker.MAX_ATTEMPTS)


def test_a_staff_phone_that_opted_out_is_not_texted(twilio_api, bob_by_text, alpha, alpha_line, run_outbox):
    an_inbound_text(alpha_line, "hello?")
    record_consent(alpha, BOB_PHONE, ConsentEvent.OPT_OUT, source=ConsentEvent.KEYWORD, keyword="STOP")
    run_outbox()

    assert twilio_api.sent() == []
    alert = Alert.objects.get()
    assert (alert.status, alert.error) == (Alert.CANCELED, "the staff phone opted out (STOP)")


def test_nothing_is_texted_from_a_switched_off_line(twilio_api, bob_by_text, alpha_line, run_outbox):
    an_inbound_text(alpha_line, "hello?")
    alpha_line.active = False
    alpha_line.save()
    run_outbox()

    assert twilio_api.sent() == []
    assert Alert.objects.get().status == Alert.CANCELED


def test_the_staff_text_keeps_within_two_segments():
    class Contact:
        number, name, first_name = CALLER, "Jane Doe", "Jane"

    long = "my basement drain is slow " * 40
    for words in (long, "the water heater 🔥 is leaking " * 20):
        event = compose.Event(compose.REPLY, None, contact=Contact, text=words)
        text = compose.staff_text(event, "K7")
        assert gsm7.shape(text).segments <= 2
        assert text.startswith('New text from Jane Doe (512) 555-0147: "') and text.endswith('..." - reply to '
                                                                                            "this text to answer Jane. #K7")  # fmt: skip


# --- webhooks ---------------------------------------------------------------------------------


def a_webhook(business, url, kind=AlertWebhook.SLACK, **events) -> AlertWebhook:
    return AlertWebhook.objects.create(business=business, url=url, kind=kind, **events)


def test_a_slack_webhook_gets_slack_incoming_webhook_json(receiver, alpha, alpha_line, run_outbox):
    a_webhook(alpha, receiver.url)
    an_inbound_text(alpha_line, "my basement drain is slow <!channel> & more")
    run_outbox()

    (delivery,) = receiver.wait_for(1)
    assert delivery.headers["Content-Type"] == "application/json"
    body = delivery.json()
    assert list(body) == ["text"]
    assert "my basement drain is slow &lt;!channel&gt; &amp; more" in body["text"]  # a caller cannot ping the channel
    assert "<https://textback.example.com/b/alpha/conversations/" in body["text"]
    assert "X-Textback-Signature" not in delivery.headers
    assert Alert.objects.get(channel=Alert.WEBHOOK).status == Alert.SENT


def test_a_generic_webhook_is_signed_so_the_receiver_can_verify_it(receiver, alpha, alpha_line, run_outbox):
    hook = a_webhook(alpha, receiver.url, kind=AlertWebhook.GENERIC)
    message = an_inbound_text(alpha_line, "my basement drain is slow")
    run_outbox()

    (delivery,) = receiver.wait_for(1)
    assert verify(hook.secret, delivery)
    assert not verify("another secret", delivery)
    tampered = type(delivery)(delivery.path, delivery.headers, delivery.body.replace(b"slow", b"fine"))
    assert not verify(hook.secret, tampered)
    body = delivery.json()
    assert body["event"] == "reply" and delivery.headers["X-Textback-Event"] == "reply"
    assert body["contact"] == {"number": CALLER, "name": ""}
    assert body["message"] == {"body": "my basement drain is slow"}
    assert body["line"] == {"number": alpha_line.number, "label": ""}
    assert body["conversation"]["id"] == message.conversation_id
    assert body["business"] == {"slug": "alpha", "name": "AlphaPlumbing"}
    assert body["id"] == delivery.headers["X-Textback-Delivery"] == str(Alert.objects.get(channel="webhook").ref)


def test_the_signature_is_the_generic_call_endpoints_scheme(alpha):
    from textback.alerts.channels import webhook_request
    from textback.providers.generic.views import sign

    hook = a_webhook(alpha, "https://example.com/in", kind=AlertWebhook.GENERIC)
    alert = Alert(event="test", payload={"event": "test"}, ref="00000000-0000-0000-0000-000000000001")
    body, headers = webhook_request(hook, alert, now=1767225600)
    assert body == json.dumps({"event": "test"}, separators=(",", ":")).encode()
    assert headers["X-Textback-Timestamp"] == "1767225600"
    assert headers["X-Textback-Signature"] == sign(hook.secret, "1767225600", body)


def test_webhooks_get_only_the_events_they_are_for(receiver, alpha, alpha_line, run_outbox):
    from textback.testing import a_missed_call

    a_webhook(alpha, receiver.url, on_reply=False, on_missed_call=True)
    an_inbound_text(alpha_line, "hello?")
    a_missed_call(alpha_line, caller="+15125550148")
    run_outbox()

    assert [a.event for a in Alert.objects.filter(channel=Alert.WEBHOOK)] == [Alert.MISSED_CALL]


def test_a_failing_endpoint_is_retried_with_backoff_then_stopped(receiver, alpha, alpha_line, run_outbox):
    receiver.status = 503
    a_webhook(alpha, receiver.url, on_sla=False)
    an_inbound_text(alpha_line, "hello?")

    run_outbox()
    item = OutboxItem.objects.get(kind="alert_webhook")
    assert item.status == OutboxItem.PENDING and item.due_at > timezone.now()  # backed off, not hammered
    run_until_finished(run_outbox)

    alert = Alert.objects.get(channel=Alert.WEBHOOK)
    assert (alert.status, alert.attempts) == (Alert.FAILED, worker.MAX_ATTEMPTS)
    assert alert.error == "It answered 503 Service Unavailable."
    assert len(receiver.received) == worker.MAX_ATTEMPTS


def test_an_endpoint_that_refuses_stops_at_once(receiver, alpha, alpha_line, run_outbox):
    receiver.status = 404
    a_webhook(alpha, receiver.url, on_sla=False)
    an_inbound_text(alpha_line, "hello?")
    run_until_finished(run_outbox)

    alert = Alert.objects.get(channel=Alert.WEBHOOK)
    assert (alert.status, alert.attempts) == (Alert.FAILED, 1)
    assert alert.error == "It answered 404 Not Found. Check the address; textback stopped trying."


def test_an_endpoint_that_is_down_is_retried_and_the_owner_reads_why(settings, alpha, alpha_line, run_outbox):
    settings.ALLOW_PRIVATE_WEBHOOKS = True
    a_webhook(alpha, "http://127.0.0.1:9/hook")
    an_inbound_text(alpha_line, "hello?")
    run_outbox()

    alert = Alert.objects.get(channel=Alert.WEBHOOK)
    assert alert.status == Alert.RETRYING
    assert alert.error == "The address could not be reached: its site name was not found, or nothing answered there."


@pytest.mark.parametrize("header", ["\u00b2", "soon", "1e5", "nan", "Fri, 31 Dec 99999 23:59:60 GMT"])
def test_a_retry_after_textback_cannot_read_falls_back_to_backoff(header, receiver, alpha, alpha_line, run_outbox):
    receiver.status, receiver.headers = 503, {"Retry-After": header}
    a_webhook(alpha, receiver.url, on_sla=False)
    an_inbound_text(alpha_line, "hello?")
    run_outbox()

    item = OutboxItem.objects.get(kind="alert_webhook")
    assert item.status == OutboxItem.PENDING
    assert item.due_at - timezone.now() < timedelta(seconds=10)  # the first backoff step, about 2 s


def test_a_retry_after_is_kept_to_at_most_an_hour(receiver, alpha, alpha_line, run_outbox):
    receiver.status, receiver.headers = 429, {"Retry-After": "86400"}
    a_webhook(alpha, receiver.url, on_sla=False)
    an_inbound_text(alpha_line, "hello?")
    OutboxItem.objects.filter(kind="alert_webhook").update(expires_at=timezone.now() + timedelta(days=2))
    run_outbox()

    item = OutboxItem.objects.get(kind="alert_webhook")
    assert timedelta(minutes=59) < item.due_at - timezone.now() <= timedelta(hours=1)


@pytest.mark.parametrize("where", ["127.0.0.1", "localhost"])
def test_a_webhook_leading_to_this_server_is_not_posted_to(where, receiver, settings, alpha, alpha_line, run_outbox):
    """As if the address had been public when saved, and its name pointed here later (DNS rebinding)."""
    settings.ALLOW_PRIVATE_WEBHOOKS = False
    a_webhook(alpha, receiver.url.replace("127.0.0.1", where), on_sla=False)
    an_inbound_text(alpha_line, "hello?")
    run_outbox()

    assert receiver.received == []
    alert = Alert.objects.get(channel=Alert.WEBHOOK)
    assert (alert.status, alert.attempts) == (Alert.FAILED, 1)
    assert alert.error == "textback does not post to private network addresses."


def test_a_slow_endpoint_times_out_without_holding_up_other_alerts(receiver, bob, alpha, alpha_line, run_outbox,
                                                                   monkeypatch):  # fmt: skip
    import httpx

    from textback.alerts import channels

    monkeypatch.setattr(channels, "_client", httpx.Client(timeout=httpx.Timeout(0.3)))
    receiver.delay = 2.0
    a_webhook(alpha, receiver.url)
    an_inbound_text(alpha_line, "hello?")

    started = time.monotonic()
    run_outbox()

    assert time.monotonic() - started < 1.8
    webhook = Alert.objects.get(channel=Alert.WEBHOOK)
    assert (webhook.status, webhook.error) == (Alert.RETRYING, "The address did not answer within 5 seconds.")
    assert Alert.objects.get(channel=Alert.EMAIL).status == Alert.SENT


def test_a_paused_webhook_gets_nothing(receiver, alpha, alpha_line, run_outbox):
    a_webhook(alpha, receiver.url, active=False)
    an_inbound_text(alpha_line, "hello?")
    run_outbox()

    assert receiver.received == []
    assert not Alert.objects.filter(channel=Alert.WEBHOOK).exists()


def test_an_alert_past_its_time_is_not_retried_forever(receiver, alpha, alpha_line, run_outbox):
    receiver.status = 500
    a_webhook(alpha, receiver.url)
    an_inbound_text(alpha_line, "hello?")
    OutboxItem.objects.filter(kind="alert_webhook").update(expires_at=timezone.now() + timedelta(seconds=1))
    run_outbox()

    assert Alert.objects.get(channel=Alert.WEBHOOK).status == Alert.FAILED
