"""A worker killed with SIGKILL loses nothing and duplicates nothing; a scheduled text survives any crash."""

import threading
import time

import pytest

from tests.e2e.test_missed_call_loop import Caller, post
from tests.support.harness import wait_until

pytestmark = pytest.mark.e2e


def textback_status(system, caller) -> tuple | None:
    rows = system.database.query(
        "SELECT m.status, m.provider_message_id FROM messaging_message m "
        "JOIN messaging_contact c ON c.id = m.contact_id WHERE c.number = %s AND m.purpose = 'textback'",
        (caller.number,),
    )
    return rows[0] if rows else None


def test_a_worker_killed_while_twilio_holds_the_request_does_not_send_twice(split, twilio_stub):
    caller = Caller()
    twilio_stub.hold = threading.Event()
    post(split, "voice", caller.fields("voice_incoming"))
    post(split, "dial", caller.fields("dial_no_answer"))
    assert len(twilio_stub.wait_for(1, to=caller.number)) == 1  # Twilio has it; its answer is held back

    split.kill_worker(split.workers[0])
    twilio_stub.hold.set()
    twilio_stub.hold = None
    assert textback_status(split, caller)[1] is None  # the dead worker never learnt the SID
    split.start_worker()

    sid = wait_until(lambda: (textback_status(split, caller) or (None, None))[1], timeout=15)
    created = [m["sid"] for m in twilio_stub.messages if m["to"] == caller.number]
    assert sid == created[0]
    time.sleep(1.0)
    assert len(twilio_stub.sent(to=caller.number)) == 1
    lookups = [r for r in twilio_stub.requests if r.method == "GET" and caller.number.replace("+", "%2B") in r.query]
    assert lookups, "the new worker should have looked the message up before sending again"


def test_a_text_due_while_no_worker_runs_is_sent_when_one_starts(split, twilio_stub):
    caller = Caller()
    split.kill_worker(split.workers[0])
    post(split, "voice", caller.fields("voice_incoming"))
    post(split, "dial", caller.fields("dial_no_answer"))
    time.sleep(0.5)
    assert twilio_stub.sent(to=caller.number) == []
    assert textback_status(split, caller)[0] == "scheduled"

    split.start_worker()
    assert len(twilio_stub.wait_for(1, to=caller.number)) == 1


def test_a_transient_twilio_error_is_retried_and_sent_once(split, twilio_stub):
    caller = Caller()
    twilio_stub.failures.append((503, {"code": 20500, "message": "Internal Server Error", "status": 503}))
    post(split, "voice", caller.fields("voice_incoming"))
    post(split, "dial", caller.fields("dial_no_answer"))

    requests = twilio_stub.wait_for(2, to=caller.number, timeout=15)
    assert len(requests) == 2
    assert wait_until(lambda: (textback_status(split, caller) or ("",))[0] == "queued", timeout=5)
    assert len([m for m in twilio_stub.messages if m["to"] == caller.number]) == 1


def test_a_permanent_twilio_error_is_recorded_and_not_retried(split, twilio_stub):
    caller = Caller()
    twilio_stub.failures.append(
        (400, {"code": 21614, "message": "'To' number is not a valid mobile number", "status": 400})
    )
    post(split, "voice", caller.fields("voice_incoming"))
    post(split, "dial", caller.fields("dial_no_answer"))

    twilio_stub.wait_for(1, to=caller.number)
    assert wait_until(lambda: (textback_status(split, caller) or ("",))[0] == "failed", timeout=5)
    time.sleep(1.0)
    assert len(twilio_stub.sent(to=caller.number)) == 1
    rows = split.database.query("SELECT is_landline FROM messaging_contact WHERE number = %s", (caller.number,))
    assert rows == [(True,)] or rows == [(1,)]
