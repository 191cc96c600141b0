"""Twilio's messaging webhooks: incoming texts and delivery reports."""

import pytest
from django.utils import timezone

from textback.calls import decide
from textback.calls.models import Call
from textback.conftest import CALLER
from textback.messaging.actions import queue_text
from textback.messaging.models import ConsentEvent, Contact, Message, MessageStatus
from textback.outbox.models import OutboxItem
from textback.providers.twilio.tests.helpers import fixture

pytestmark = pytest.mark.django_db

OUT_SID = fixture("sms_status_sent")["MessageSid"]


@pytest.fixture
def sent_text(alpha_line) -> Message:
    """A text-back Twilio accepted as OUT_SID."""
    from textback.messaging.actions import contact_for

    now = timezone.now()
    message = queue_text(
        line=alpha_line,
        contact=contact_for(alpha_line.business, CALLER),
        body="Sorry we missed you",
        purpose=Message.TEXTBACK,
        key="t1",
        due_at=now,
        expires_at=None,
    )
    Message.objects.filter(pk=message.pk).update(provider_message_id=OUT_SID, status=MessageStatus.QUEUED)
    return message


def test_an_incoming_text_lands_in_the_conversation(alpha_line, twilio_post):
    response = twilio_post("sms", fixture("sms_incoming"))

    assert response.status_code == 200 and "<Response" in response.content.decode()
    [message] = Message.objects.filter(direction=Message.IN)
    assert message.body == "Water heater is leaking, can someone come today?"
    assert (message.contact.number, message.conversation.line, message.status) == (CALLER, alpha_line, "received")


def test_a_duplicated_incoming_text_is_recorded_once(alpha_line, twilio_post):
    twilio_post("sms", fixture("sms_incoming"))
    twilio_post("sms", fixture("sms_incoming"))

    assert Message.objects.filter(direction=Message.IN).count() == 1


def test_a_reply_cancels_a_text_back_that_has_not_gone_out_yet(alpha_line, twilio_post):
    from textback.messaging.actions import contact_for

    later = timezone.now() + timezone.timedelta(minutes=1)
    pending = queue_text(
        line=alpha_line,
        contact=contact_for(alpha_line.business, CALLER),
        body="Sorry we missed you",
        purpose=Message.TEXTBACK,
        key="t1",
        due_at=later,
        expires_at=None,
    )
    twilio_post("sms", fixture("sms_incoming"))

    pending.refresh_from_db()
    assert pending.status == MessageStatus.CANCELED
    assert OutboxItem.objects.get(message=pending).status == OutboxItem.CANCELED


def test_stop_opts_the_caller_out_and_cancels_everything_pending(alpha_line, twilio_post):
    from textback.messaging.actions import contact_for

    pending = queue_text(
        line=alpha_line,
        contact=contact_for(alpha_line.business, CALLER),
        body="Sorry we missed you",
        purpose=Message.TEXTBACK,
        key="t1",
        due_at=timezone.now() + timezone.timedelta(seconds=1),
        expires_at=None,
    )
    twilio_post("sms", fixture("sms_stop"))

    [event] = ConsentEvent.objects.all()
    assert (event.kind, event.number, event.source) == (ConsentEvent.OPT_OUT, CALLER, ConsentEvent.KEYWORD)
    assert event.message.body == "Stop"
    pending.refresh_from_db()
    assert pending.status == MessageStatus.CANCELED
    # Twilio answers STOP itself on this line, so we send no confirmation of our own.
    assert not Message.objects.filter(purpose=Message.OPT_OUT_CONFIRMATION).exists()


def test_an_opted_out_caller_is_not_texted_after_their_next_missed_call(alpha_line, twilio_post):
    alpha_line.record_voicemail = False
    alpha_line.save()
    twilio_post("sms", fixture("sms_stop"))
    twilio_post("voice", fixture("voice_incoming"))
    twilio_post("dial", fixture("dial_no_answer"))

    call = Call.objects.get()
    assert (call.decision, call.decision_reason) == (Call.SKIP, decide.OPTED_OUT)


def test_delivery_reports_move_a_message_forward(sent_text, twilio_post):
    assert twilio_post("sms-status", fixture("sms_status_sent")).status_code == 204
    twilio_post("sms-status", fixture("sms_status_delivered"))

    sent_text.refresh_from_db()
    assert sent_text.status == MessageStatus.DELIVERED
    assert [e.status for e in sent_text.status_events.all()] == ["sent", "delivered"]


def test_a_late_sent_report_never_moves_a_delivered_message_back(sent_text, twilio_post):
    twilio_post("sms-status", fixture("sms_status_delivered"))
    twilio_post("sms-status", fixture("sms_status_sent"))

    sent_text.refresh_from_db()
    assert sent_text.status == MessageStatus.DELIVERED
    assert [(e.status, e.applied) for e in sent_text.status_events.all()] == [("delivered", True), ("sent", False)]


def test_a_landline_error_marks_the_number_and_stops_future_text_backs(sent_text, alpha_line, twilio_post):
    alpha_line.record_voicemail = False
    alpha_line.save()
    twilio_post("sms-status", fixture("sms_status_undelivered_landline"))

    sent_text.refresh_from_db()
    assert (sent_text.status, sent_text.error_code) == (MessageStatus.UNDELIVERED, "30006")
    assert Contact.objects.get(number=CALLER).is_landline
    twilio_post("voice", fixture("voice_incoming"))
    twilio_post("dial", fixture("dial_no_answer"))
    assert Call.objects.get().decision_reason == decide.LANDLINE


def test_a_report_naming_our_reference_adopts_the_provider_id(alpha_line, twilio_post):
    """A worker that died after Twilio accepted the text never wrote the SID; the callback supplies it."""
    from textback.messaging.actions import contact_for

    message = queue_text(
        line=alpha_line,
        contact=contact_for(alpha_line.business, CALLER),
        body="Hello",
        purpose=Message.TEXTBACK,
        key="t1",
        due_at=timezone.now(),
        expires_at=None,
    )
    twilio_post("sms-status", fixture("sms_status_sent"), query=f"m={message.ref}")

    message.refresh_from_db()
    assert (message.provider_message_id, message.status) == (OUT_SID, MessageStatus.SENT)


def test_a_report_for_an_unknown_message_is_accepted_and_ignored(alpha_line, twilio_post):
    assert twilio_post("sms-status", fixture("sms_status_delivered")).status_code == 204


def test_the_pictures_of_an_mms_are_kept_with_the_message(alpha_line, twilio_post):
    twilio_post("sms", fixture("sms_incoming_mms"))

    [message] = Message.objects.filter(direction=Message.IN)
    assert message.body == "This is the leak under the sink"
    assert [m["content_type"] for m in message.media] == ["image/jpeg", "video/mp4"]
    assert all(m["url"].startswith("https://api.twilio.com/2010-04-01/Accounts/") for m in message.media)


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)//", "http://api.twilio.com/x.jpg", "https://evil.example/x.jpg", "data:image/png,xx"]
)
def test_a_media_url_that_is_not_twilios_own_https_url_is_dropped(alpha_line, twilio_post, url):
    twilio_post("sms", fixture("sms_incoming_mms", MediaUrl0=url))

    [message] = Message.objects.filter(direction=Message.IN)
    assert [m["content_type"] for m in message.media] == ["video/mp4"]
