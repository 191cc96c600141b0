"""/hooks/generic/call: any PBX or tool reports a finished call as signed JSON.

    POST /hooks/generic/call
    Content-Type: application/json
    X-Textback-Timestamp: 1767225600            (Unix seconds, within 5 minutes of our clock)
    X-Textback-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" keyed with the business's signing secret>

    {"call_id": "1767225600.42", "line": "+15125550100", "from": "+15125550147",
     "outcome": "no_answer", "voicemail_seconds": 0}

`outcome` is one of textback's outcomes or an Asterisk DIALSTATUS (NOANSWER,
BUSY, CANCEL, CONGESTION, CHANUNAVAIL, ANSWER). The same call_id reported
twice is recorded once.
"""

import hashlib
import hmac
import json
import logging
import re
import time

from django.db import transaction
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt

from textback.calls import actions as calls
from textback.calls import outcomes
from textback.lib import phone
from textback.providers.models import Line
from textback.providers.webhooks import (
    E164,
    MAX_INTEGER_DIGITS,
    Fields,
    Rejected,
    bad_request,
    clean_payload,
    forbidden,
    record_event,
    require_content_type,
    storable,
    unstorable,
)

log = logging.getLogger("textback.webhooks.generic")

PROVIDER = "generic"
MAX_BODY = 16 * 1024
MAX_SKEW_SECONDS = 300
MAX_CALL_ID = 100  # stored as "<business id>:<call_id>" in a 128-character column
MAX_VOICEMAIL_SECONDS = 4 * 3600
MAX_LINE = 20  # Line.number; a longer one is nobody's line, and is not worth a query
MAX_NAME = 40  # of a key named in a reason
MAX_NESTING = 8  # the report is a flat object; a relay may add a little structure of its own
TIMESTAMP = re.compile(r"[0-9]{1,12}")  # ASCII digits: "²".isdigit() is True; 400 digits overflow a float
SIGNATURE = re.compile(r"sha256=[0-9a-fA-F]{64}")  # ASCII: compare_digest raises on other text
# A string (to the end of the text when it is not closed, so the search never starts again inside it) or a bracket.
_STRINGS_AND_BRACKETS = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.DOTALL)
ASTERISK = {
    "ANSWER": outcomes.ANSWERED,
    "NOANSWER": outcomes.NO_ANSWER,
    "BUSY": outcomes.BUSY,
    "CANCEL": outcomes.CALLER_HUNG_UP,
    "CONGESTION": outcomes.FAILED,
    "CHANUNAVAIL": outcomes.FAILED,
}


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value for a body; PBX scripts compute the same with openssl."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def _payload(request) -> tuple[Fields, dict]:
    """(the fields to read, the parsed object to log), or the 4xx that says what is wrong with the body."""
    require_content_type(request, "application/json")
    if len(request.body) > MAX_BODY:
        raise Rejected(413, f"the body is larger than {MAX_BODY} bytes")
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError:  # json.loads would guess UTF-16 or UTF-32 from the bytes instead
        raise bad_request("the body is not JSON: it is not UTF-8") from None
    if _too_deep(text):
        raise bad_request(f"the body nests arrays or objects more than {MAX_NESTING} deep")
    try:
        data = json.loads(text, parse_int=_integer, parse_constant=_no_constant)
    except ValueError:
        raise bad_request("the body is not JSON") from None
    if not isinstance(data, dict):
        raise bad_request("the body must be a JSON object")
    _check_strings(data)
    return Fields({key: str(value) if _is_integer(value) else value for key, value in data.items()}), data


def _too_deep(text: str) -> bool:
    """Whether arrays and objects nest more than MAX_NESTING deep: json's parser recurses once per level."""
    depth = 0
    for token in _STRINGS_AND_BRACKETS.findall(text):
        if token in ("[", "{"):
            depth += 1
            if depth > MAX_NESTING:
                return True
        elif token in ("]", "}"):
            depth -= 1
    return False


def _integer(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise bad_request(f"a number in the body has more than {MAX_INTEGER_DIGITS} digits")
    return int(digits)


def _no_constant(name: str):
    raise bad_request(f"{name} is not a JSON number")


def _is_integer(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_strings(data: dict) -> None:
    """Refuse text the database cannot store anywhere in the body: keys, values, and inside lists and objects."""
    pending = [(key, key, value) for key, value in data.items()]
    while pending:
        name, key, value = pending.pop()
        problem = unstorable(key)
        if not problem and isinstance(value, str):
            problem = unstorable(value)
        if problem:
            raise bad_request(f"{storable(name)[:MAX_NAME]} contains {problem}")
        if isinstance(value, dict):
            pending.extend((name, k, v) for k, v in value.items())
        elif isinstance(value, list):
            pending.extend((name, "", v) for v in value)


def _signature_headers(request) -> tuple[str, str]:
    """(timestamp, signature), checked as text before either is computed with or compared."""
    timestamp = request.headers.get("X-Textback-Timestamp", "")
    signature = request.headers.get("X-Textback-Signature", "")
    if not TIMESTAMP.fullmatch(timestamp):
        raise forbidden("X-Textback-Timestamp must be Unix seconds")
    if not SIGNATURE.fullmatch(signature):
        raise forbidden("X-Textback-Signature must be sha256= and 64 hexadecimal digits")
    return timestamp, signature.lower()


def _line(fields: Fields) -> Line | None:
    number = fields.get("line", max_length=MAX_LINE)
    if not number:
        return None
    if not E164.fullmatch(number):
        raise bad_request(f"line must be the line's number in E.164 form, such as +15125550100, not {number!r}")
    return Line.objects.select_related("business", "account").filter(number=number).first()


def _verify(request, line: Line | None, timestamp: str, signature: str) -> None:
    if line is None:
        raise forbidden("the signature does not match")
    expected = sign(line.business.signing_secret, timestamp, request.body)
    if not hmac.compare_digest(expected, signature):
        raise forbidden("the signature does not match")
    if abs(time.time() - int(timestamp)) > MAX_SKEW_SECONDS:
        raise forbidden("X-Textback-Timestamp is more than 5 minutes away from our clock")


def _outcome(fields: Fields) -> str:
    raw = fields.required("outcome")
    if raw in outcomes.OUTCOMES:
        return raw
    if raw.upper() in ASTERISK:
        return ASTERISK[raw.upper()]
    raise bad_request(f"outcome {raw!r} is not one of {', '.join(outcomes.OUTCOMES)} or an Asterisk DIALSTATUS")


@csrf_exempt
def call(request) -> HttpResponse:
    if request.method != "POST":
        return HttpResponse("use POST\n", status=405, headers={"Allow": "POST"}, content_type="text/plain")
    try:
        fields, data = _payload(request)
        timestamp, signature = _signature_headers(request)
        line = _line(fields)
        _verify(request, line, timestamp, signature)
        with transaction.atomic():
            return _record(fields, data, line)
    except Rejected as exc:
        log.warning("generic call rejected with %s: %s", exc.status, exc.reason)
        return exc.response()


def _record(fields: Fields, data: dict, line: Line) -> HttpResponse:
    call_id = fields.required("call_id", max_length=MAX_CALL_ID)
    outcome = _outcome(fields)
    caller = fields.get("from")
    seconds = fields.integer("voicemail_seconds", maximum=MAX_VOICEMAIL_SECONDS) or 0
    if caller and not phone.is_anonymous(caller) and len(caller) > 40:
        raise bad_request("from is too long")
    new = record_event(
        provider=PROVIDER,
        endpoint="call",
        key=f"{line.business_id}:{call_id}",
        business=line.business,
        payload=clean_payload(data),
    )
    if new:
        call, created = calls.start_call(
            calls.CallStart(
                line=line,
                provider=PROVIDER,
                call_id=f"{line.business_id}:{call_id}",
                from_number=caller,
                to_number=line.number,
                caller_name=fields.get("caller_name"),
            ),
            expect_new=True,
        )
        if call is None:  # the call id was reported before for another line of this business
            raise bad_request("call_id was reported before for another line")
        if seconds:
            call = calls.do_voicemail(call, seconds, outcome=outcome)
        else:
            call = calls.do_call_ended(call, outcome)
        return HttpResponse(
            json.dumps({"decision": call.decision, "reason": call.decision_reason}),
            status=201,
            content_type="application/json",
        )
    return HttpResponse(json.dumps({"duplicate": True}), status=200, content_type="application/json")
