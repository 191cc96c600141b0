"""Twilio's webhooks: /hooks/twilio/<voice|screen|dial|call-status|recording|sms|sms-status>.

Every request is checked against X-Twilio-Signature, computed over our public URL, before anything
is read or written (403 otherwise). The account whose credentials signed the request is the only
one it can touch: every call, leg and message is looked up within that account (and within the line
named by `To`, when it names one of ours), and every event is recorded under a key that starts with
that account, so one tenant's credentials can neither change nor pre-empt another tenant's calls.

Each handler records the event under its natural key in the same transaction as its effects (and
as the signature check's lookup), so a retried or duplicated callback changes nothing the second
time but still gets the same answer.
"""

import functools
import logging
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlparse, urlsplit

from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.db import transaction
from django.http import HttpResponse, UnreadablePostError
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.views.decorators.csrf import csrf_exempt
from twilio.request_validator import (
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    add_port,
    compare,
    get_signature_algorithm,
    remove_port,
)

from textback.calls import actions as calls
from textback.calls import outcomes, timing
from textback.calls.models import WebhookEvent
from textback.lib import sql
from textback.messaging import actions as messaging
from textback.providers.credentials import UnreadableCredential
from textback.providers.models import TWILIO, Line, ProviderAccount
from textback.providers.twilio import errors, mapping, twiml
from textback.providers.twilio.ids import ACCOUNT_SID, CALL_SID, MESSAGE_SID, RECORDING_SID
from textback.providers.webhooks import (
    E164,
    Fields,
    Rejected,
    bad_request,
    clean_payload,
    forbidden,
    record_event,
    require_content_type,
)

log = logging.getLogger("textback.webhooks.twilio")

ERROR_CODE = re.compile(r"\d{1,10}")
SUPPORTED_ALGORITHMS = ("HMAC_SHA1", "HMAC_SHA256")
MAX_MEDIA = 10  # Twilio delivers at most 10 media files with one MMS
# What else Twilio puts in To: a short code, or an address such as sip:…, client:… or whatsapp:+1….
ADDRESS = re.compile(r"\+?[0-9]{3,15}|[a-z][a-z0-9+.-]{0,19}:[!-~]{1,240}")


def signed_url(request) -> str:
    """The URL Twilio signed: our configured public origin, whatever proxies did to scheme and host."""
    public = urlsplit(settings.PUBLIC_URL)
    return f"{public.scheme}://{public.netloc}{request.get_full_path()}"


@dataclass(frozen=True)
class Hook:
    """Who sent a verified request: the provider account, the line named by To when it is ours, and the form."""

    account: ProviderAccount
    line: Line | None
    form: MultiValueDict


def _form(request) -> MultiValueDict:
    """The form Twilio posted: x-www-form-urlencoded in UTF-8, as Twilio sends it, and nothing else.

    Parsed as Django parses request.POST (the signature is checked over these values), straight into a
    MultiValueDict: the webhooks read a form on every request, and QueryDict's field-by-field building
    costs more than the parse."""
    require_content_type(request, "application/x-www-form-urlencoded")
    try:
        body = request.body  # Django refuses one over DATA_UPLOAD_MAX_MEMORY_SIZE
    except RequestDataTooBig:
        raise bad_request("the body is too large") from None
    except (SuspiciousOperation, BadRequest, UnreadablePostError):
        raise bad_request("the body is not a form") from None
    try:
        text = body.decode()
    except UnicodeDecodeError:  # URL-encoded data is ASCII, but some senders misbehave (Django does the same)
        text = body.decode("iso-8859-1")
    try:
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=settings.DATA_UPLOAD_MAX_NUMBER_FIELDS)
    except ValueError:
        raise bad_request("the body has too many fields") from None
    fields: dict[str, list[str]] = {}
    for key, value in pairs:
        fields.setdefault(key, []).append(value)
    return MultiValueDict(fields)


def _to(form) -> str:
    """To, when it is a phone number we may look up; "" for other addresses and when there is none.

    Checked before any query: a NUL in it would make PostgreSQL fail the lookup.
    """
    to = form.get("To", "")
    if not to or E164.fullmatch(to):
        return to
    if not ADDRESS.fullmatch(to):
        raise bad_request("To is not a phone number or a SIP or client address")
    return ""


def _line_of(account_sid: str, number: str) -> Line | None:
    if not number:
        return None
    return sql.get_with(
        Line, ("business", "account"), number=number, account__provider=TWILIO, account__account_sid=account_sid
    )


def _signing_secret(request, account: ProviderAccount) -> tuple[str, str]:
    """(secret, algorithm): the auth token with HMAC-SHA1, or, when Twilio's Webhooks configuration API
    signs with a shared key (it then says so in X-Twilio-Webhooks-Signature-Settings), that key."""
    settings_header = request.headers.get(SIGNATURE_SETTINGS_HEADER, "")
    if not settings_header:
        return account.auth_token, "HMAC_SHA1"
    algorithm = get_signature_algorithm(settings_header).upper()
    if algorithm not in SUPPORTED_ALGORITHMS:
        raise forbidden(f"the request is signed with {algorithm[:40]!r}; textback checks HMAC_SHA1 and HMAC_SHA256")
    secret = account.webhook_key
    if not secret:
        raise forbidden(
            "the request is signed with a Twilio shared key (X-Twilio-Webhooks-Signature-Settings), and textback "
            f"has none for this account: `textback account set {account.pk} --webhook-key-stdin`"
        )
    return secret, algorithm


def verify(request) -> Hook:
    """Check X-Twilio-Signature with the secret of the account named in the request.

    Most requests name one of our lines in To; one query then finds the line and its token.
    Only checked values (AccountSid, an E.164 To) reach a query before the signature is checked.
    """
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        raise forbidden("X-Twilio-Signature is missing")
    form = _form(request)
    account_sid = form.get("AccountSid", "")
    if not ACCOUNT_SID.fullmatch(account_sid):
        raise forbidden("AccountSid is not one of ours")
    line = _line_of(account_sid, _to(form))
    accounts = [line.account] if line else ProviderAccount.objects.filter(provider=TWILIO, account_sid=account_sid)
    url = signed_url(request)
    unreadable = False
    for account in accounts:
        try:
            secret, algorithm = _signing_secret(request, account)  # decrypted once per process, then cached
        except UnreadableCredential as exc:
            log.error("cannot check a Twilio signature: %s", exc)
            unreadable = True
            continue
        if secret and _signature_matches(secret, url, form, signature, algorithm):
            return Hook(account, line, form)
    if unreadable:
        raise forbidden("this server cannot decrypt the account's auth token (its log and `textback check` say why)")
    raise forbidden("the signature does not match (check TEXTBACK_PUBLIC_URL and the auth token)")


def _signature_matches(secret: str, url: str, form, signature: str, algorithm: str) -> bool:
    """RequestValidator.validate's check (the URL with and without its default port, which Twilio's
    signing is inconsistent about), starting with the URL as configured and stopping at a match,
    instead of computing both every time."""
    validator, parsed = RequestValidator(secret), urlparse(url)
    candidates = dict.fromkeys((url, remove_port(parsed), add_port(parsed)))
    return any(compare(validator.compute_signature(candidate, form, algorithm), signature) for candidate in candidates)


def webhook(endpoint: str):
    """Verify, then run the handler, in one transaction; refusals become 4xx with a reason."""

    def wrap(handler):
        @csrf_exempt
        @functools.wraps(handler)
        def view(request):
            if request.method != "POST":
                return HttpResponse("use POST\n", status=405, headers={"Allow": "POST"}, content_type="text/plain")
            try:
                with transaction.atomic():
                    hook = verify(request)
                    return handler(request, Fields(hook.form), hook)
            except Rejected as exc:
                log.warning("twilio %s rejected with %s: %s", endpoint, exc.status, exc.reason)
                return exc.response()

        return view

    return wrap


def _xml(body: str) -> HttpResponse:
    return HttpResponse(body, content_type="text/xml")


def _no_content() -> HttpResponse:
    return HttpResponse(status=204)


def _event(request, hook: Hook, endpoint: str, key: str, business) -> bool:
    """Record the request; False for a retry or duplicate. Keys start with the signing account."""
    return record_event(
        provider=TWILIO,
        endpoint=endpoint,
        key=f"{hook.account.pk}:{key}",
        business=business,
        payload=clean_payload(hook.form.dict()),
        token=request.headers.get("I-Twilio-Idempotency-Token", ""),
    )


def _call_for(fields: Fields, hook: Hook, call_sid: str, *, expect_new: bool = False):
    """(the call, created now?): ours within the signing account, created from this request when it is
    the first we hear of it; (None, False) when it is not a call of this account and line."""
    if not expect_new:
        call = calls.find_call(TWILIO, call_sid, account=hook.account, line=hook.line)
        if call is not None or hook.line is None:
            return call, False
    if hook.line is None:
        return None, False
    return calls.start_call(
        calls.CallStart(
            line=hook.line,
            provider=TWILIO,
            call_id=call_sid,
            from_number=fields.get("From"),
            to_number=fields.get("To"),
            caller_name=fields.get("CallerName"),
        ),
        expect_new=expect_new,
    )


@webhook("voice")
def voice(request, fields: Fields, hook: Hook) -> HttpResponse:
    """An incoming call: ring the staff phones with screening, or take it as missed."""
    call_sid = fields.required("CallSid", CALL_SID)
    fields.required("To")
    line = hook.line
    new = _event(request, hook, "voice", call_sid, line.business if line else None)
    if line is None:
        return _xml(twiml.hang_up("This number is not set up yet. Goodbye."))
    if line.call_mode == Line.FORWARD_SCREEN and line.forward_to:
        call, created = _call_for(fields, hook, call_sid, expect_new=new)
        if created:
            calls.do_ringing(call)
        return _xml(twiml.forward_and_screen(line))
    if new:  # carrier forwarding (and any other mode reaching /voice): every call here was missed
        call, _ = _call_for(fields, hook, call_sid, expect_new=True)
        if call is not None:
            calls.do_call_ended(call, outcomes.NO_ANSWER, voicemail_expected=line.record_voicemail)
    return _xml(twiml.missed(line))


@webhook("screen")
def screen(request, fields: Fields, hook: Hook) -> HttpResponse:
    """The answering phone's leg: ask for 1, then connect on 1 or hang up this leg."""
    leg_sid = fields.required("CallSid", CALL_SID)
    parent = calls.find_call(TWILIO, fields.required("ParentCallSid", CALL_SID), account=hook.account)
    business = parent.line.business if parent else None
    if "Digits" not in fields:
        if _event(request, hook, "screen", f"{leg_sid}:prompt", business) and parent is not None:
            calls.do_screen_prompt(parent, leg_sid, fields.get("To", max_length=40))
        return _xml(twiml.screen_prompt(business.name if business else "us"))
    digits = fields.get("Digits", max_length=20).strip()
    new = _event(request, hook, "screen", f"{leg_sid}:{digits or 'none'}", business)
    if digits != "1":
        return _xml(twiml.hang_up())
    if parent is not None and new:
        calls.do_accept(parent)
    return _xml(twiml.connect())


@webhook("dial")
def dial(request, fields: Fields, hook: Hook) -> HttpResponse:
    """The <Dial> to the staff phones ended: answered, ring the phones left, or missed (voicemail or goodbye)."""
    call_sid = fields.required("CallSid", CALL_SID)
    call, _ = _call_for(fields, hook, call_sid)
    if call is None:
        return _xml(twiml.hang_up())
    dial_status = fields.required("DialCallStatus", max_length=20)
    dial_sid = fields.get("DialCallSid", max_length=40)
    if dial_sid and not CALL_SID.fullmatch(dial_sid):
        raise bad_request("DialCallSid is malformed")
    new = _event(request, hook, "dial", f"{call_sid}:{dial_sid or dial_status}", call.line.business)
    parent_status = fields.get("CallStatus", max_length=20)
    bridged = fields.boolean("DialBridged")
    outcome = mapping.dial_outcome(
        dial_status, parent_status, accepted=call.accepted, bridged=bridged, prompted=bool(call.screened_legs)
    )
    caller_there = not mapping.caller_gone(parent_status)
    screened_now = dial_sid in call.screened_legs if dial_sid else bool(call.screened_legs)
    if outcome == outcomes.SCREENED_OUT and caller_there and screened_now and (again := _ring_the_others(call)):
        return _xml(again)
    missed = outcomes.is_missed(outcome)
    wait_for_voicemail = missed and caller_there and call.line.record_voicemail
    if new:
        if bridged is not None:
            calls.do_connected(call, bridged)
        calls.do_call_ended(call, outcome, voicemail_expected=wait_for_voicemail)
    return _xml(twiml.missed(call.line) if missed and caller_there else twiml.hang_up())


def _ring_the_others(call) -> str | None:
    """A phone that picked up without accepting (its voicemail) made Twilio stop ringing the others:
    ring the ones that have not picked up yet, for what is left of the ring time. (Only when a phone of
    this round picked up: a round that rang out is over.)"""
    line = call.line
    left = timing.ring_time_left(line.ring_seconds, call.started_at, timezone.now())
    phones = timing.phones_left_to_ring(line.forward_to, list(call.screened_legs.values()))
    if not phones or left < timing.MIN_REDIAL_SECONDS:
        return None
    return twiml.forward_and_screen(line, phones, left)


def _twilio_media_url(url: str) -> str:
    """Only an https URL on Twilio's own hosts is kept: staff pages link to it."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme == "https" and (host == "twilio.com" or host.endswith(".twilio.com")):
        return url
    if url:
        log.warning("ignored a media URL that is not an https URL of Twilio's")
    return ""


@webhook("recording")
def recording(request, fields: Fields, hook: Hook) -> HttpResponse:
    """The <Record> action (caller finished) and the recording status callback (file ready, or none)."""
    call_sid = fields.required("CallSid", CALL_SID)
    call = calls.find_call(TWILIO, call_sid, account=hook.account, line=hook.line)
    status = fields.get("RecordingStatus", max_length=20)
    recording_sid = fields.get("RecordingSid", max_length=40) or "none"
    if recording_sid != "none" and not RECORDING_SID.fullmatch(recording_sid):
        raise bad_request("RecordingSid is malformed")
    key = f"{call_sid}:{recording_sid}:{status or 'action'}"
    new = _event(request, hook, "recording", key, call.line.business if call else None)
    if call is not None and new:
        seconds = fields.integer("RecordingDuration", maximum=86400) if status in ("", "completed") else 0
        calls.do_voicemail(call, seconds, _twilio_media_url(fields.get("RecordingUrl", max_length=500)))
    if status:
        return _no_content()
    return _xml(twiml.hang_up("Thank you. We will get back to you soon. Goodbye."))


@webhook("call-status")
def call_status(request, fields: Fields, hook: Hook) -> HttpResponse:
    """Status callbacks for the inbound call, and for the dialled legs (they carry ParentCallSid)."""
    call_sid = fields.required("CallSid", CALL_SID)
    status = fields.required("CallStatus", max_length=20)
    parent_sid = fields.get("ParentCallSid", max_length=40)
    if parent_sid:
        if not CALL_SID.fullmatch(parent_sid):
            raise bad_request("ParentCallSid is malformed")
        return _leg_status(request, hook, call_sid, status, parent_sid)
    call, _ = _call_for(fields, hook, call_sid)
    new = _event(request, hook, "call-status", f"{call_sid}:{status}", call.line.business if call else None)
    if call is None or not new:
        return _no_content()
    mode = call.line.call_mode
    legs_seen, leg_answered = _legs(hook.account, call_sid) if mode == Line.STATUS_ONLY else (0, False)
    outcome = mapping.parent_outcome(
        status, mode, accepted=call.accepted or leg_answered, prompted=bool(call.screened_legs), legs_seen=legs_seen
    )
    if outcome is not None:  # status-only "completed": a dialled phone's report may still be on its way
        calls.do_call_ended(call, outcome, legs_may_follow=mode == Line.STATUS_ONLY and status == "completed")
    return _no_content()


def _legs(account: ProviderAccount, parent_sid: str) -> tuple[int, bool]:
    """(how many reports we have from the phones this call rang, whether one of them answered).

    They may have arrived before we knew the call; their events are keyed by the account and the
    parent's SID, so only this account's reports count."""
    keys = WebhookEvent.objects.filter(
        provider=TWILIO,
        endpoint="call-status",
        key__startswith=f"{account.pk}:{parent_sid}:CA",  # not the parent's own
    ).values_list("key", flat=True)
    statuses = [key.rsplit(":", 1)[-1] for key in keys]
    return len(statuses), any(mapping.child_outcome(s) == outcomes.ANSWERED for s in statuses)


def _leg_status(request, hook: Hook, leg_sid: str, status: str, parent_sid: str) -> HttpResponse:
    """A dialled phone's progress. With screening the <Dial> action says more; in status-only
    mode it is how we learn that a phone answered. It never ends the call."""
    parent = calls.find_call(TWILIO, parent_sid, account=hook.account)
    key = f"{parent_sid}:{leg_sid}:{status}"
    new = _event(request, hook, "call-status", key, parent.line.business if parent else None)
    outcome = mapping.child_outcome(status)
    if parent is not None and new and outcome is not None and parent.line.call_mode == Line.STATUS_ONLY:
        calls.do_call_progress(parent, outcome)
    return _no_content()


def _media(fields: Fields) -> list[dict]:
    """The pictures and files of an MMS, as Twilio lists them (NumMedia, MediaUrl{N}, MediaContentType{N})."""
    count = min(fields.integer("NumMedia", maximum=100) or 0, MAX_MEDIA)
    media = []
    for index in range(count):
        url = _twilio_media_url(fields.get(f"MediaUrl{index}", max_length=500))
        if url:
            media.append({"url": url, "content_type": fields.get(f"MediaContentType{index}", max_length=100)})
    return media


@webhook("sms")
def sms(request, fields: Fields, hook: Hook) -> HttpResponse:
    """An incoming text. Replies go out through the outbox, never inline, so each is recorded."""
    message_sid = fields.required("MessageSid", MESSAGE_SID)
    fields.required("To")
    line = hook.line
    new = _event(request, hook, "sms", message_sid, line.business if line else None)
    if line is not None and new:
        messaging.do_inbound_sms(
            messaging.Inbound(
                line=line,
                provider=TWILIO,
                provider_message_id=message_sid,
                from_number=fields.required("From", max_length=64),
                body=fields.get("Body"),
                provider_type=fields.get("OptOutType", max_length=20),
                media=_media(fields),
            )
        )
    return _xml(twiml.empty_messaging())


@webhook("sms-status")
def sms_status(request, fields: Fields, hook: Hook) -> HttpResponse:
    """Delivery reports. They arrive out of order; a message only ever moves forward."""
    message_sid = fields.required("MessageSid", MESSAGE_SID)
    status = fields.get("MessageStatus", max_length=20) or fields.required("SmsStatus", max_length=20)
    error_code = fields.required("ErrorCode", ERROR_CODE) if fields.get("ErrorCode").strip() else ""
    if _event(request, hook, "sms-status", f"{message_sid}:{status}", None):
        messaging.do_message_status(
            messaging.StatusReport(
                provider=TWILIO,
                provider_message_id=message_sid,
                status=status,
                ref=request.GET.get("m", "")[:64],
                error_code=error_code,
                consequence=errors.consequence(error_code),
                account_id=hook.account.pk,
            )
        )
    return _no_content()
