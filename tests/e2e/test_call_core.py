"""The call core through real HTTP against `textback serve`: tenants kept apart, hostile input refused,
lost callbacks decided by the worker, and a caller who hangs up while it rings."""

import time
import uuid

import httpx
import pytest

from tests.e2e.conftest import BETA_LINE, TWILIO_LINE, VOICEMAIL_LINE
from tests.e2e.test_missed_call_loop import Caller, decision, post
from tests.support.harness import System, wait_until
from textback.conftest import BETA_SID, BETA_TOKEN

pytestmark = pytest.mark.e2e

ENDPOINTS = ["voice", "screen", "dial", "call-status", "recording", "sms", "sms-status"]


def as_beta(system: System, endpoint: str, fields: dict) -> httpx.Response:
    """A request BetaHVAC's Twilio account signs correctly, naming Beta's own line."""
    fields = {**fields, "AccountSid": BETA_SID}
    if fields.get("To") in (TWILIO_LINE, VOICEMAIL_LINE):
        fields["To"] = fields["Called"] = BETA_LINE
    return post(system, endpoint, fields, token=BETA_TOKEN)


def test_another_tenants_credentials_cannot_answer_our_call_or_make_us_text(embedded, twilio_stub):
    caller = Caller()
    post(embedded, "voice", caller.fields("voice_incoming"))

    assert as_beta(embedded, "dial", caller.fields("dial_completed_bridged")).status_code == 200
    assert as_beta(embedded, "call-status", caller.fields("call_status_no_answer")).status_code == 204
    time.sleep(1)
    assert twilio_stub.sent(to=caller.number) == []
    assert decision(embedded, caller) == (None, "", "")

    post(embedded, "dial", caller.fields("dial_no_answer"))  # our own <Dial> action still counts

    [request] = twilio_stub.wait_for(1, to=caller.number)
    assert request.form["From"] == TWILIO_LINE
    assert decision(embedded, caller) == ("no_answer", "text", "missed_call")


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_nul_in_to_gets_a_refusal_not_a_server_error(embedded, endpoint):
    body = f"AccountSid={BETA_SID}&To=%00&CallSid=CA{uuid.uuid4().hex}"
    response = httpx.post(
        f"{embedded.url}/hooks/twilio/{endpoint}",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "bm90LWEtc2lnbmF0dXJl"},
        timeout=10,
    )

    assert response.status_code in (400, 403), response.text  # refused before any lookup or signature work


@pytest.mark.parametrize(
    "body,headers",
    [
        ("[" * 5000 + "]" * 5000, {}),
        ('{"line": "\\ud800", "call_id": "1"}', {}),
        ('{"line": "+15125550100"}', {"X-Textback-Signature": "sha256=caf\u00e9".encode()}),
        ('{"line": "+15125550100"}', {"X-Textback-Timestamp": "9" * 400, "X-Textback-Signature": "sha256=00"}),
    ],
    ids=["deep-json", "lone-surrogate", "non-ascii-signature", "400-digit-timestamp"],
)
def test_hostile_pbx_reports_get_a_refusal_not_a_server_error(embedded, body, headers):
    response = httpx.post(
        f"{embedded.url}/hooks/generic/call",
        content=body.encode(),
        headers={"Content-Type": "application/json", "X-Textback-Timestamp": str(int(time.time())), **headers},
        timeout=10,
    )

    assert 400 <= response.status_code < 500, response.text


def test_a_call_whose_every_callback_after_the_first_is_lost_is_texted_by_the_worker(split, twilio_stub):
    caller = Caller()
    post(split, "voice", caller.fields("voice_incoming"))
    [(call_id, started, decide_by)] = split.database.query(
        "SELECT id, started_at, decide_by FROM calls_call WHERE provider_call_id = %s", (caller.call_sid,)
    )
    [(due,)] = split.database.query(
        "SELECT due_at FROM outbox_outboxitem WHERE idempotency_key = %s AND status = 'pending'",
        (f"decide_call:{call_id}",),
    )
    assert due == decide_by and decide_by > started  # a durable reminder, minutes ahead (ring, whisper, margin)

    now = "now()" if split.database.is_postgres else "strftime('%Y-%m-%d %H:%M:%f', 'now')"
    split.database.execute(  # time passes, and nothing else ever arrives from Twilio
        f"UPDATE outbox_outboxitem SET due_at = {now} WHERE idempotency_key = %s", (f"decide_call:{call_id}",)
    )
    if split.database.is_postgres:
        split.database.execute("SELECT pg_notify('textback_outbox', '')")

    [request] = twilio_stub.wait_for(1, to=caller.number, timeout=15)
    assert request.form["From"] == TWILIO_LINE
    assert wait_until(lambda: decision(split, caller)) == ("no_answer", "text", "missed_call")


def test_a_caller_who_hangs_up_while_it_rings_is_texted_at_once_and_never_offered_voicemail(embedded, twilio_stub):
    caller = Caller(line=VOICEMAIL_LINE)
    post(embedded, "voice", caller.fields("voice_incoming"))
    started = time.monotonic()

    twiml = post(embedded, "dial", caller.fields("dial_no_answer", CallStatus="no-answer")).text

    assert "<Record" not in twiml and "<Hangup" in twiml
    [request] = twilio_stub.wait_for(1, to=caller.number)
    assert time.monotonic() - started < 3  # no wait for a voicemail nobody is leaving
    assert "sorry we missed your call" in request.form["Body"]
    assert decision(embedded, caller) == ("caller_hung_up", "text", "missed_call")


def test_a_caller_who_hangs_up_during_the_greeting_is_texted_after_a_short_grace(embedded, twilio_stub):
    """The recording's callbacks never come (the caller left before the beep); the call's end does."""
    caller = Caller(line=VOICEMAIL_LINE)
    post(embedded, "voice", caller.fields("voice_incoming"))
    assert "<Record" in post(embedded, "dial", caller.fields("dial_no_answer")).text
    ended = time.monotonic()

    post(embedded, "call-status", caller.fields("call_status_completed"))

    [request] = twilio_stub.wait_for(1, to=caller.number, timeout=15)
    assert 4 < time.monotonic() - ended < 10  # the 5-second grace for a recording that might still be reported
    assert "sorry we missed your call" in request.form["Body"]
    assert decision(embedded, caller) == ("no_answer", "text", "missed_call")
