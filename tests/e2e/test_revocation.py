"""Revocation by any reasonable means through real HTTP: signed Twilio webhooks in, the Twilio stand-in out.

Twilio confirms its own keywords (STOP) on these lines, but no carrier recognises "please stop texting me":
textback sends that confirmation itself, once."""

import time

import pytest

from tests.e2e.conftest import DELAYED_LINE
from tests.e2e.test_missed_call_loop import Caller, decision, post

pytestmark = pytest.mark.e2e


def test_a_plain_words_opt_out_gets_one_confirmation_and_then_nothing_automatic(embedded, twilio_stub):
    caller = Caller()
    post(embedded, "voice", caller.fields("voice_incoming"))
    post(embedded, "dial", caller.fields("dial_no_answer"))
    twilio_stub.wait_for(1, to=caller.number)

    assert post(embedded, "sms", caller.fields("sms_incoming", Body="Please stop texting me")).status_code == 200

    [_textback, confirmation] = twilio_stub.wait_for(2, to=caller.number, timeout=5)
    assert confirmation.form["Body"].startswith("AlphaPlumbing: You are unsubscribed")
    post(embedded, "sms", caller.fields("sms_stop"))  # Twilio answers this one itself
    again = Caller()
    again.number = caller.number
    post(embedded, "voice", again.fields("voice_incoming"))
    post(embedded, "dial", again.fields("dial_no_answer"))
    time.sleep(1.5)
    assert len(twilio_stub.sent(to=caller.number)) == 2
    assert decision(embedded, again) == ("no_answer", "skip", "opted_out")
    [(keyword,)] = embedded.database.query(
        "SELECT keyword FROM messaging_consentevent WHERE number = %s AND source = 'phrase'", (caller.number,)
    )
    assert keyword == "Please stop texting me"


def test_a_borderline_reply_before_a_delayed_text_back_stops_it_and_opts_nobody_out(embedded, twilio_stub):
    caller = Caller(line=DELAYED_LINE)
    post(embedded, "voice", caller.fields("voice_incoming"))
    post(embedded, "dial", caller.fields("dial_no_answer"))
    assert post(embedded, "sms", caller.fields("sms_incoming", Body="who is this? stop")).status_code == 200

    time.sleep(3.0)  # past the text-back's due time
    assert twilio_stub.sent(to=caller.number) == []
    [(paused,)] = embedded.database.query(
        "SELECT automation_paused_why FROM messaging_contact WHERE number = %s", (caller.number,)
    )
    assert paused == "Possible opt-out: who is this? stop"
    assert embedded.database.query("SELECT 1 FROM messaging_consentevent WHERE number = %s", (caller.number,)) == []
