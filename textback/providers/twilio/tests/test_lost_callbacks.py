"""Every call is decided exactly once, even when Twilio's callbacks for it never arrive.

Whenever a call is left waiting (ringing, in voicemail, in a grace period), a durable reminder is due
at the latest moment the call can still be going; the outbox runs it if nothing decided first.
"""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from textback.calls import outcomes, timing
from textback.calls.models import Call
from textback.messaging.models import Message
from textback.outbox.models import OutboxItem
from textback.providers.models import Line
from textback.providers.twilio.tests.helpers import fixture

pytestmark = pytest.mark.django_db

CALL_SID = fixture("voice_incoming")["CallSid"]


def the_call() -> Call:
    return Call.objects.get(provider_call_id=CALL_SID)


def reminder() -> OutboxItem:
    return OutboxItem.objects.get(kind="decide_call", payload__call=the_call().pk)


def textbacks() -> list[Message]:
    return list(Message.objects.filter(purpose=Message.TEXTBACK))


def at(moment, run_outbox):
    with time_machine.travel(moment + timedelta(milliseconds=1)):
        return run_outbox()


def test_a_ringing_call_gets_a_reminder_at_the_latest_moment_it_can_still_be_going(alpha_line, twilio_post):
    twilio_post("voice", fixture("voice_incoming"))

    call = the_call()
    window = timing.ringing_window(alpha_line.ring_seconds, len(alpha_line.forward_to), alpha_line.greeting)
    assert call.decide_by == call.started_at + window == reminder().due_at
    # 20 s of ringing, one phone's whisper, the greeting, a 2-minute message, a margin: a few minutes.
    assert timedelta(minutes=4) < window < timedelta(minutes=6)


def test_a_call_whose_every_callback_is_lost_is_still_texted_once(alpha_line, twilio_post, run_outbox):
    twilio_post("voice", fixture("voice_incoming"))
    assert at(the_call().decide_by - timedelta(seconds=1), run_outbox) == []  # not yet

    at(the_call().decide_by, run_outbox)

    call = the_call()
    assert (call.state, call.outcome, call.decision) == (Call.ENDED, outcomes.NO_ANSWER, Call.TEXT)
    assert len(textbacks()) == 1 and "sorry we missed your call" in textbacks()[0].body
    assert reminder().status == OutboxItem.DONE


def test_a_caller_who_hangs_up_during_the_greeting_with_the_parent_callback_lost_is_texted(
    alpha_line, twilio_post, run_outbox
):
    """Hung up before <Record>: no recording callbacks; and the one parent status callback is lost."""
    twilio_post("voice", fixture("voice_incoming"))
    before = timezone.now()
    twilio_post("dial", fixture("dial_no_answer"))  # sent to voicemail
    call = the_call()
    assert call.awaiting_voicemail and call.decision == ""
    assert call.decide_by <= before + timing.voicemail_window(alpha_line.greeting) + timedelta(seconds=5)

    at(call.decide_by, run_outbox)

    call = the_call()
    assert (call.outcome, call.voicemail, call.decision) == (outcomes.NO_ANSWER, False, Call.TEXT)
    assert len(textbacks()) == 1


def test_the_parent_callback_during_voicemail_moves_the_reminder_to_a_short_grace(alpha_line, twilio_post, run_outbox):
    twilio_post("voice", fixture("voice_incoming"))
    twilio_post("dial", fixture("dial_no_answer"))
    ended = timezone.now()
    twilio_post("call-status", fixture("call_status_completed"))  # the recording's own callbacks are lost

    call = the_call()
    assert call.decision == ""
    assert ended < call.decide_by <= ended + timedelta(seconds=timing.VOICEMAIL_GRACE_SECONDS + 1)
    at(call.decide_by, run_outbox)
    assert (the_call().decision, len(textbacks())) == (Call.TEXT, 1)


def test_a_call_someone_accepted_is_answered_when_its_end_is_never_reported(alpha_line, twilio_post, run_outbox):
    twilio_post("voice", fixture("voice_incoming"))
    twilio_post("screen", fixture("screen_prompt"))
    twilio_post("screen", fixture("screen_pressed_1"))

    at(the_call().decide_by, run_outbox)

    call = the_call()
    assert (call.outcome, call.decision, textbacks()) == (outcomes.ANSWERED, Call.SKIP, [])


def test_a_call_a_phone_picked_up_without_accepting_is_screened_out_when_its_end_is_lost(
    alpha_line, twilio_post, run_outbox
):
    twilio_post("voice", fixture("voice_incoming"))
    twilio_post("screen", fixture("screen_prompt"))  # the cell's voicemail answered and ignored the prompt

    at(the_call().decide_by, run_outbox)

    assert (the_call().outcome, the_call().decision) == (outcomes.SCREENED_OUT, Call.TEXT)


def test_carrier_forwarding_with_voicemail_is_texted_when_the_recording_callbacks_are_lost(
    alpha_line, twilio_post, run_outbox
):
    alpha_line.call_mode = Line.CARRIER_FORWARD
    alpha_line.save()
    twilio_post("voice", fixture("voice_incoming"))
    assert the_call().awaiting_voicemail and reminder().status == OutboxItem.PENDING

    at(the_call().decide_by, run_outbox)

    assert (the_call().decision, len(textbacks())) == (Call.TEXT, 1)


def test_a_call_decided_in_time_drops_its_reminder_and_the_reminder_changes_nothing(
    alpha_line, twilio_post, run_outbox
):
    twilio_post("voice", fixture("voice_incoming"))
    twilio_post("dial", fixture("dial_no_answer"))
    twilio_post("recording", fixture("recording_action"))
    decided_at = the_call().decided_at

    assert reminder().status == OutboxItem.CANCELED
    with time_machine.travel(the_call().decide_by + timedelta(seconds=1)):
        from textback.outbox import worker

        assert [item.kind for item, _ in worker.claim("w1", 10)] == ["sms"]  # the text-back only
    assert (the_call().decided_at, len(textbacks())) == (decided_at, 1)


def test_a_reminder_that_fires_as_the_last_callback_arrives_still_decides_once(alpha_line, twilio_post, run_outbox):
    """The reminder row was already claimed when the <Dial> action decided the call."""
    from textback.calls import actions
    from textback.outbox import worker

    alpha_line.record_voicemail = False
    alpha_line.save()
    twilio_post("voice", fixture("voice_incoming"))
    with time_machine.travel(the_call().decide_by + timedelta(seconds=1)):
        [(item, reconcile)] = worker.claim("w1", 10)
        twilio_post("dial", fixture("dial_no_answer"))
        actions.decide_when_due(item, reconcile)

    assert len(textbacks()) == 1
    assert OutboxItem.objects.get(pk=item.pk).status == OutboxItem.DONE
