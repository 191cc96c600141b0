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
import time

from django.db import transaction
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt

from textback.calls import actions as calls
from textback.calls import outcomes
from textback.lib import phone
from textback.providers.models import Line
from textback.providers.webhooks import Fields, Rejected, bad_request, clean_payload, forbidden, record_event

log = logging.getLogger("textback.webhooks.generic")

PROVIDER = "generic"
MAX_BODY = 16 * 1024
MAX_SKEW_SECONDS = 300
MAX_CALL_ID = 100  # stored as "<business id>:<call_id>" in a 128-character column
MAX_VOICEMAIL_SECONDS = 4 * 3600
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


def _payload(request) -> Fields:
    if len(request.body) > MAX_BODY:
        raise Rejected(413, f"the body is larger than {MAX_BODY} bytes")
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise bad_request("the body is not JSON") from None
    if not isinstance(data, dict):
        raise bad_request("the body must be a JSON object")
    return Fields({k: v if isinstance(v, str) else json.dumps(v) for k, v in data.items()})


def _verify(request, line: Line | None) -> None:
    timestamp = request.headers.get("X-Textback-Timestamp", "")
    signature = request.headers.get("X-Textback-Signature", "")
    if line is None or not timestamp.isdigit():
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
        fields = _payload(request)
        number = fields.get("line")
        line = Line.objects.select_related("business", "account").filter(number=number).first() if number else None
        _verify(request, line)
        with transaction.atomic():
            return _record(fields, line)
    except Rejected as exc:
        log.warning("generic call rejected with %s: %s", exc.status, exc.reason)
        return exc.response()


def _record(fields: Fields, line: Line) -> HttpResponse:
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
        payload=clean_payload(fields.data),
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
