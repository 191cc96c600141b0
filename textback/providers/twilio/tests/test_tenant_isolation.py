"""One tenant's Twilio credentials can change nothing of another tenant's calls and messages.

BetaHVAC signs every request correctly with its own token and names its own line in `To`, but
carries AlphaPlumbing's CallSid or MessageSid: nothing of Alpha's changes, and Alpha's own later
callbacks still count (Beta cannot pre-empt them as "duplicates").
"""

import pytest

from textback.calls import outcomes
from textback.calls.models import Call
from textback.conftest import BETA_NUMBER, BETA_SID, BETA_TOKEN
from textback.messaging.models import Message, MessageStatus
from textback.providers.models import Line
from textback.providers.twilio.tests.helpers import fixture

pytestmark = pytest.mark.django_db

ALPHA_CALL = fixture("voice_incoming")["CallSid"]


def as_beta(twilio_post, endpoint: str, name: str, **overrides):
    """A request signed with Beta's token, from Beta's account, naming Beta's line where To names a line."""
    fields = fixture(name, AccountSid=BETA_SID, **overrides)
    if fields.get("To", "").startswith("+1512555010"):  # Alpha's line in the fixture: Beta names its own
        fields["To"] = fields["Called"] = BETA_NUMBER
    return twilio_post(endpoint, fields, token=BETA_TOKEN)


def alpha_call() -> Call:
    return Call.objects.get(provider_call_id=ALPHA_CALL)


def texts() -> list[Message]:
    return list(Message.objects.filter(direction=Message.OUT))


@pytest.fixture
def ringing(alpha_line, beta_line, twilio_post) -> Call:
    """Alpha's call is ringing its staff phone (no voicemail, so a miss is texted at once)."""
    alpha_line.record_voicemail = False
    alpha_line.save()
    twilio_post("voice", fixture("voice_incoming"))
    return alpha_call()


def test_a_foreign_voice_webhook_for_our_call_creates_nothing_and_changes_nothing(ringing, twilio_post):
    response = as_beta(twilio_post, "voice", "voice_incoming")

    assert response.status_code == 200
    assert Call.objects.count() == 1
    assert alpha_call().line.business.slug == "alpha"


def test_a_foreign_status_callback_cannot_make_our_account_send_a_text(ringing, twilio_post):
    response = as_beta(twilio_post, "call-status", "call_status_no_answer")

    assert response.status_code == 204
    call = alpha_call()
    assert (call.state, call.outcome, call.decision) == (Call.RINGING, None, "")
    assert texts() == []


def test_a_foreign_dial_action_cannot_mark_our_call_answered(ringing, twilio_post):
    as_beta(twilio_post, "dial", "dial_completed_bridged")
    assert (alpha_call().outcome, alpha_call().decision) == (None, "")

    twilio_post("dial", fixture("dial_no_answer"))  # Alpha's own <Dial> action still counts

    call = alpha_call()
    assert (call.outcome, call.decision) == (outcomes.NO_ANSWER, Call.TEXT)
    assert len(texts()) == 1


def test_foreign_screening_requests_neither_accept_nor_screen_our_call(ringing, twilio_post):
    as_beta(twilio_post, "screen", "screen_prompt")
    twiml = as_beta(twilio_post, "screen", "screen_pressed_1").content.decode()

    call = alpha_call()
    assert (call.accepted, call.screened_legs) == (False, {})
    assert "AlphaPlumbing" not in twiml


def test_a_foreign_recording_cannot_leave_a_voicemail_on_our_call(alpha_line, beta_line, twilio_post):
    twilio_post("voice", fixture("voice_incoming"))
    twilio_post("dial", fixture("dial_no_answer"))  # Alpha's caller is sent to voicemail

    as_beta(twilio_post, "recording", "recording_action", RecordingUrl="https://api.twilio.com/evil.mp3")
    as_beta(twilio_post, "recording", "recording_status_completed")

    call = alpha_call()
    assert (call.voicemail, call.recording_url, call.decision) == (False, "", "")

    twilio_post("recording", fixture("recording_action"))  # Alpha's own recording arrives
    assert (alpha_call().outcome, alpha_call().decision) == (outcomes.VOICEMAIL, Call.TEXT)


def test_foreign_leg_reports_do_not_count_as_our_dialled_phones(alpha_line, beta_line, twilio_post, run_outbox):
    """Status-only: Alpha's phone gave up; Beta claims one of Alpha's phones answered."""
    import time_machine
    from django.utils import timezone

    from textback.calls import timing

    alpha_line.call_mode = Line.STATUS_ONLY
    alpha_line.save()
    twilio_post("call-status", fixture("leg_status_no_answer"))
    as_beta(twilio_post, "call-status", "leg_status_no_answer", CallSid="CA" + "7" * 32, CallStatus="completed")
    twilio_post("call-status", fixture("call_status_completed"))
    with time_machine.travel(timezone.now() + timezone.timedelta(seconds=timing.LEG_GRACE_SECONDS + 1)):
        run_outbox()

    assert (alpha_call().outcome, alpha_call().decision) == (outcomes.NO_ANSWER, Call.TEXT)


def test_a_foreign_delivery_report_cannot_touch_our_message(alpha_line, beta_line, twilio_post, queue):
    sid = fixture("sms_status_delivered")["MessageSid"]
    message = queue(alpha_line)
    Message.objects.filter(pk=message.pk).update(provider_message_id=sid, status=MessageStatus.SENT)

    as_beta(twilio_post, "sms-status", "sms_status_undelivered_landline", MessageSid=sid)
    message.refresh_from_db()
    assert (message.status, message.contact.is_landline) == (MessageStatus.SENT, False)

    twilio_post("sms-status", fixture("sms_status_delivered"))  # Alpha's own report is not a "duplicate"
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED


def test_a_foreign_text_reusing_our_message_sid_is_refused_quietly(alpha_line, beta_line, twilio_post):
    twilio_post("sms", fixture("sms_incoming"))

    response = as_beta(twilio_post, "sms", "sms_incoming")

    assert response.status_code == 200
    [message] = Message.objects.filter(direction=Message.IN)
    assert message.business.slug == "alpha"
