"""/hooks/generic/call: a PBX reports a finished call as HMAC-signed JSON."""

import json
import time

import pytest

from textback.calls import decide, outcomes
from textback.calls.models import Call, WebhookEvent
from textback.conftest import ALPHA_NUMBER, BETA_NUMBER, CALLER
from textback.messaging.models import Contact, Message
from textback.outbox.models import OutboxItem
from textback.providers.generic.views import sign

pytestmark = pytest.mark.django_db

URL = "/hooks/generic/call"


def body_for(**overrides) -> dict:
    payload = {"call_id": "1767225600.42", "line": ALPHA_NUMBER, "from": CALLER, "outcome": "no_answer"}
    payload.update(overrides)
    return {k: v for k, v in payload.items() if v is not None}


def post(
    client,
    business,
    payload=None,
    *,
    raw: bytes | None = None,
    timestamp: str | None = None,
    signature: str | None = None,
    headers: dict | None = None,
    content_type: str = "application/json",
):
    """POST as a PBX does: the body signed with the business's secret over '<timestamp>.<body>'."""
    body = raw if raw is not None else json.dumps(payload if payload is not None else body_for()).encode()
    timestamp = str(int(time.time())) if timestamp is None else timestamp
    extra = {
        "HTTP_X_TEXTBACK_TIMESTAMP": timestamp,
        "HTTP_X_TEXTBACK_SIGNATURE": signature or sign(business.signing_secret, timestamp, body),
    }
    extra.update(headers or {})
    return client.generic("POST", URL, data=body, content_type=content_type, **extra)


def nothing_written():
    return (Call.objects.count(), WebhookEvent.objects.count(), Message.objects.count(), Contact.objects.count()) == (
        0,
        0,
        0,
        0,
    )


def the_call() -> Call:
    return Call.objects.get()


# --- a good report ---------------------------------------------------------------------------


def test_a_signed_no_answer_report_queues_a_text_back(client, alpha, alpha_line):
    response = post(client, alpha)

    assert response.status_code == 201
    assert response.json() == {"decision": Call.TEXT, "reason": decide.TEXT_MISSED_CALL}
    call = the_call()
    assert (call.provider, call.from_number, call.to_number, call.line) == ("generic", CALLER, ALPHA_NUMBER, alpha_line)
    assert (call.state, call.outcome, call.decision) == (Call.ENDED, outcomes.NO_ANSWER, Call.TEXT)
    [text] = Message.objects.filter(purpose=Message.TEXTBACK)
    assert text.contact.number == CALLER
    assert OutboxItem.objects.get(message=text).status == OutboxItem.PENDING


def test_a_report_with_a_voicemail_uses_the_voicemail_text(client, alpha, alpha_line):
    response = post(client, alpha, body_for(voicemail_seconds=12))

    assert response.status_code == 201
    call = the_call()
    assert (call.outcome, call.voicemail, call.voicemail_seconds) == (outcomes.VOICEMAIL, True, 12)
    assert "We got your voicemail" in Message.objects.get(purpose=Message.TEXTBACK).body


def test_the_caller_name_is_kept(client, alpha, alpha_line):
    post(client, alpha, body_for(caller_name="Dana Smith"))

    assert the_call().caller_name == "Dana Smith"


@pytest.mark.parametrize(
    "dialstatus, outcome, decision",
    [
        ("NOANSWER", outcomes.NO_ANSWER, Call.TEXT),
        ("BUSY", outcomes.BUSY, Call.TEXT),
        ("CANCEL", outcomes.CALLER_HUNG_UP, Call.TEXT),
        ("CHANUNAVAIL", outcomes.FAILED, Call.TEXT),
        ("CONGESTION", outcomes.FAILED, Call.TEXT),
        ("ANSWER", outcomes.ANSWERED, Call.SKIP),
        ("noanswer", outcomes.NO_ANSWER, Call.TEXT),
    ],
)
def test_asterisk_dialstatus_values_map_to_outcomes(client, alpha, alpha_line, dialstatus, outcome, decision):
    response = post(client, alpha, body_for(outcome=dialstatus))

    assert response.status_code == 201
    assert (the_call().outcome, the_call().decision) == (outcome, decision)


@pytest.mark.parametrize("outcome", outcomes.OUTCOMES)
def test_every_textback_outcome_is_accepted_as_is(client, alpha, alpha_line, outcome):
    assert post(client, alpha, body_for(outcome=outcome)).status_code == 201
    assert the_call().outcome == outcome


def test_an_answered_call_is_not_texted(client, alpha, alpha_line):
    response = post(client, alpha, body_for(outcome="ANSWER"))

    assert response.json() == {"decision": Call.SKIP, "reason": decide.OUTCOME_NOT_SELECTED}
    assert Message.objects.count() == 0


def test_an_anonymous_caller_is_recorded_and_not_texted(client, alpha, alpha_line):
    response = post(client, alpha, body_for(**{"from": "anonymous"}))

    assert response.json() == {"decision": Call.SKIP, "reason": decide.ANONYMOUS}


def test_a_report_without_a_caller_is_anonymous(client, alpha, alpha_line):
    response = post(client, alpha, body_for(**{"from": None}))

    assert response.status_code == 201
    assert response.json()["reason"] == decide.ANONYMOUS


def test_a_duplicate_call_id_is_recorded_once(client, alpha, alpha_line):
    first = post(client, alpha)
    second = post(client, alpha)

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json() == {"duplicate": True}
    assert Call.objects.count() == 1
    assert Message.objects.filter(purpose=Message.TEXTBACK).count() == 1
    assert WebhookEvent.objects.get().duplicates == 1


def test_the_same_call_id_from_two_businesses_is_two_calls(client, alpha, alpha_line, beta, beta_line):
    post(client, alpha)
    response = post(client, beta, body_for(line=BETA_NUMBER))

    assert response.status_code == 201
    assert sorted(Call.objects.values_list("business__slug", flat=True)) == ["alpha", "beta"]


# --- refused: 403, nothing written -----------------------------------------------------------


def test_a_wrong_signature_is_refused(client, alpha, alpha_line):
    response = post(client, alpha, signature="sha256=" + "0" * 64)

    assert response.status_code == 403
    assert "signature" in response.content.decode()
    assert nothing_written()


def test_a_signature_over_another_body_is_refused(client, alpha, alpha_line):
    timestamp = str(int(time.time()))
    other = sign(alpha.signing_secret, timestamp, json.dumps(body_for(outcome="answered")).encode())

    assert post(client, alpha, timestamp=timestamp, signature=other).status_code == 403
    assert nothing_written()


def test_a_missing_signature_is_refused(client, alpha, alpha_line):
    body = json.dumps(body_for()).encode()
    response = client.post(
        URL, data=body, content_type="application/json", HTTP_X_TEXTBACK_TIMESTAMP=str(int(time.time()))
    )

    assert response.status_code == 403
    assert nothing_written()


def test_a_missing_timestamp_is_refused(client, alpha, alpha_line):
    body = json.dumps(body_for()).encode()
    response = client.post(
        URL, data=body, content_type="application/json", HTTP_X_TEXTBACK_SIGNATURE=sign(alpha.signing_secret, "", body)
    )

    assert response.status_code == 403
    assert nothing_written()


@pytest.mark.parametrize("skew", [-600, 600])
def test_a_timestamp_ten_minutes_away_is_refused_even_when_correctly_signed(client, alpha, alpha_line, skew):
    response = post(client, alpha, timestamp=str(int(time.time()) + skew))

    assert response.status_code == 403
    assert "5 minutes" in response.content.decode()
    assert nothing_written()


def test_a_report_for_a_line_nobody_has_is_refused(client, alpha, alpha_line):
    response = post(client, alpha, body_for(line="+15125550111"))

    assert response.status_code == 403
    assert nothing_written()


def test_a_report_without_a_line_is_refused(client, alpha, alpha_line):
    response = post(client, alpha, body_for(line=None))

    assert response.status_code == 403
    assert nothing_written()


def test_one_business_secret_cannot_report_a_call_to_another_business_line(client, alpha, alpha_line, beta_line):
    response = post(client, alpha, body_for(line=BETA_NUMBER))

    assert response.status_code == 403
    assert nothing_written()


# --- malformed: 400 with a reason, nothing written -------------------------------------------


@pytest.mark.parametrize(
    "raw, reason",
    [
        (b"call_id=1&outcome=no_answer", "not JSON"),
        (b'{"call_id": ', "not JSON"),
        (b"\xff\xfe\x00garbage", "not JSON"),
        (b"[1, 2, 3]", "JSON object"),
        (b'"no_answer"', "JSON object"),
        (b"null", "JSON object"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_a_bad_request(client, alpha, alpha_line, raw, reason):
    response = post(client, alpha, raw=raw)

    assert response.status_code == 400
    assert reason in response.content.decode()
    assert nothing_written()


@pytest.mark.parametrize(
    "payload, reason",
    [
        (body_for(outcome=None), "outcome is missing"),
        (body_for(outcome=""), "outcome is missing"),
        (body_for(outcome="ringing"), "outcome 'ringing' is not one of"),
        (body_for(outcome="HANGUP"), "is not one of"),
        (body_for(call_id=None), "call_id is missing"),
        (body_for(voicemail_seconds="ten"), "voicemail_seconds must be a whole number"),
        (body_for(voicemail_seconds=-5), "voicemail_seconds must be a whole number"),
        (body_for(**{"from": "+1" + "5" * 60}), "from is too long"),
    ],
)
def test_a_signed_report_with_bad_fields_is_a_bad_request(client, alpha, alpha_line, payload, reason):
    response = post(client, alpha, payload)

    assert response.status_code == 400
    assert reason in response.content.decode()
    assert nothing_written()


def test_a_voicemail_length_in_unusual_digits_is_a_bad_request_not_a_server_error(client, alpha, alpha_line):
    """'²'.isdigit() is True but int('²') raises: malformed input must get a 4xx, never a 500."""
    response = post(client, alpha, body_for(voicemail_seconds="²"))

    assert response.status_code == 400
    assert nothing_written()


def test_a_20_kb_body_is_too_large(client, alpha, alpha_line):
    response = post(client, alpha, body_for(caller_name="x" * 20 * 1024))

    assert response.status_code == 413
    assert nothing_written()


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_only_post_is_allowed(client, alpha_line, method):
    response = getattr(client, method)(URL)

    assert response.status_code == 405
    assert response["Allow"] == "POST"


@pytest.mark.parametrize("seconds", [str(10**20), 10**20, str(2**31)])
def test_an_absurd_voicemail_length_is_a_bad_request_not_a_server_error(client, alpha, alpha_line, seconds):
    """The column is a 32-bit integer on PostgreSQL and 64-bit on SQLite; a PBX never records for years."""
    response = post(client, alpha, body_for(voicemail_seconds=seconds))

    assert response.status_code == 400
    assert nothing_written()


def test_a_call_id_too_long_to_store_is_a_bad_request_not_a_server_error(client, alpha, alpha_line):
    """Call.provider_call_id holds 128 characters: PostgreSQL refuses more (a 500), SQLite silently keeps them."""
    response = post(client, alpha, body_for(call_id="x" * 300))

    assert response.status_code == 400
    assert nothing_written()


# --- hostile input: 400, 403 or 415, before anything reaches a query -----------------------------


def test_deeply_nested_json_is_a_bad_request_not_a_crash(client, alpha, alpha_line):
    """json's parser recurses once per level: 5,000 levels raised RecursionError, a 500."""
    raw = json.dumps(body_for()).encode()[:-1] + b', "extra": ' + b"[" * 5000 + b"]" * 5000 + b"}"

    response = post(client, alpha, raw=raw)

    assert response.status_code == 400
    assert "nests arrays or objects more than 8 deep" in response.content.decode()
    assert nothing_written()


def test_a_little_structure_in_an_extra_key_is_taken(client, alpha, alpha_line):
    response = post(client, alpha, body_for(meta={"pbx": {"node": ["a", "b"]}}))

    assert response.status_code == 201
    assert WebhookEvent.objects.get().payload["meta"] == '{"pbx": {"node": ["a", "b"]}}'


def test_brackets_inside_strings_are_not_nesting(client, alpha, alpha_line):
    response = post(client, alpha, body_for(caller_name='[[[[[[[[[[{{{{{{{{{{ \\" [[[['))

    assert response.status_code == 201


def test_a_lone_surrogate_in_line_is_refused_before_any_lookup(client, alpha, alpha_line):
    """The issue's body, unsigned: PostgreSQL cannot encode it, so the lookup was a 500."""
    response = client.post(URL, data=b'{"line":"\\ud800"}', content_type="application/json")

    assert response.status_code == 400
    assert "line contains a lone surrogate" in response.content.decode()
    assert nothing_written()


@pytest.mark.parametrize(
    "payload, reason",
    [
        (body_for(call_id="\ud800"), "call_id contains a lone surrogate"),
        (body_for(**{"from": "+1512555\udc00"}), "from contains a lone surrogate"),
        (body_for(caller_name="Dana \ud83d"), "caller_name contains a lone surrogate"),
        (body_for(note="\udfff"), "note contains a lone surrogate"),
        (body_for(**{"\ud800": "x"}), "contains a lone surrogate"),
        (body_for(tags=["ok", {"deep": "\ud800"}]), "tags contains a lone surrogate"),
        (body_for(caller_name="Dana\x00"), "caller_name contains a NUL character"),
        (body_for(note="\x00"), "note contains a NUL character"),
    ],
)
def test_a_signed_report_with_text_postgresql_cannot_store_is_a_bad_request(client, alpha, alpha_line, payload, reason):
    """json.dumps writes these as \\ud800 and \\u0000 escapes: valid JSON, refused by PostgreSQL's jsonb."""
    response = post(client, alpha, payload)

    assert response.status_code == 400
    assert reason in response.content.decode()
    assert nothing_written()


def test_raw_surrogate_bytes_are_not_utf8(client, alpha, alpha_line):
    raw = json.dumps(body_for(caller_name="\ud800"), ensure_ascii=False).encode("utf-8", "surrogatepass")

    response = post(client, alpha, raw=raw)

    assert response.status_code == 400
    assert "not UTF-8" in response.content.decode()


def test_a_utf16_body_is_not_guessed_at(client, alpha, alpha_line):
    """json.loads(bytes) would decode UTF-16 by itself; the body is documented as UTF-8 JSON."""
    response = post(client, alpha, raw=json.dumps(body_for()).encode("utf-16"))

    assert response.status_code == 400
    assert nothing_written()


@pytest.mark.parametrize(
    "signature",
    ["sha256=" + "é" * 64, "sha256=" + "0" * 63, "sha256=" + "g" * 64, "sha1=" + "0" * 40, "0" * 64, "\x00"],
)
def test_a_malformed_signature_header_is_refused_without_comparing_it(client, alpha, alpha_line, signature):
    """hmac.compare_digest raises TypeError on non-ASCII text: that was a 500."""
    response = post(client, alpha, signature=signature)

    assert response.status_code == 403
    assert "X-Textback-Signature must be sha256=" in response.content.decode()
    assert nothing_written()


def test_a_signature_in_capital_hex_is_the_same_signature(client, alpha, alpha_line):
    timestamp = str(int(time.time()))
    body = json.dumps(body_for()).encode()
    digest = sign(alpha.signing_secret, timestamp, body).removeprefix("sha256=")

    response = post(client, alpha, raw=body, timestamp=timestamp, signature="sha256=" + digest.upper())

    assert response.status_code == 201


@pytest.mark.parametrize("timestamp", ["9" * 400, "١٧٦٧٢٢٥٦٠٠", "²", "-1", " 1767225600", "1767225600.5", "1e9"])
def test_a_malformed_timestamp_is_refused_even_when_correctly_signed(client, alpha, alpha_line, timestamp):
    """400 digits overflowed the float it is compared with (a 500); other digits are not Unix seconds."""
    response = post(client, alpha, timestamp=timestamp)

    assert response.status_code == 403
    assert "X-Textback-Timestamp must be Unix seconds" in response.content.decode()
    assert nothing_written()


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1", ""]
)
def test_a_body_that_is_not_json_in_utf8_is_refused_with_415(client, alpha, alpha_line, content_type):
    response = post(client, alpha, content_type=content_type)

    assert response.status_code == 415
    assert "application/json" in response.content.decode()
    assert nothing_written()


@pytest.mark.parametrize("raw_number", ["1" + "0" * 400, "1" * 19, "-" + "9" * 30])
def test_a_huge_integer_is_a_bad_request(client, alpha, alpha_line, raw_number):
    raw = json.dumps(body_for()).encode()[:-1] + b', "voicemail_seconds": ' + raw_number.encode() + b"}"

    response = post(client, alpha, raw=raw)

    assert response.status_code == 400
    assert "more than 18 digits" in response.content.decode()
    assert nothing_written()


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json_numbers(client, alpha, alpha_line, constant):
    raw = json.dumps(body_for()).encode()[:-1] + b', "voicemail_seconds": ' + constant.encode() + b"}"

    response = post(client, alpha, raw=raw)

    assert response.status_code == 400
    assert f"{constant} is not a JSON number" in response.content.decode()


@pytest.mark.parametrize(
    "payload, reason",
    [
        (body_for(**{"from": ["+15125550147"]}), "from must be text"),
        (body_for(caller_name={"first": "Dana"}), "caller_name must be text"),
        (body_for(outcome=True), "outcome must be text"),
        (body_for(voicemail_seconds=12.5), "voicemail_seconds must be text"),
        (body_for(line=15125550100), "line must be the line's number in E.164 form"),
        (body_for(line="5125550100"), "line must be the line's number in E.164 form"),
    ],
)
def test_a_field_of_the_wrong_type_is_refused_naming_it(client, alpha, alpha_line, payload, reason):
    """These used to be read as their JSON text: a caller ID of '["+15125550147"]'."""
    response = post(client, alpha, payload)

    assert response.status_code == 400
    assert reason in response.content.decode()
    assert nothing_written()


def test_a_null_field_is_taken_as_absent(client, alpha, alpha_line):
    response = post(client, alpha, body_for() | {"caller_name": None, "voicemail_seconds": None})

    assert response.status_code == 201
    assert the_call().caller_name == ""


def test_a_numeric_call_id_and_voicemail_length_are_taken(client, alpha, alpha_line):
    response = post(client, alpha, body_for(call_id=42, voicemail_seconds=12))

    assert response.status_code == 201
    assert (the_call().provider_call_id, the_call().voicemail_seconds) == (f"{alpha.pk}:42", 12)
