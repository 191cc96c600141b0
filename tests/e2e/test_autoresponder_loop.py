"""An autoresponder answering our text-back, through real HTTP: signed Twilio webhooks in, the Twilio stub out.

Its answer pauses automation for that number (with an event in the conversation's timeline), and its next
missed call is not texted back, for that reason."""

import time
import uuid

import pytest

from tests.e2e.test_missed_call_loop import Caller, decision, post
from tests.support.harness import wait_until

pytestmark = pytest.mark.e2e
AWAY = "This is an automated reply. I am away from the office and will answer when I return."


def contact_state(system, caller: Caller) -> tuple | None:
    rows = system.database.query(
        "SELECT automation_paused_at IS NOT NULL, automation_paused_why FROM messaging_contact WHERE number = %s",
        (caller.number,),
    )
    return rows[0] if rows else None


def timeline_events(system, caller: Caller) -> list[tuple]:
    return system.database.query(
        "SELECT e.kind, e.body FROM messaging_conversationevent e JOIN messaging_conversation c "
        "ON c.id = e.conversation_id JOIN messaging_contact ct ON ct.id = c.contact_id WHERE ct.number = %s",
        (caller.number,),
    )


def test_an_autoresponders_answer_pauses_automation_and_its_next_missed_call_is_not_texted(embedded, twilio_stub):
    caller = Caller()
    post(embedded, "voice", caller.fields("voice_incoming"))
    post(embedded, "dial", caller.fields("dial_no_answer"))
    [text_back] = twilio_stub.wait_for(1, to=caller.number)
    assert "AlphaPlumbing" in text_back.form["Body"]

    answer = caller.fields("sms_incoming", Body=AWAY)
    assert post(embedded, "sms", answer).status_code == 200

    assert wait_until(lambda: contact_state(embedded, caller)) == (True, "an autoresponder is answering them")
    [(kind, body)] = timeline_events(embedded, caller)
    assert (kind, body) == (
        "automation_paused",
        "an autoresponder is answering them (its words are an automatic reply's)",
    )

    caller.call_sid = "CA" + uuid.uuid4().hex  # the same number calls again
    post(embedded, "voice", caller.fields("voice_incoming"))
    post(embedded, "dial", caller.fields("dial_no_answer"))
    assert wait_until(lambda: decision(embedded, caller)) == ("no_answer", "skip", "automation_paused")
    time.sleep(0.5)  # time for a second text to show up, if one were sent
    assert len(twilio_stub.sent(to=caller.number)) == 1


def test_a_persons_answer_to_our_text_back_pauses_nothing(embedded, twilio_stub):
    caller = Caller()
    post(embedded, "voice", caller.fields("voice_incoming"))
    post(embedded, "dial", caller.fields("dial_no_answer"))
    twilio_stub.wait_for(1, to=caller.number)

    assert post(embedded, "sms", caller.fields("sms_incoming")).status_code == 200  # "Water heater is leaking…"

    assert wait_until(lambda: contact_state(embedded, caller)) == (False, None)
    assert timeline_events(embedded, caller) == []
