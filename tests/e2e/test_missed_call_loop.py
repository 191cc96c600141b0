"""The missed-call loop through real HTTP: signed Twilio webhooks in, REST requests to a Twilio stub out."""

import time
import uuid

import httpx
import pytest

from tests.e2e.conftest import DELAYED_LINE, FORWARDED_LINE, TWILIO_LINE
from tests.support.harness import System, wait_until
from textback.conftest import ALPHA_SID, ALPHA_TOKEN
from textback.providers.twilio.tests import openapi
from textback.providers.twilio.tests.helpers import fixture, signed

pytestmark = pytest.mark.e2e


def post(system: System, endpoint: str, fields: dict, *, token: str = ALPHA_TOKEN, query: str = "") -> httpx.Response:
    url, body, headers = signed(system.url, endpoint, fields, token, query)
    return httpx.post(url, content=body, headers=headers, timeout=10)


class Caller:
    """One simulated caller with their own numbers and SIDs, so tests sharing a server never collide."""

    def __init__(self, line: str = TWILIO_LINE):
        self.number = f"+1512{200 + uuid.uuid4().int % 800:03d}{uuid.uuid4().int % 10000:04d}"
        self.line = line
        self.call_sid = "CA" + uuid.uuid4().hex

    def fields(self, name: str, **overrides) -> dict:
        base = {
            "CallSid": self.call_sid,
            "From": self.number,
            "Caller": self.number,
            "To": self.line,
            "Called": self.line,
        }
        if "ParentCallSid" in fixture(name):
            base = {"ParentCallSid": self.call_sid, "CallSid": "CA" + uuid.uuid4().hex, "From": self.number}
        if name.startswith("sms"):
            base = {"From": self.number, "To": self.line, "MessageSid": "SM" + uuid.uuid4().hex}
        return fixture(name, **{**base, **overrides})


def decision(system: System, caller: Caller) -> tuple:
    rows = system.database.query(
        "SELECT outcome, decision, decision_reason FROM calls_call WHERE provider_call_id = %s", (caller.call_sid,)
    )
    return rows[0] if rows else None


def test_a_missed_call_is_texted_back_within_seconds(embedded, twilio_stub):
    caller = Caller()
    started = time.monotonic()
    assert post(embedded, "voice", caller.fields("voice_incoming")).status_code == 200
    assert post(embedded, "dial", caller.fields("dial_no_answer")).status_code == 200

    [request] = twilio_stub.wait_for(1, to=caller.number)
    assert time.monotonic() - started < 3
    assert request.path == f"/2010-04-01/Accounts/{ALPHA_SID}/Messages.json"
    form = request.form
    assert (form["From"], form["To"]) == (TWILIO_LINE, caller.number)
    assert form["Body"].startswith("Hi there, Mike at AlphaPlumbing here")
    assert "Reply STOP to opt out." in form["Body"]
    assert form["StatusCallback"].startswith(f"{embedded.url}/hooks/twilio/sms-status?m=")
    assert decision(embedded, caller) == ("no_answer", "text", "missed_call")


def test_every_request_we_send_to_twilio_matches_its_openapi_description(embedded, twilio_stub):
    spec = openapi.require_spec()
    caller = Caller()
    post(embedded, "voice", caller.fields("voice_incoming"))
    post(embedded, "dial", caller.fields("dial_busy"))
    [request] = twilio_stub.wait_for(1, to=caller.number)

    url = f"{twilio_stub.url}{request.url}"
    assert openapi.request_problems(spec, "POST", url, request.body, request.headers["Content-Type"]) == []
    assert openapi.auth_problems(request.headers, ALPHA_SID) == []
    assert {"To", "From", "Body"} <= set(request.form)


def test_duplicated_and_reordered_callbacks_send_exactly_one_text(embedded, twilio_stub):
    caller = Caller()
    post(embedded, "call-status", caller.fields("call_status_completed"))
    for _ in range(3):
        post(embedded, "dial", caller.fields("dial_no_answer"))
        post(embedded, "voice", caller.fields("voice_incoming"))
        post(embedded, "call-status", caller.fields("call_status_completed"))

    twilio_stub.wait_for(1, to=caller.number)
    time.sleep(1.0)  # time for any second text to show up
    assert len(twilio_stub.sent(to=caller.number)) == 1


def test_an_answered_call_sends_no_text(embedded, twilio_stub):
    caller = Caller()
    post(embedded, "voice", caller.fields("voice_incoming"))
    post(embedded, "screen", caller.fields("screen_pressed_1"))
    post(embedded, "dial", caller.fields("dial_completed_bridged"))
    post(embedded, "call-status", caller.fields("call_status_completed"))

    assert wait_until(lambda: decision(embedded, caller)) == ("answered", "skip", "outcome_not_selected")
    time.sleep(0.5)
    assert twilio_stub.sent(to=caller.number) == []


def test_a_cell_voicemail_that_picks_up_without_pressing_1_is_texted(embedded, twilio_stub):
    caller = Caller()
    post(embedded, "voice", caller.fields("voice_incoming"))
    post(embedded, "screen", caller.fields("screen_prompt"))
    post(embedded, "dial", caller.fields("dial_completed_unscreened"))

    assert len(twilio_stub.wait_for(1, to=caller.number)) == 1
    assert decision(embedded, caller)[0] == "screened_out"


def test_carrier_forwarding_texts_from_the_one_voice_webhook(embedded, twilio_stub):
    caller = Caller(line=FORWARDED_LINE)
    post(embedded, "voice", caller.fields("voice_incoming"))

    [request] = twilio_stub.wait_for(1, to=caller.number)
    assert request.form["From"] == FORWARDED_LINE


def test_stop_between_the_missed_call_and_a_delayed_text_back_stops_it(embedded, twilio_stub):
    caller = Caller(line=DELAYED_LINE)
    post(embedded, "voice", caller.fields("voice_incoming"))
    post(embedded, "dial", caller.fields("dial_no_answer"))
    assert post(embedded, "sms", caller.fields("sms_stop")).status_code == 200

    time.sleep(3.0)  # past the text-back's due time
    assert twilio_stub.sent(to=caller.number) == []
    [(status,)] = embedded.database.query(
        "SELECT m.status FROM messaging_message m JOIN messaging_contact c ON c.id = m.contact_id "
        "WHERE c.number = %s AND m.purpose = 'textback'",
        (caller.number,),
    )
    assert status == "canceled"


def test_a_delayed_text_back_goes_out_at_its_due_time(embedded, twilio_stub):
    caller = Caller(line=DELAYED_LINE)
    post(embedded, "voice", caller.fields("voice_incoming"))
    ended = time.time()
    post(embedded, "dial", caller.fields("dial_no_answer"))

    [request] = twilio_stub.wait_for(1, to=caller.number, timeout=6)
    assert 1.9 <= request.at - ended < 3.0


def test_forged_signatures_get_403_and_change_nothing(embedded, twilio_stub):
    caller = Caller()
    for endpoint, name in [("voice", "voice_incoming"), ("dial", "dial_no_answer"), ("sms", "sms_stop")]:
        assert post(embedded, endpoint, caller.fields(name), token="0" * 32).status_code == 403

    assert decision(embedded, caller) is None
    assert embedded.database.query("SELECT count(*) FROM messaging_contact WHERE number = %s", (caller.number,)) == [
        (0,)
    ]


@pytest.mark.parametrize(
    "body,content_type",
    [
        (b"{not json", "application/json"),
        (b"\xff\xfe\x00garbage", "application/x-www-form-urlencoded"),
        (b"x" * 300_000, "text/plain"),
    ],
)
def test_garbage_bodies_get_a_4xx_never_a_500(embedded, body, content_type):
    for endpoint in ("voice", "sms", "sms-status", "dial"):
        response = httpx.post(
            f"{embedded.url}/hooks/twilio/{endpoint}",
            content=body,
            headers={"Content-Type": content_type, "X-Twilio-Signature": "bogus"},
            timeout=10,
        )
        assert 400 <= response.status_code < 500, (endpoint, response.status_code)
    response = httpx.post(f"{embedded.url}/hooks/generic/call", content=body, headers={"Content-Type": content_type})
    assert 400 <= response.status_code < 500
