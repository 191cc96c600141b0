"""Ringing the staff phones on real Twilio: ring time, the caller hanging up, screening, ring groups."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from textback.calls import outcomes
from textback.calls.models import Call
from textback.messaging.models import Message
from textback.providers.models import Line
from textback.providers.twilio.tests.helpers import fixture

pytestmark = pytest.mark.django_db

CALL_SID = fixture("voice_incoming")["CallSid"]
SECOND_PHONE = "+15125550198"


def the_call() -> Call:
    return Call.objects.get(provider_call_id=CALL_SID)


def textbacks() -> list[Message]:
    return list(Message.objects.filter(purpose=Message.TEXTBACK))


@pytest.fixture
def two_phones(alpha_line) -> Line:
    alpha_line.forward_to = [alpha_line.forward_to[0], SECOND_PHONE]
    alpha_line.ring_seconds = 30
    alpha_line.save()
    return alpha_line


# --- the caller hangs up while it rings (answerOnBridge: the parent is never answered) ---------


@pytest.mark.parametrize("parent_status", ["completed", "canceled", "no-answer", "busy", "failed"])
def test_a_dial_action_for_a_caller_who_is_gone_gets_no_voicemail_and_no_grace(alpha_line, twilio_post, parent_status):
    twilio_post("voice", fixture("voice_incoming"))

    twiml = twilio_post("dial", fixture("dial_no_answer", CallStatus=parent_status)).content.decode()

    assert "<Record" not in twiml and "<Hangup" in twiml
    call = the_call()
    assert (call.outcome, call.state, call.awaiting_voicemail) == (outcomes.CALLER_HUNG_UP, Call.ENDED, False)
    assert call.decision == Call.TEXT  # decided at once: nobody is leaving a message


@pytest.mark.parametrize("parent_status", ["no-answer", "canceled"])
def test_a_parent_that_ends_unanswered_before_any_phone_answered_is_a_caller_who_hung_up(
    alpha_line, twilio_post, parent_status
):
    twilio_post("voice", fixture("voice_incoming"))

    twilio_post("call-status", fixture("call_status_no_answer", CallStatus=parent_status))

    assert (the_call().outcome, the_call().decision) == (outcomes.CALLER_HUNG_UP, Call.TEXT)


# --- screened out, from what we saw -------------------------------------------------------------


def test_a_phone_that_heard_the_prompt_and_did_not_accept_screens_the_call_out_whatever_twilio_says(
    alpha_line, twilio_post
):
    alpha_line.record_voicemail = False
    alpha_line.save()
    twilio_post("voice", fixture("voice_incoming"))
    twilio_post("screen", fixture("screen_prompt"))

    twilio_post("dial", fixture("dial_no_answer", DialBridged=None))

    call = the_call()
    assert call.screened_legs == {fixture("screen_prompt")["CallSid"]: "+15125550199"}
    assert (call.outcome, call.decision) == (outcomes.SCREENED_OUT, Call.TEXT)


def test_twilio_saying_nothing_was_bridged_wins_over_a_key_press(alpha_line, twilio_post):
    """Staff pressed 1 just as the caller hung up: they never spoke, so the caller is texted."""
    alpha_line.record_voicemail = False
    alpha_line.save()
    twilio_post("voice", fixture("voice_incoming"))
    twilio_post("screen", fixture("screen_prompt"))
    twilio_post("screen", fixture("screen_pressed_1"))

    twilio_post("dial", fixture("dial_caller_hung_up", DialCallStatus="completed", DialBridged="false"))

    assert the_call().outcome == outcomes.CALLER_HUNG_UP
    assert len(textbacks()) == 1


# --- ring time and ring groups --------------------------------------------------------------------


def test_the_dial_timeout_leaves_room_for_twilios_five_second_buffer(two_phones, twilio_post):
    twiml = twilio_post("voice", fixture("voice_incoming")).content.decode()

    assert 'timeout="25"' in twiml  # 30 s heard by the caller
    assert twiml.count("<Number") == 2


def test_when_one_phones_voicemail_picks_up_the_other_phones_are_rung_for_the_time_left(two_phones, twilio_post):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        twilio_post("voice", fixture("voice_incoming"))
        clock.shift(timedelta(seconds=8))
        twilio_post("screen", fixture("screen_prompt"))  # the first cell's voicemail took the call
        twiml = twilio_post("dial", fixture("dial_completed_unscreened")).content.decode()

    assert "<Dial" in twiml and "<Record" not in twiml
    assert f">{SECOND_PHONE}</Number>" in twiml and ">+15125550199</Number>" not in twiml
    assert 'timeout="17"' in twiml  # 30 - 8 seconds left, less Twilio's 5-second buffer
    call = the_call()
    assert (call.state, call.outcome, call.decision) == (Call.RINGING, None, "")


def test_the_second_round_ending_unanswered_is_a_missed_call_with_voicemail(two_phones, twilio_post):
    twilio_post("voice", fixture("voice_incoming"))
    twilio_post("screen", fixture("screen_prompt"))
    twilio_post("dial", fixture("dial_completed_unscreened"))
    second = fixture("dial_no_answer", DialCallSid="CA" + "2" * 32)

    twiml = twilio_post("dial", second).content.decode()

    assert "<Record" in twiml
    assert the_call().outcome == outcomes.SCREENED_OUT  # a phone picked up and nobody accepted


def test_no_phone_is_rung_again_once_the_ring_time_is_nearly_used(two_phones, twilio_post):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        twilio_post("voice", fixture("voice_incoming"))
        clock.shift(timedelta(seconds=25))
        twilio_post("screen", fixture("screen_prompt"))
        twiml = twilio_post("dial", fixture("dial_completed_unscreened")).content.decode()

    assert "<Record" in twiml and twiml.count("<Dial") == 0
    assert the_call().outcome == outcomes.SCREENED_OUT


def test_a_retried_dial_action_gets_the_same_second_round(two_phones, twilio_post):
    twilio_post("voice", fixture("voice_incoming"))
    twilio_post("screen", fixture("screen_prompt"))
    first = twilio_post("dial", fixture("dial_completed_unscreened")).content.decode()
    again = twilio_post("dial", fixture("dial_completed_unscreened")).content.decode()

    assert f">{SECOND_PHONE}</Number>" in first and f">{SECOND_PHONE}</Number>" in again
    assert the_call().decision == ""
