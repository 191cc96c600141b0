"""Twilio's webhooks: /hooks/twilio/<voice|screen|dial|call-status|recording|sms|sms-status>.

Every request is checked against X-Twilio-Signature, computed over our public
URL, before anything is read or written (403 otherwise). Each handler records
the event under its natural key in the same transaction as its effects, so a
retried or duplicated callback changes nothing the second time but still gets
the same answer.
"""

import functools
import logging
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.db import transaction
from django.http import HttpResponse, UnreadablePostError
from django.views.decorators.csrf import csrf_exempt
from twilio.request_validator import RequestValidator

from textback.calls import actions as calls
from textback.calls import outcomes
from textback.calls.models import WebhookEvent
from textback.messaging import actions as messaging
from textback.providers.models import TWILIO, Line, ProviderAccount
from textback.providers.twilio import errors, mapping, twiml
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

ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}")
CALL_SID = re.compile(r"CA[0-9a-fA-F]{32}")
MESSAGE_SID = re.compile(r"(SM|MM|SS)[0-9a-fA-F]{32}")
RECORDING_SID = re.compile(r"RE[0-9a-fA-F]{32}")
ERROR_CODE = re.compile(r"\d{1,10}")
# What else Twilio puts in To: a short code, or an address such as sip:…, client:… or whatsapp:+1….
ADDRESS = re.compile(r"\+?[0-9]{3,15}|[a-z][a-z0-9+.-]{0,19}:[!-~]{1,240}")
LEG_GRACE_SECONDS = 3  # status-only: a dialled leg's "completed" can arrive just after the parent's


def signed_url(request) -> str:
    """The URL Twilio signed: our configured public origin, whatever proxies did to scheme and host."""
    public = urlsplit(settings.PUBLIC_URL)
    return f"{public.scheme}://{public.netloc}{request.get_full_path()}"


@dataclass(frozen=True)
class Hook:
    """Who sent a verified request: the provider account, and the line named by To when it is ours."""

    account: ProviderAccount
    line: Line | None


def _form(request):
    """The form Twilio posted: x-www-form-urlencoded in UTF-8, as Twilio sends it, and nothing else."""
    require_content_type(request, "application/x-www-form-urlencoded")
    try:
        return request.POST
    except RequestDataTooBig:
        raise bad_request("the body is too large") from None
    except TooManyFieldsSent:
        raise bad_request("the body has too many fields") from None
    except (SuspiciousOperation, BadRequest, UnreadablePostError):
        raise bad_request("the body is not a form") from None


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
    try:  # numbers are unique, so get() (no ORDER BY) rather than first()
        return Line.objects.select_related("business", "account").get(
            number=number, account__provider=TWILIO, account__account_sid=account_sid
        )
    except Line.DoesNotExist:
        return None


def verify(request) -> Hook:
    """Check X-Twilio-Signature with the auth token of the account named in the request.

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
    for account in accounts:
        if account.auth_token and RequestValidator(account.auth_token).validate(url, form, signature):
            return Hook(account, line)
    raise forbidden("the signature does not match (check TEXTBACK_PUBLIC_URL and the auth token)")


def webhook(endpoint: str):
    """Verify, then run the handler in one transaction; refusals become 4xx with a reason."""

    def wrap(handler):
        @csrf_exempt
        @functools.wraps(handler)
        def view(request):
            if request.method != "POST":
                return HttpResponse("use POST\n", status=405, headers={"Allow": "POST"}, content_type="text/plain")
            try:
                hook = verify(request)
                with transaction.atomic():
                    return handler(request, Fields(request.POST), hook)
            except Rejected as exc:
                log.warning("twilio %s rejected with %s: %s", endpoint, exc.status, exc.reason)
                return exc.response()

        return view

    return wrap


def _xml(body: str) -> HttpResponse:
    return HttpResponse(body, content_type="text/xml")


def _no_content() -> HttpResponse:
    return HttpResponse(status=204)


def _event(request, endpoint: str, key: str, business) -> bool:
    return record_event(
        provider=TWILIO,
        endpoint=endpoint,
        key=key,
        business=business,
        payload=clean_payload(request.POST.dict()),
        token=request.headers.get("I-Twilio-Idempotency-Token", ""),
    )


def _call_for(fields: Fields, hook: Hook, call_sid: str, *, expect_new: bool = False):
    """(the call, created now?), creating it from this request when it is the first we hear of it."""
    if not expect_new:
        call = calls.find_call(TWILIO, call_sid, account_sid=hook.account.account_sid)
        if call is not None:
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
    new = _event(request, "voice", call_sid, line.business if line else None)
    if line is None:
        return _xml(twiml.hang_up("This number is not set up yet. Goodbye."))
    if line.call_mode == Line.FORWARD_SCREEN and line.forward_to:
        _call_for(fields, hook, call_sid, expect_new=new)
        return _xml(twiml.forward_and_screen(line))
    if new:  # carrier forwarding (and any other mode reaching /voice): every call here was missed
        call, created = _call_for(fields, hook, call_sid, expect_new=True)
        calls.do_outcome(
            call,
            outcomes.NO_ANSWER,
            ended=not line.record_voicemail,
            awaiting_voicemail=line.record_voicemail,
            locked=created,
        )
    return _xml(twiml.missed(line))


@webhook("screen")
def screen(request, fields: Fields, hook: Hook) -> HttpResponse:
    """The answering phone's leg: ask for 1, then connect on 1 or hang up this leg."""
    leg_sid = fields.required("CallSid", CALL_SID)
    parent = calls.find_call(TWILIO, fields.required("ParentCallSid", CALL_SID), account_sid=hook.account.account_sid)
    business = parent.line.business if parent else None
    if "Digits" not in fields:
        _event(request, "screen", f"{leg_sid}:prompt", business)
        return _xml(twiml.screen_prompt(business.name if business else "us"))
    digits = fields.get("Digits").strip()
    new = _event(request, "screen", f"{leg_sid}:{digits or 'none'}", business)
    if digits != "1":
        return _xml(twiml.hang_up())
    if parent is not None and new:
        calls.do_accept(parent)
    return _xml(twiml.connect())


@webhook("dial")
def dial(request, fields: Fields, hook: Hook) -> HttpResponse:
    """The <Dial> to the staff phones ended: answered, or missed (then voicemail or goodbye)."""
    call_sid = fields.required("CallSid", CALL_SID)
    call, _ = _call_for(fields, hook, call_sid)
    if call is None:
        return _xml(twiml.hang_up())
    dial_status = fields.required("DialCallStatus")
    new = _event(request, "dial", f"{call_sid}:{dial_status}", call.line.business)
    outcome = mapping.dial_outcome(
        dial_status, fields.get("CallStatus"), accepted=call.accepted, bridged=bool(fields.boolean("DialBridged"))
    )
    missed = outcomes.is_missed(outcome)
    caller_still_there = outcome != outcomes.CALLER_HUNG_UP
    wait_for_voicemail = missed and caller_still_there and call.line.record_voicemail
    if new:
        calls.do_outcome(call, outcome, ended=not wait_for_voicemail, awaiting_voicemail=wait_for_voicemail)
    return _xml(twiml.missed(call.line) if missed and caller_still_there else twiml.hang_up())


@webhook("recording")
def recording(request, fields: Fields, hook: Hook) -> HttpResponse:
    """The <Record> action (caller finished) and the recording status callback (file ready, or none)."""
    call_sid = fields.required("CallSid", CALL_SID)
    call = calls.find_call(TWILIO, call_sid, account_sid=hook.account.account_sid)
    status = fields.get("RecordingStatus", max_length=20)
    recording_sid = fields.get("RecordingSid") or "none"
    new = _event(
        request, "recording", f"{call_sid}:{recording_sid}:{status or 'action'}", call.line.business if call else None
    )
    if call is not None and new:
        seconds = fields.integer("RecordingDuration", maximum=86400) if status in ("", "completed") else 0
        calls.do_voicemail(call, seconds, fields.get("RecordingUrl", max_length=500))
    if status:
        return _no_content()
    return _xml(twiml.hang_up("Thank you. We will get back to you soon. Goodbye."))


@webhook("call-status")
def call_status(request, fields: Fields, hook: Hook) -> HttpResponse:
    """Status callbacks for the inbound call, and for the dialled legs (they carry ParentCallSid)."""
    call_sid = fields.required("CallSid", CALL_SID)
    status = fields.required("CallStatus", max_length=20)
    parent_sid = fields.get("ParentCallSid")
    if parent_sid:
        return _leg_status(request, hook, call_sid, status, parent_sid)
    call, _ = _call_for(fields, hook, call_sid)
    new = _event(request, "call-status", f"{call_sid}:{status}", call.line.business if call else None)
    if call is None or not new:
        return _no_content()
    mode = call.line.call_mode
    legs_seen, leg_answered = _legs(call_sid) if mode == Line.STATUS_ONLY else (0, False)
    outcome = mapping.parent_outcome(status, mode, accepted=call.accepted or leg_answered, legs_seen=legs_seen)
    if outcome is not None:  # status-only "completed": a dialled phone's report may still be on its way
        late_legs = mode == Line.STATUS_ONLY and status == "completed"
        calls.do_outcome(call, outcome, ended=True, grace=LEG_GRACE_SECONDS if late_legs else 0)
    return _no_content()


def _legs(parent_sid: str) -> tuple[int, bool]:
    """(how many reports we have from the phones this call rang, whether one of them answered).

    They may have arrived before we knew the call; their events are keyed by the parent's SID."""
    keys = WebhookEvent.objects.filter(
        provider=TWILIO,
        endpoint="call-status",
        key__startswith=f"{parent_sid}:CA",  # not the parent's own
    ).values_list("key", flat=True)
    statuses = [key.rsplit(":", 1)[-1] for key in keys]
    return len(statuses), any(mapping.child_outcome(s) == outcomes.ANSWERED for s in statuses)


def _leg_status(request, hook: Hook, leg_sid: str, status: str, parent_sid: str) -> HttpResponse:
    """A dialled phone's progress. With screening the <Dial> action says more; in status-only
    mode it is how we learn that a phone answered. It never ends the call."""
    parent = calls.find_call(TWILIO, parent_sid, account_sid=hook.account.account_sid)
    key = f"{parent_sid}:{leg_sid}:{status}"
    new = _event(request, "call-status", key, parent.line.business if parent else None)
    outcome = mapping.child_outcome(status)
    if parent is not None and new and outcome is not None and parent.line.call_mode == Line.STATUS_ONLY:
        calls.do_outcome(parent, outcome, ended=False)
    return _no_content()


@webhook("sms")
def sms(request, fields: Fields, hook: Hook) -> HttpResponse:
    """An incoming text. Replies go out through the outbox, never inline, so each is recorded."""
    message_sid = fields.required("MessageSid", MESSAGE_SID)
    fields.required("To")
    line = hook.line
    new = _event(request, "sms", message_sid, line.business if line else None)
    if line is not None and new:
        messaging.do_inbound_sms(
            messaging.Inbound(
                line=line,
                provider=TWILIO,
                provider_message_id=message_sid,
                from_number=fields.required("From", max_length=64),
                body=fields.get("Body"),
                provider_type=fields.get("OptOutType", max_length=20),
            )
        )
    return _xml(twiml.empty_messaging())


@webhook("sms-status")
def sms_status(request, fields: Fields, hook: Hook) -> HttpResponse:
    """Delivery reports. They arrive out of order; a message only ever moves forward."""
    message_sid = fields.required("MessageSid", MESSAGE_SID)
    status = fields.get("MessageStatus", max_length=20) or fields.required("SmsStatus", max_length=20)
    error_code = fields.required("ErrorCode", ERROR_CODE) if fields.get("ErrorCode").strip() else ""
    if _event(request, "sms-status", f"{message_sid}:{status}", None):
        messaging.do_message_status(
            messaging.StatusReport(
                provider=TWILIO,
                provider_message_id=message_sid,
                status=status,
                ref=request.GET.get("m", ""),
                error_code=error_code,
                consequence=errors.consequence(error_code),
                account_sid=hook.account.account_sid,
            )
        )
    return _no_content()
