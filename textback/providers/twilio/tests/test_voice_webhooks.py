"""Twilio's voice webhooks, one fixture per event, as Twilio sends them."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from textback.calls import decide, outcomes, timing
from textback.calls.models import Call, WebhookEvent
from textback.conftest import BETA_TOKEN
from textback.messaging.models import Message
from textback.outbox.models import OutboxItem
from textback.providers.models import Line
from textback.providers.twilio.tests.helpers import fixture

pytestmark = pytest.mark.django_db

CALL_SID = fixture("voice_incoming")["CallSid"]


def the_call() -> Call:
    return Call.objects.get(provider_call_id=CALL_SID)


def textbacks() -> list[Message]:
    return list(Message.objects.filter(purpose=Message.TEXTBACK))


def no_voicemail(line: Line) -> Line:
    line.record_voicemail = False
    line.save()
    return line


def test_an_incoming_call_rings_the_staff_phones_with_press_1_screening(alpha_line, twilio_post):
    response = twilio_post("voice", fixture("voice_incoming"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    twiml = response.content.decode()
    assert '<Dial action="https://textback.example.com/hooks/twilio/dial"' in twiml
    # Twilio rings ~5 s past <Dial timeout>: the caller hears the line's 20 seconds.
    assert 'answerOnBridge="true"' in twiml and 'timeout="15"' in twiml
    assert 'url="https://textback.example.com/hooks/twilio/screen"' in twiml
    assert ">+15125550199</Number>" in twiml
    call = the_call()
    assert (call.state, call.outcome, call.decision) == (Call.RINGING, None, "")


def test_the_screening_prompt_asks_the_answering_phone_to_press_1(alpha_line, twilio_post):
    twilio_post("voice", fixture("voice_incoming"))
    twiml = twilio_post("screen", fixture("screen_prompt")).content.decode()

    assert '<Gather action="https://textback.example.com/hooks/twilio/screen"' in twiml
    assert 'numDigits="1"' in twiml and "Press 1 to accept" in twiml and "AlphaPlumbing" in twiml
    assert twiml.index("</Gather>") < twiml.index("<Hangup")


def test_a_call_nobody_answers_gets_one_text_back(alpha_line, twilio_post):
    no_voicemail(alpha_line)
    twilio_post("voice", fixture("voice_incoming"))
    response = twilio_post("dial", fixture("dial_no_answer"))

    assert "<Hangup" in response.content.decode()
    call = the_call()
    assert (call.outcome, call.decision, call.decision_reason) == (
        outcomes.NO_ANSWER,
        Call.TEXT,
        decide.TEXT_MISSED_CALL,
    )
    [text] = textbacks()
    assert text.contact.number == "+15125550147" and text.call == call
    assert text.body == (
        "Hi there, Mike at AlphaPlumbing here, sorry we missed your call. What's going on? Reply STOP to opt out."
    )
    assert (text.encoding, text.segments) == ("GSM-7", 1)
    assert OutboxItem.objects.get(message=text).status == OutboxItem.PENDING


def test_a_missed_call_offers_voicemail_and_texts_once_the_caller_hangs_up(alpha_line, twilio_post):
    twilio_post("voice", fixture("voice_incoming"))
    twiml = twilio_post("dial", fixture("dial_no_answer")).content.decode()

    assert '<Record action="https://textback.example.com/hooks/twilio/recording"' in twiml
    assert 'recordingStatusCallback="https://textback.example.com/hooks/twilio/recording"' in twiml
    assert the_call().decision == "" and textbacks() == []

    twilio_post("recording", fixture("recording_action"))

    call = the_call()
    assert (call.outcome, call.voicemail, call.voicemail_seconds) == (outcomes.VOICEMAIL, True, 14)
    [text] = textbacks()
    assert "We got your voicemail" in text.body


def test_the_recording_status_callback_after_the_action_changes_nothing_more(alpha_line, twilio_post):
    twilio_post("voice", fixture("voice_incoming"))
    twilio_post("dial", fixture("dial_no_answer"))
    twilio_post("recording", fixture("recording_action"))
    response = twilio_post("recording", fixture("recording_status_completed"))

    assert response.status_code == 204
    assert len(textbacks()) == 1
    assert the_call().recording_url.endswith("/Recordings/RE2d4f6a8c0e1b3d5f7a9c1e3b5d7f9a1c")


def test_an_absent_recording_means_no_voicemail_but_still_a_text(alpha_line, twilio_post):
    twilio_post("voice", fixture("voice_incoming"))
    twilio_post("dial", fixture("dial_no_answer"))
    twilio_post("recording", fixture("recording_status_absent"))

    call = the_call()
    assert (call.outcome, call.voicemail, call.decision) == (outcomes.NO_ANSWER, False, Call.TEXT)
    assert "sorry we missed your call" in textbacks()[0].body


def test_a_cell_voicemail_picking_up_without_pressing_1_counts_as_missed(alpha_line, twilio_post):
    no_voicemail(alpha_line)
    twilio_post("voice", fixture("voice_incoming"))
    twilio_post("screen", fixture("screen_prompt"))
    twilio_post("dial", fixture("dial_completed_unscreened"))

    call = the_call()
    assert (call.outcome, call.decision) == (outcomes.SCREENED_OUT, Call.TEXT)
    assert len(textbacks()) == 1


def test_pressing_1_connects_and_the_answered_call_gets_no_text(alpha_line, twilio_post):
    twilio_post("voice", fixture("voice_incoming"))
    connect = twilio_post("screen", fixture("screen_pressed_1")).content.decode()
    twiml = twilio_post("dial", fixture("dial_completed_bridged")).content.decode()
    twilio_post("call-status", fixture("call_status_completed"))

    assert "<Hangup" not in connect and "<Response" in connect
    assert "<Record" not in twiml
    call = the_call()
    assert (call.accepted, call.outcome, call.decision) == (True, outcomes.ANSWERED, Call.SKIP)
    assert call.decision_reason == decide.OUTCOME_NOT_SELECTED
    assert textbacks() == []


def test_pressing_another_key_hangs_up_that_phone_and_does_not_accept(alpha_line, twilio_post):
    twilio_post("voice", fixture("voice_incoming"))
    twiml = twilio_post("screen", fixture("screen_pressed_9")).content.decode()

    assert "<Hangup" in twiml
    assert the_call().accepted is False


def test_a_busy_staff_phone_gets_a_text(alpha_line, twilio_post):
    no_voicemail(alpha_line)
    twilio_post("voice", fixture("voice_incoming"))
    twilio_post("dial", fixture("dial_busy"))

    assert (the_call().outcome, len(textbacks())) == (outcomes.BUSY, 1)


def test_a_caller_who_hangs_up_while_it_rings_gets_a_text_without_a_voicemail_prompt(alpha_line, twilio_post):
    twilio_post("voice", fixture("voice_incoming"))
    twiml = twilio_post("dial", fixture("dial_caller_hung_up")).content.decode()

    assert "<Record" not in twiml
    call = the_call()
    assert (call.outcome, call.state, call.decision) == (outcomes.CALLER_HUNG_UP, Call.ENDED, Call.TEXT)


def test_a_parent_status_callback_alone_is_enough_to_text(alpha_line, twilio_post):
    """The safety net: if the <Dial> action never reached us, the call's end still decides."""
    twilio_post("voice", fixture("voice_incoming"))
    twilio_post("call-status", fixture("call_status_completed"))

    call = the_call()
    assert (call.outcome, call.decision) == (outcomes.CALLER_HUNG_UP, Call.TEXT)


def test_duplicated_callbacks_make_exactly_one_text(alpha_line, twilio_post):
    no_voicemail(alpha_line)
    for _ in range(2):
        twilio_post("voice", fixture("voice_incoming"))
        twilio_post("dial", fixture("dial_no_answer"))
        twilio_post("call-status", fixture("call_status_completed"))

    assert len(textbacks()) == 1
    assert OutboxItem.objects.filter(kind=OutboxItem.SMS).count() == 1
    assert OutboxItem.objects.get(kind="decide_call").status == OutboxItem.CANCELED  # decided before the deadline
    assert WebhookEvent.objects.get(endpoint="dial").duplicates == 1


def test_callbacks_in_reverse_order_still_make_exactly_one_text(alpha_line, twilio_post):
    no_voicemail(alpha_line)
    twilio_post("call-status", fixture("call_status_completed"))
    twilio_post("dial", fixture("dial_no_answer"))
    twilio_post("voice", fixture("voice_incoming"))

    assert Call.objects.count() == 1
    assert len(textbacks()) == 1
    assert the_call().outcome == outcomes.NO_ANSWER  # the more specific report refined the outcome


def test_a_retried_voice_webhook_gets_the_same_twiml(alpha_line, twilio_post):
    first = twilio_post("voice", fixture("voice_incoming")).content
    second = twilio_post("voice", fixture("voice_incoming")).content

    assert first == second
    assert Call.objects.count() == 1


def test_an_anonymous_caller_is_not_texted_and_the_reason_is_kept(alpha_line, twilio_post):
    no_voicemail(alpha_line)
    twilio_post("voice", fixture("voice_anonymous"))
    twilio_post("dial", fixture("dial_no_answer", From="+266696687", Caller="+266696687"))

    call = the_call()
    assert (call.decision, call.decision_reason, call.contact) == (Call.SKIP, decide.ANONYMOUS, None)
    assert textbacks() == []


def test_carrier_forwarding_treats_every_call_that_arrives_as_missed(alpha_line, twilio_post):
    alpha_line.call_mode = Line.CARRIER_FORWARD
    no_voicemail(alpha_line)
    twiml = twilio_post("voice", fixture("voice_incoming")).content.decode()

    assert "<Dial" not in twiml and "We will text you" in twiml
    call = the_call()
    assert (call.outcome, call.decision) == (outcomes.NO_ANSWER, Call.TEXT)


def test_carrier_forwarding_with_voicemail_waits_for_the_recording(alpha_line, twilio_post):
    alpha_line.call_mode = Line.CARRIER_FORWARD
    alpha_line.save()
    twiml = twilio_post("voice", fixture("voice_incoming")).content.decode()
    assert "<Record" in twiml and the_call().decision == ""

    twilio_post("recording", fixture("recording_action"))
    assert (the_call().outcome, len(textbacks())) == (outcomes.VOICEMAIL, 1)


def test_status_only_mode_texts_an_unanswered_call(alpha_line, twilio_post):
    alpha_line.call_mode = Line.STATUS_ONLY
    alpha_line.save()
    twilio_post("call-status", fixture("call_status_no_answer"))

    call = the_call()
    assert (call.outcome, call.decision) == (outcomes.NO_ANSWER, Call.TEXT)


def status_only(line: Line) -> Line:
    line.call_mode = Line.STATUS_ONLY
    line.save()
    return line


def after_the_grace(run_outbox) -> None:
    """Run the deferred decision as the worker would, a few seconds later."""
    with time_machine.travel(timezone.now() + timedelta(seconds=timing.LEG_GRACE_SECONDS + 1)):
        run_outbox()


def test_status_only_mode_does_not_text_a_completed_call_it_cannot_tell_was_missed(alpha_line, twilio_post, run_outbox):
    status_only(alpha_line)
    twilio_post("call-status", fixture("call_status_completed"))
    assert the_call().decision == ""  # waits a moment for the dialled phones' reports

    after_the_grace(run_outbox)
    assert (the_call().outcome, the_call().decision) == (outcomes.ANSWERED, Call.SKIP)


def test_status_only_mode_texts_a_completed_call_no_dialled_phone_answered(alpha_line, twilio_post, run_outbox):
    status_only(alpha_line)
    twilio_post("call-status", fixture("leg_status_no_answer"))  # before we have heard of the call itself
    twilio_post("call-status", fixture("call_status_completed"))

    after_the_grace(run_outbox)
    assert (the_call().outcome, len(textbacks())) == (outcomes.NO_ANSWER, 1)


def test_status_only_mode_does_not_text_when_a_dialled_phone_answered_even_if_its_report_comes_late(
    alpha_line, twilio_post, run_outbox
):
    status_only(alpha_line)
    twilio_post("call-status", fixture("leg_status_no_answer"))  # the first phone gave up
    twilio_post("call-status", fixture("call_status_completed"))
    answered = fixture("leg_status_no_answer", CallSid="CA" + "7" * 32, CallStatus="completed", CallDuration="95")
    twilio_post("call-status", answered)  # the second phone's report, after the parent's

    after_the_grace(run_outbox)
    assert (the_call().outcome, the_call().decision, textbacks()) == (outcomes.ANSWERED, Call.SKIP, [])


def test_with_screening_a_dialled_legs_status_decides_nothing(alpha_line, twilio_post):
    twilio_post("voice", fixture("voice_incoming"))
    response = twilio_post("call-status", fixture("leg_status_no_answer"))

    assert response.status_code == 204
    assert the_call().decision == ""


def test_a_call_to_a_number_we_do_not_know_is_told_so(alpha_line, twilio_post):
    twiml = twilio_post("voice", fixture("voice_incoming", To="+15125550111", Called="+15125550111")).content.decode()

    assert "not set up" in twiml
    assert Call.objects.count() == 0


def test_another_tenants_account_cannot_report_calls_to_our_line(alpha_line, beta_line, twilio_post):
    fields = fixture("voice_incoming", AccountSid=beta_line.account.account_sid)
    twiml = twilio_post("voice", fields, token=BETA_TOKEN).content.decode()

    assert "not set up" in twiml
    assert Call.objects.count() == 0


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)//",
        "JAVASCRIPT:alert(1)",
        "http://api.twilio.com/rec",
        "https://api.twilio.com.evil.example/r",
    ],
)
def test_a_recording_url_that_is_not_twilios_own_https_url_is_never_stored(alpha_line, twilio_post, url):
    twilio_post("voice", fixture("voice_incoming"))
    twilio_post("dial", fixture("dial_no_answer"))

    twilio_post("recording", fixture("recording_action", RecordingUrl=url))

    call = the_call()
    assert (call.voicemail, call.recording_url) == (True, "")  # the message counts; the link is not kept


def test_the_staff_page_links_only_to_a_stored_https_recording(alpha_line, twilio_post, client, alice):
    twilio_post("voice", fixture("voice_incoming"))
    twilio_post("dial", fixture("dial_no_answer"))
    twilio_post("recording", fixture("recording_action", RecordingUrl="javascript:alert(1)//"))
    client.force_login(alice)

    page = client.get(f"/b/alpha/calls/{the_call().pk}").content.decode()

    assert "javascript:" not in page
