"""Hostile webhook requests for hypothesis, how to send them, and what every answer must leave behind.

A case is one request as bytes on the wire plus what is needed to sign it. Each is sent twice, in a
savepoint that is rolled back afterwards: once unsigned (or signed wrongly), once correctly signed, so
the handlers behind the signature check see the same hostile body as the check itself. A Twilio form
is signed over what Django parses from it (which is what Twilio would have signed had it sent those
values); a generic report over its raw bytes, as the README says.
"""

import json
import time
from collections import Counter
from dataclasses import dataclass
from urllib.parse import quote_plus

from django.apps import apps
from django.conf import settings
from django.core.exceptions import TooManyFieldsSent
from django.db import connection, models
from django.http import QueryDict
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from textback.accounts.models import Business
from textback.calls import outcomes
from textback.calls.models import Call, WebhookEvent
from textback.conftest import (
    ALPHA_CELL,
    ALPHA_NUMBER,
    ALPHA_SANDBOX_NUMBER,
    ALPHA_SID,
    ALPHA_TOKEN,
    BETA_NUMBER,
    BETA_SID,
    BETA_TOKEN,
    CALLER,
)
from textback.messaging.models import ConsentEvent, Conversation, Message, MessageStatus
from textback.outbox.models import OutboxItem
from textback.providers.generic.views import sign
from textback.providers.twilio.tests.helpers import fixture
from textback.providers.webhooks import MAX_FIELD, MAX_KEY, MAX_LOGGED_FIELDS, unstorable

ALPHA_CARRIER_NUMBER = "+15125550101"  # an alpha line in carrier-forwarding mode
ALPHA_STATUS_NUMBER = "+15125550102"  # an alpha line in status-only mode
SENT_SID = "SM3c8b1e2f4a5d6c7b8e9f0a1b2c3d4e5f"  # the text the sms-status fixtures report on
UNKNOWN_SID = "AC" + "7" * 32
TOKENS = {ALPHA_SID: ALPHA_TOKEN, BETA_SID: BETA_TOKEN, UNKNOWN_SID: "9" * 32}
TENANT_OF = {ALPHA_SID: "alpha", BETA_SID: "beta"}
OUR_NUMBERS = (ALPHA_NUMBER, ALPHA_CARRIER_NUMBER, ALPHA_STATUS_NUMBER, BETA_NUMBER, ALPHA_SANDBOX_NUMBER)
BUSINESS_OF = {ALPHA_NUMBER: "alpha", ALPHA_CARRIER_NUMBER: "alpha", ALPHA_STATUS_NUMBER: "alpha"}
BUSINESS_OF.update({ALPHA_SANDBOX_NUMBER: "alpha", BETA_NUMBER: "beta"})

TWILIO_FIXTURES = {
    "voice": ["voice_incoming", "voice_anonymous"],
    "screen": ["screen_prompt", "screen_pressed_1", "screen_pressed_9"],
    "dial": [
        "dial_no_answer",
        "dial_busy",
        "dial_caller_hung_up",
        "dial_completed_bridged",
        "dial_completed_unscreened",
    ],
    "call-status": ["call_status_completed", "call_status_no_answer", "leg_status_no_answer"],
    "recording": ["recording_action", "recording_status_completed", "recording_status_absent"],
    "sms": ["sms_incoming", "sms_stop"],
    "sms-status": ["sms_status_sent", "sms_status_delivered", "sms_status_undelivered_landline"],
}
TWILIO_ENDPOINTS = list(TWILIO_FIXTURES)
# Requests sent, correctly, before the hostile one, so that it meets a call or a conversation in every state.
PRELUDES = [
    (),
    ("voice_incoming",),
    ("voice_incoming", "screen_pressed_1"),
    ("voice_incoming", "dial_no_answer"),
    ("voice_incoming", "dial_no_answer", "recording_status_completed"),
    ("sms_stop",),
]
PRELUDE_ENDPOINT = {
    "voice_incoming": "voice",
    "screen_pressed_1": "screen",
    "dial_no_answer": "dial",
    "recording_status_completed": "recording",
    "sms_stop": "sms",
}

# How many bodies were posted, by (engine, hook, signed?, status // 100): the slow run's count comes from here.
POSTED: Counter = Counter()


# --- hostile values --------------------------------------------------------------------------

SURROGATES = st.text(st.characters(categories=["Cs"]), min_size=1, max_size=3)
ANY_CHARACTERS = st.text(st.characters(exclude_categories=()), max_size=40)  # NUL and lone surrogates too
NASTY = [
    "",
    " ",
    "\x00",
    "+1512555\x000100",
    "\ud800",
    "a\udfffb",
    "\ud83d",  # half of an emoji
    "\U0001f4a5",
    "\u202e\u200b",
    "\r\n\t",
    "%",
    "%E",
    "%zz",
    "&=&",
    "null",
    "true",
    "[]",
    '{"a": 1}',
    "-1",
    "1.5",
    "1e400",
    "0x10",
    "²",
    "１２",  # full-width digits
    "٣",  # Arabic-Indic three
    "9" * 20,
    "9" * 400,
    "x" * (MAX_FIELD + 1),
    "é" * 70,
]
HUGE = st.integers(MAX_FIELD - 2, 6 * MAX_FIELD).map(lambda n: "y" * n)
BODY_BOMB = "z" * 300_000  # over DATA_UPLOAD_MAX_MEMORY_SIZE
HOSTILE_TEXT = st.one_of(
    st.sampled_from(NASTY),
    ANY_CHARACTERS,
    SURROGATES,
    st.text(max_size=20),
    st.integers().map(str),
    HUGE,
    st.just(BODY_BOMB),
)

SIDS = st.sampled_from(
    [
        "CA5f1c2b7e9d0a4c3b8e6f1a2d4c7b9e01",
        "CA9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c41",
        "CA" + "0" * 32,
        SENT_SID,
        "SM7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c21",
        "RE2d4f6a8c0e1b3d5f7a9c1e3b5d7f9a1c",
        "CA5f1c2b7e9d0a4c3b8e6f1a2d4c7b9e0",  # one digit short
        "ca5f1c2b7e9d0a4c3b8e6f1a2d4c7b9e01",
    ]
)
NUMBERS = st.sampled_from(
    [
        *OUR_NUMBERS,
        ALPHA_CELL,
        CALLER,
        "+15125550111",
        "+442071838750",
        "+900",
        "5125550147",
        "+266696687",
        "anonymous",
        "client:alice",
        "sip:alice@example.com;transport=tls",
        "whatsapp:+15125550147",
        "12345",
        "not a number",
    ]
)
CALL_STATUSES = st.sampled_from(["ringing", "in-progress", "completed", "busy", "no-answer", "failed", "canceled", "x"])
MESSAGE_STATUSES = st.sampled_from([*MessageStatus.FROM_PROVIDER, "received", "bogus"])
BODIES = st.sampled_from(["STOP", "stop", "Stop.", "START", "HELP", "unstop", "stop texting me", "yes", "When?"])
# Values of the right kind (to reach deeper code) and of the wrong one, for the fields handlers read.
TWILIO_VALUES = {
    "AccountSid": st.sampled_from([ALPHA_SID, BETA_SID, UNKNOWN_SID, ALPHA_SID.upper(), "AC123"]),
    "To": NUMBERS,
    "From": NUMBERS,
    "Called": NUMBERS,
    "CallSid": SIDS,
    "ParentCallSid": SIDS,
    "MessageSid": SIDS,
    "RecordingSid": SIDS,
    "CallStatus": CALL_STATUSES,
    "DialCallStatus": CALL_STATUSES,
    "DialBridged": st.sampled_from(["true", "false", "True", " true", "maybe", "1"]),
    "Digits": st.sampled_from(["1", "9", "", " 1", "11", "１", "#", "1" * 300]),
    "RecordingStatus": st.sampled_from(["completed", "absent", "in-progress", "failed", "x" * 21]),
    "RecordingDuration": st.sampled_from(["0", "2", "3", "14", "86400", "86401", "ten", "-3", "1.5", "2" * 50]),
    "RecordingUrl": st.sampled_from(["https://api.twilio.com/r.wav", "x" * 600, "javascript:alert(1)"]),
    "MessageStatus": MESSAGE_STATUSES,
    "SmsStatus": MESSAGE_STATUSES,
    "ErrorCode": st.sampled_from(["", "0", "21610", "30006", "21211", "30005", "abc", "9" * 11, "30006 "]),
    "OptOutType": st.sampled_from(["STOP", "START", "HELP", "stop", "", "x" * 30]),
    "Body": BODIES,
    "CallerName": st.sampled_from(["Dana Smith", "x" * 150, "WIRELESS CALLER"]),
}
FIELD_NAMES = st.sampled_from(list(TWILIO_VALUES))
KEYS = st.one_of(FIELD_NAMES, st.sampled_from(["", "=", "x" * 200, "Caller\x00", "\ud800"]), st.text(max_size=12))


def value_for(name: str) -> st.SearchStrategy[str]:
    return st.one_of(TWILIO_VALUES[name], HOSTILE_TEXT) if name in TWILIO_VALUES else HOSTILE_TEXT


# Raw bytes as they may arrive on the wire: invalid UTF-8, surrogates encoded as UTF-8, broken escapes.
RAW_SEGMENTS = st.sampled_from(
    [
        b"To=\xed\xa0\x80",
        b"Body=\xff\xfe",
        b"From=%ED%A0%80",
        b"CallSid=%00",
        b"Digits=%",
        b"Digits=%E",
        b"=%zz",
        b"%%%",
        b"&&&",
        b"Body=\xc3(",
        b"To=%2B1512555%000100",
        b"\x00=\x00",
        b"RecordingDuration=%EF%BC%91",  # full-width 1, escaped
    ]
)


# --- Twilio form requests --------------------------------------------------------------------


def _quote(text: str) -> str:
    # surrogatepass: a lone surrogate goes out as the bytes %ED%A0%80, as a broken client would send it
    return quote_plus(text.encode("utf-8", "surrogatepass"))


@dataclass(frozen=True)
class FormCase:
    """One hostile request to a Twilio webhook."""

    endpoint: str
    prelude: tuple[str, ...]
    line_number: str
    pairs: tuple  # (key, value): str is percent-encoded as a client would, bytes go on the wire as they are
    content_type: str
    query: str
    account_sid: str
    bad_signature: str  # sent on the unsigned try ("" for no header at all)
    idempotency_token: str | None

    def body(self) -> bytes:
        parts = []
        for pair in self.pairs:
            if isinstance(pair, bytes):
                parts.append(pair)
            else:
                key, value = pair
                parts.append(f"{_quote(key)}={_quote(value)}".encode())
        return b"&".join(parts)

    @property
    def signer(self) -> str | None:
        """The business whose account signs it correctly (None: no account of ours can)."""
        return TENANT_OF.get(self.account_sid)

    def path(self) -> str:
        return f"/hooks/twilio/{self.endpoint}" + (f"?{self.query}" if self.query else "")

    def signature(self) -> str:
        """The X-Twilio-Signature Twilio would send with this body: over the fields as Django reads them."""
        try:
            form = QueryDict(self.body(), encoding="utf-8")
        except TooManyFieldsSent:  # refused before any signature is checked
            return "refused-anyway"
        token = TOKENS.get(self.account_sid, ALPHA_TOKEN)
        return RequestValidator(token).compute_signature(settings.PUBLIC_URL + self.path(), form)


def _apply(pairs: list, mutation: tuple) -> None:
    """Change the list of pairs in place by one mutation (indices wrap around the list)."""
    kind, *args = mutation
    if kind == "raw":
        pairs.insert(args[0] % (len(pairs) + 1), args[1])
        return
    if kind == "add":
        pairs.insert(args[0] % (len(pairs) + 1), (args[1], args[2]))
        return
    if kind == "many":
        pairs.extend((f"Extra{i}", "x") for i in range(args[0]))
        return
    if kind == "set_named":
        name, value = args
        kept = [i for i, pair in enumerate(pairs) if isinstance(pair, tuple) and pair[0] == name]
        for i in kept:
            pairs[i] = (name, value)
        if not kept:
            pairs.append((name, value))
        return
    if not pairs:
        return
    i = args[0] % len(pairs)
    if kind == "drop":
        del pairs[i]
    elif kind == "repeat":
        pair = pairs[i]
        pairs.insert(args[1] % (len(pairs) + 1), pair if not isinstance(pair, tuple) else (pair[0], args[2]))
    elif kind == "shuffle":
        args[1].shuffle(pairs)


MUTATIONS = st.one_of(
    st.tuples(st.just("drop"), st.integers(0, 99)),
    st.tuples(st.just("repeat"), st.integers(0, 99), st.integers(0, 99), HOSTILE_TEXT),
    st.tuples(st.just("shuffle"), st.integers(0, 99), st.randoms(use_true_random=False)),
    FIELD_NAMES.flatmap(lambda name: st.tuples(st.just("set_named"), st.just(name), value_for(name))),
    st.tuples(st.just("add"), st.integers(0, 99), KEYS, HOSTILE_TEXT),
    st.tuples(st.just("raw"), st.integers(0, 99), RAW_SEGMENTS),
    st.tuples(st.just("many"), st.sampled_from([10, 450])),  # Django takes at most 400 fields
)
FORM_TYPES = st.sampled_from(
    ["application/x-www-form-urlencoded"] * 12
    + [
        "application/x-www-form-urlencoded; charset=utf-8",
        "application/x-www-form-urlencoded; charset=UTF-8",
        "application/x-www-form-urlencoded; charset=latin-1",
        "application/x-www-form-urlencoded; charset=utf-16",
        "application/x-www-form-urlencoded; charset=bogus",
        "application/json",
        "multipart/form-data; boundary=x",
        "text/plain",
        "",
    ]
)
QUERIES = st.sampled_from(["", "", "", "m=", "m=not-a-uuid", "m=%00", "m=%ED%A0%80", "m=" + "1" * 300, "a=1&a=2"])
BAD_SIGNATURES = st.sampled_from(["", "abc", "é" * 28, "\x00", "x" * 28, "A" * 1000])
IDEMPOTENCY_TOKENS = st.sampled_from([None, "tok-1", "\x00tok", "ÿ" * 120, "x" * 500])


@st.composite
def form_cases(draw, endpoint: str) -> FormCase:
    line_number = draw(st.sampled_from([ALPHA_NUMBER, ALPHA_NUMBER, ALPHA_CARRIER_NUMBER, ALPHA_STATUS_NUMBER]))
    base = fixture(draw(st.sampled_from(TWILIO_FIXTURES[endpoint])))
    if base.get("To") == ALPHA_NUMBER:  # the hostile request is about the line the prelude called
        base["To"] = base["Called"] = line_number
    if draw(st.integers(0, 4)) == 0:  # or another tenant's account speaks of that call, on its own line
        base["AccountSid"] = BETA_SID
        if base.get("To") == line_number:
            base["To"] = base["Called"] = BETA_NUMBER
    pairs = list(base.items())
    for mutation in draw(st.lists(MUTATIONS, max_size=6)):
        _apply(pairs, mutation)
    named = [pair[1] for pair in pairs if isinstance(pair, tuple) and pair[0] == "AccountSid"]
    return FormCase(
        endpoint=endpoint,
        prelude=draw(st.sampled_from(PRELUDES)),
        line_number=line_number,
        pairs=tuple(pairs),
        content_type=draw(FORM_TYPES),
        query=draw(QUERIES) if endpoint == "sms-status" or draw(st.booleans()) else "",
        account_sid=named[-1] if named else ALPHA_SID,  # Django reads the last of repeated fields
        bad_signature=draw(BAD_SIGNATURES),
        idempotency_token=draw(IDEMPOTENCY_TOKENS),
    )


def post_form(client, case: FormCase, *, signed: bool):
    headers = {"HTTP_HOST": "textback.example.com"}
    signature = case.signature() if signed else case.bad_signature
    if signature:
        headers["HTTP_X_TWILIO_SIGNATURE"] = signature
    if case.idempotency_token is not None:
        headers["HTTP_I_TWILIO_IDEMPOTENCY_TOKEN"] = case.idempotency_token
    return client.generic("POST", case.path(), data=case.body(), content_type=case.content_type, **headers)


def plain_form(endpoint: str, fields: dict[str, str]) -> FormCase:
    """A well-formed request of these fields, as Twilio sends one."""
    return FormCase(
        endpoint=endpoint,
        prelude=(),
        line_number=fields.get("To", ""),
        pairs=tuple(fields.items()),
        content_type="application/x-www-form-urlencoded",
        query="",
        account_sid=fields.get("AccountSid", ALPHA_SID),
        bad_signature="",
        idempotency_token=None,
    )


def post_prelude(client, case: FormCase) -> None:
    """The correct requests that come before the hostile one; each must be taken."""
    for name in case.prelude:
        fields = fixture(name)
        if fields.get("To") == ALPHA_NUMBER:
            fields["To"] = fields["Called"] = case.line_number
        response = post_form(client, plain_form(PRELUDE_ENDPOINT[name], fields), signed=True)
        assert response.status_code < 300, (name, response.status_code, response.content)


# --- generic JSON reports --------------------------------------------------------------------


@dataclass(frozen=True)
class Raw:
    """JSON text put into a body as it is: what json.dumps will not write (huge numbers, NaN, deep nesting)."""

    text: str


NOW = "now"
DEEP = st.integers(2, 6000).flatmap(
    lambda n: st.sampled_from([Raw("[" * n + "]" * n), Raw('{"a":' * n + "1" + "}" * n)])
)
JSON_VALUES = st.one_of(
    HOSTILE_TEXT,
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
    st.sampled_from([Raw("1" * 400), Raw("1e400"), Raw("-1e400"), Raw("NaN"), Raw("Infinity"), Raw("-0")]),
    DEEP,
)
GENERIC_VALUES = {
    "call_id": st.one_of(st.sampled_from(["1767225600.42", "1767225600.43", "x" * 101]), st.integers(0, 10**6)),
    "line": NUMBERS,
    "from": NUMBERS,
    "outcome": st.sampled_from([*outcomes.OUTCOMES, "NOANSWER", "ANSWER", "CANCEL", "busy", "HANGUP", "ringing"]),
    "voicemail_seconds": st.sampled_from([0, 2, 12, "12", 14400, 14401, -5, 1.5, "²", True, 10**20]),
    "caller_name": st.sampled_from(["Dana Smith", "x" * 150, ""]),
}
JSON_TYPES = st.sampled_from(
    ["application/json"] * 12
    + ["application/json; charset=utf-8", "application/json; charset=latin-1", "text/plain", "", "text/json"]
)
TIMESTAMPS = st.sampled_from(
    [NOW] * 10 + ["", "abc", "9" * 400, "١٧٦٧٢٢٥٦٠٠", "²", "-1", " 1767225600", "1767225600.5", "now-600", "now+600"]
)
BAD_HMACS = st.sampled_from(
    ["", "sha256=" + "0" * 64, "sha256=" + "é" * 64, "sha256=zz", "sha1=abc", "\x00", "x" * 5000]
)
ENVELOPES = st.sampled_from(
    ["plain"] * 8 + ["utf-16", "bom", "truncated", "trailing", "list", "padded", "surrogate-bytes"]
)


@dataclass(frozen=True)
class JsonCase:
    """One hostile report to /hooks/generic/call."""

    prelude: bool  # a correct report of call 1767225600.42 comes first
    body: bytes
    signer: str  # the business whose secret signs it correctly
    timestamp: str
    bad_signature: str
    content_type: str

    def stamp(self) -> str:
        now = int(time.time())
        return {NOW: str(now), "now-600": str(now - 600), "now+600": str(now + 600)}.get(self.timestamp, self.timestamp)


def _dumps(data, *, ascii_only: bool) -> str:
    """JSON text of data, with each Raw value written as it is."""
    raws = []

    def placeholder(value):
        if isinstance(value, Raw):
            raws.append(value.text)
            return f"\x01raw{len(raws) - 1}\x01"
        raise TypeError(value)

    text = json.dumps(data, ensure_ascii=ascii_only, default=placeholder)
    for i, raw in enumerate(raws):
        text = text.replace(json.dumps(f"\x01raw{i}\x01", ensure_ascii=ascii_only), raw, 1)
    return text


def _envelope(text: str, how: str, cut: int) -> bytes:
    if how == "utf-16":
        return text.encode("utf-16", "surrogatepass")
    if how == "bom":
        return b"\xef\xbb\xbf" + text.encode("utf-8", "surrogatepass")
    if how == "truncated":
        return text.encode("utf-8", "surrogatepass")[: cut % (len(text) + 1)]
    if how == "trailing":
        return text.encode("utf-8", "surrogatepass") + b' {"x": 1}'
    if how == "list":
        return b"[" + text.encode("utf-8", "surrogatepass") + b"]"
    if how == "padded":
        return text.encode("utf-8", "surrogatepass") + b" " * 17_000
    return text.encode("utf-8", "surrogatepass")  # "plain", and raw surrogates when not ascii_only


@st.composite
def json_cases(draw) -> JsonCase:
    data = {"call_id": "1767225600.42", "line": ALPHA_NUMBER, "from": CALLER, "outcome": "no_answer"}
    for _ in range(draw(st.integers(0, 5))):
        key = draw(st.one_of(st.sampled_from(list(GENERIC_VALUES)), KEYS, SURROGATES))
        action = draw(st.sampled_from(["drop", "set", "set", "kind"]))
        if action == "drop":
            data.pop(key, None)
        elif action == "kind" and key in GENERIC_VALUES:
            data[key] = draw(GENERIC_VALUES[key])
        else:
            data[key] = draw(JSON_VALUES)
    line = data.get("line")
    how = draw(ENVELOPES)
    text = _dumps(data, ascii_only=how != "surrogate-bytes")
    return JsonCase(
        prelude=draw(st.booleans()),
        body=_envelope(text, how, draw(st.integers(0, 10_000))),
        signer=BUSINESS_OF.get(line, "alpha") if isinstance(line, str) else "alpha",
        timestamp=draw(TIMESTAMPS),
        bad_signature=draw(BAD_HMACS),
        content_type=draw(JSON_TYPES),
    )


def post_json(client, body: bytes, *, secret: str | None, timestamp: str, bad_signature: str = "", content_type=""):
    """POST a report; signed with secret when one is given, else with bad_signature."""
    headers = {}
    if timestamp:
        headers["HTTP_X_TEXTBACK_TIMESTAMP"] = timestamp
    signature = sign(secret, timestamp, body) if secret is not None else bad_signature
    if signature:
        headers["HTTP_X_TEXTBACK_SIGNATURE"] = signature
    return client.generic("POST", "/hooks/generic/call", data=body, content_type=content_type, **headers)


def post_json_case(client, case: JsonCase, *, signed: bool):
    secret = Business.objects.get(slug=case.signer).signing_secret if signed else None
    return post_json(
        client,
        case.body,
        secret=secret,
        timestamp=case.stamp(),
        bad_signature=case.bad_signature,
        content_type=case.content_type,
    )


def post_json_prelude(client, case: JsonCase) -> None:
    if case.prelude:
        body = json.dumps({"call_id": "1767225600.42", "line": ALPHA_NUMBER, "from": CALLER, "outcome": "BUSY"})
        response = post_json(
            client,
            body.encode(),
            secret=Business.objects.get(slug="alpha").signing_secret,
            timestamp=str(int(time.time())),
            content_type="application/json",
        )
        assert response.status_code == 201, response.content


# --- what every answer must leave behind --------------------------------------------------------


def snapshot() -> dict[str, tuple[list[str], list[tuple]]]:
    """Every row of every table, as (column names, rows), to show that a refused request changed nothing.

    Plain SQL: building the same through the ORM cost most of the fuzzer's time."""
    tables = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.django_table_names(include_views=False)):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)} ORDER BY 1")
            tables[table] = ([column[0] for column in cursor.description], cursor.fetchall())
    return tables


def _text_problems(tables: dict) -> list[str]:
    """Text that fits no column: too long (SQLite keeps it, PostgreSQL refuses) or not storable in PostgreSQL."""
    problems = []
    for model in apps.get_models():
        columns, rows = tables.get(model._meta.db_table, ([], []))
        texts = {f.column: f for f in model._meta.concrete_fields if isinstance(f, models.CharField | models.TextField)}
        for row in rows:
            for column, value in zip(columns, row, strict=True):
                f = texts.get(column)
                if f is None or value is None:
                    continue
                if f.max_length and len(value) > f.max_length:
                    problems.append(f"{model.__name__} {row[0]} {f.name}: {len(value)} > {f.max_length} characters")
                if unstorable(value):
                    problems.append(f"{model.__name__} {row[0]} {f.name} holds {unstorable(value)}")
    return problems


def _event_problems() -> list[str]:
    problems = []
    for event in WebhookEvent.objects.all():
        payload = event.payload
        if not isinstance(payload, dict) or len(payload) > MAX_LOGGED_FIELDS:
            problems.append(f"event {event.pk}: payload is not a bounded object")
            continue
        for key, value in payload.items():
            if not (isinstance(value, str) and len(key) <= MAX_KEY and len(value) <= MAX_FIELD):
                problems.append(f"event {event.pk}: payload field {key[:20]!r} is not bounded text")
            elif unstorable(key) or unstorable(value):
                problems.append(f"event {event.pk}: payload field {key[:20]!r} holds text jsonb refuses")
        if event.endpoint not in {*TWILIO_ENDPOINTS, "call"}:
            problems.append(f"event {event.pk}: unknown endpoint {event.endpoint!r}")
    return problems


def _call_problems() -> list[str]:
    problems = []
    textbacks = Counter(
        Message.objects.filter(purpose=Message.TEXTBACK, call__isnull=False).values_list("call_id", flat=True)
    )
    keys = list(WebhookEvent.objects.values_list("key", flat=True))
    for call in Call.objects.select_related("line", "contact"):
        scoped = f"{call.line.account_id}:{call.provider_call_id}"  # Twilio's events are keyed by their account
        if not any(key.startswith((call.provider_call_id, scoped)) for key in keys):
            problems.append(f"call {call.pk} was written without the event that reported it")
        if call.line.business_id != call.business_id:
            problems.append(f"call {call.pk} is on a line of another business")
        if call.contact is not None and call.contact.business_id != call.business_id:
            problems.append(f"call {call.pk} has a contact of another business")
        if call.state not in (Call.RINGING, Call.ENDED) or (call.state == Call.ENDED) != bool(call.ended_at):
            problems.append(f"call {call.pk}: state {call.state!r} with ended_at {call.ended_at}")
        if call.outcome is not None and call.outcome not in outcomes.OUTCOMES:
            problems.append(f"call {call.pk}: outcome {call.outcome!r}")
        if call.decision not in ("", Call.TEXT, Call.SKIP) or bool(call.decision) != bool(call.decided_at):
            problems.append(f"call {call.pk}: decision {call.decision!r} decided at {call.decided_at}")
        if call.decided_at and call.state != Call.ENDED:
            problems.append(f"call {call.pk} was decided while still {call.state}")
        if (call.decision == Call.TEXT) != (textbacks[call.pk] == 1) or textbacks[call.pk] > 1:
            problems.append(f"call {call.pk}: decision {call.decision!r} with {textbacks[call.pk]} text-backs")
    return problems


def _message_problems() -> list[str]:
    problems = []
    with_outbox = Counter(OutboxItem.objects.filter(message__isnull=False).values_list("message_id", flat=True))
    received = {
        key.rpartition(":")[2] for key in WebhookEvent.objects.filter(endpoint="sms").values_list("key", flat=True)
    }
    for m in Message.objects.select_related("conversation", "contact", "line", "call"):
        owners = {m.business_id, m.conversation.business_id, m.contact.business_id, m.line.business_id}
        if m.call is not None:
            owners.add(m.call.business_id)
        if len(owners) != 1:
            problems.append(f"message {m.pk} belongs to several businesses: {owners}")
        if (m.conversation.line_id, m.conversation.contact_id) != (m.line_id, m.contact_id):
            problems.append(f"message {m.pk} is in another line's or contact's conversation")
        if m.status not in MessageStatus.RANK:
            problems.append(f"message {m.pk}: status {m.status!r}")
        expected = 1 if m.direction == Message.OUT else 0
        if with_outbox[m.pk] != expected:
            problems.append(f"{m.direction} message {m.pk} has {with_outbox[m.pk]} outbox rows")
        if m.direction == Message.IN and m.status != MessageStatus.RECEIVED:
            problems.append(f"inbound message {m.pk}: status {m.status!r}")
        if m.direction == Message.IN and m.provider_message_id not in received:
            problems.append(f"inbound message {m.pk} was written without the event that reported it")
    return problems


def _other_problems() -> list[str]:
    problems = []
    for item in OutboxItem.objects.select_related("message"):
        if item.kind == OutboxItem.SMS and (item.message is None or item.message.business_id != item.business_id):
            problems.append(f"outbox {item.pk}: an sms row without its message, or another business's")
        if (
            item.kind == "decide_call"
            and not Call.objects.filter(pk=item.payload.get("call"), business_id=item.business_id).exists()
        ):
            problems.append(f"outbox {item.pk}: a decision reminder for no call of its business")
    for c in Conversation.objects.select_related("line", "contact"):
        if not c.business_id == c.line.business_id == c.contact.business_id:
            problems.append(f"conversation {c.pk} joins businesses")
    for e in ConsentEvent.objects.select_related("line", "message__contact"):
        if e.line is not None and e.line.business_id != e.business_id:
            problems.append(f"consent {e.pk} is on another business's line")
        if e.message is not None and (e.message.business_id, e.message.contact.number) != (e.business_id, e.number):
            problems.append(f"consent {e.pk} cites a message from someone else")
    return problems


def problems(tables: dict) -> list[str]:
    """Every broken invariant in the database, as sentences (empty when the data is consistent)."""
    return _text_problems(tables) + _event_problems() + _call_problems() + _message_problems() + _other_problems()


def _foreign_writes(before: dict, after: dict, business_id: int) -> list[str]:
    """Rows of another business that a request of this one added or changed (tenants are isolated)."""
    problems = []
    for table, (columns, rows) in after.items():
        if "business_id" not in columns:
            continue
        owner = columns.index("business_id")
        old = set(before[table][1])
        problems += [
            f"{table} row {row[0]} of business {row[owner]} was written by a request of business {business_id}"
            for row in rows
            if row not in old and row[owner] not in (business_id, None)
        ]
    return problems


def judge(response, before: dict, signer: str | None) -> list[str]:
    """Why an answer is unacceptable: a 5xx; a 4xx without a reason or that changed anything; a 2xx to a
    request no account of ours signed (`signer` None), or leaving inconsistent data, or touching another
    business's rows. An empty list: it was acceptable."""
    status = response.status_code
    if status >= 500:
        exc = getattr(response, "exc_info", None)
        return [f"{status}: {exc[1]!r}" if exc else f"{status}: {response.content[:300]!r}"]
    if 300 <= status < 400:
        return [f"unexpected {status}"]
    after = snapshot()
    if status < 300:
        if signer is None:
            return [f"{status} to a request nobody signed"]
        return problems(after) + _foreign_writes(before, after, Business.objects.get(slug=signer).pk)
    failures = [] if response.content.strip() else [f"{status} without a reason"]
    return failures + [f"{status} but {table} changed" for table in before if before[table] != after[table]]
