"""The alert channels as outbox work: email, a text to a staff phone, and outgoing webhooks.

`queue` writes an Alert row and the outbox row that carries it, in the caller's transaction; nothing
is sent from the request that caused it. The worker runs each alert once (the outbox row's unique key
and the Alert's key make a second queue of the same alert a no-op), retries what may succeed later with
backoff, stops on a permanent refusal or after MAX_ATTEMPTS, and copies the outcome onto the Alert.

Email goes through accounts/mail.py `queue_email` and its sender (the outbox row is then given our
kind, so the outcome is copied here too). A staff text goes from the business line through the
line's provider, never as a customer Message: a staff phone is not a contact. Webhooks are POSTed
with short timeouts on their own outbox rows, so a slow or failing endpoint holds up nothing else.
"""

import functools
import hashlib
import json
import logging
import time
import uuid
from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import httpx
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from textback.accounts import alerting, mail
from textback.alerts import coalesce, compose
from textback.alerts.models import Alert, AlertWebhook
from textback.lib import http_headers, public_net
from textback.messaging import actions as messaging
from textback.outbox import wake, worker
from textback.outbox.models import OutboxItem
from textback.providers.base import OutgoingSms, ProviderError
from textback.providers.generic.views import sign
from textback.providers.registry import provider_for

log = logging.getLogger(__name__)

ALERT_EMAIL, ALERT_SMS, ALERT_WEBHOOK = "alert_email", "alert_sms", "alert_webhook"
KINDS = {Alert.EMAIL: ALERT_EMAIL, Alert.SMS: ALERT_SMS, Alert.WEBHOOK: ALERT_WEBHOOK}
VALID_FOR = {Alert.EMAIL: timedelta(hours=12), Alert.SMS: timedelta(hours=2), Alert.WEBHOOK: timedelta(hours=6)}
WEBHOOK_TIMEOUT = httpx.Timeout(5.0, connect=3.0)
WEBHOOK_LIMITS = httpx.Limits(max_connections=20, max_keepalive_connections=5)
CLOCK_SLACK = timedelta(seconds=30)
USER_AGENT = "textback-alerts"


def queue(
    *, business, event: str, channel: str, key: str, to: str, body: str, subject: str = "", payload=None,
    conversation_id=None, call=None, line=None, membership=None, webhook=None, code: str = "", ref=None,
    due_at=None,
) -> Alert:  # fmt: skip
    """Write the alert and its outbox row (inside the caller's transaction), to go at `due_at` (default: now).
    The same key twice: the first."""
    key = f"alert:{key}"[:120]
    existing = Alert.objects.filter(key=key).first()
    if existing is not None:
        return existing
    now = timezone.now()
    due = due_at or now
    alert = Alert.objects.create(
        business=business, event=event, channel=channel, conversation_id=conversation_id, call=call, line=line,
        membership=membership, user=membership.user if membership else None, webhook=webhook, to=to[:500],
        code=code, subject=subject[:200], body=body, payload=payload or {}, key=key, ref=ref or uuid.uuid4(),
        created_at=now,
    )  # fmt: skip
    if channel == Alert.EMAIL:
        item = mail.queue_email(
            to=[to], subject=subject, body=body, key=key, business=business, expires_in=VALID_FOR[channel], due_at=due
        )
        OutboxItem.objects.filter(pk=item.pk).update(kind=ALERT_EMAIL)  # sent by mail's sender, recorded by us
    else:
        item = OutboxItem.objects.create(
            business=business, kind=KINDS[channel], idempotency_key=key, payload={"alert": alert.pk}, due_at=due,
            expires_at=due + VALID_FOR[channel], created_at=now, endpoint=endpoint_of(webhook) if webhook else "",
        )  # fmt: skip
        wake.after_commit(due, item.lane)
    Alert.objects.filter(pk=alert.pk).update(outbox=item)
    alert.outbox = item
    return alert


def cancel(alert: Alert, result: str, why: str) -> None:
    """Take back an alert not sent yet (inside the caller's transaction); it is recorded as not sent, and why."""
    OutboxItem.objects.filter(pk=alert.outbox_id, status=OutboxItem.PENDING).update(
        status=OutboxItem.CANCELED, result=result[:40], last_error=why[:300], finished_at=timezone.now()
    )
    record_outcome(alert.outbox_id)


def endpoint_of(hook: AlertWebhook) -> str:
    """The webhook's address as the outbox's endpoint: deliveries to one address go a few at a time. By the
    whole URL, not the host: every Slack webhook is on hooks.slack.com. Hashed: a Slack URL is a secret."""
    return "webhook:" + hashlib.sha256(hook.url.encode()).hexdigest()[:40]


# --- recording the outcome on the Alert --------------------------------------------------------

_FINISHED = {OutboxItem.DONE: Alert.SENT, OutboxItem.DEAD: Alert.FAILED, OutboxItem.CANCELED: Alert.CANCELED}


def record_outcome(item_id: int) -> None:
    """Copy where the outbox row stands (sent, retrying, failed, not sent) onto its Alert."""
    row = OutboxItem.objects.filter(pk=item_id).values("status", "attempts", "last_error", "finished_at").first()
    if row is None:
        return
    status = _FINISHED.get(row["status"]) or (Alert.RETRYING if row["last_error"] else Alert.QUEUED)
    Alert.objects.filter(outbox_id=item_id).update(
        status=status,
        attempts=row["attempts"],
        error=row["last_error"][:300],
        finished_at=row["finished_at"],
        sent_at=row["finished_at"] if status == Alert.SENT else None,
    )


def recorded(handler):
    """Run the channel's handler, then record the outcome on the Alert, whatever happened."""

    @functools.wraps(handler)
    def run(item: OutboxItem, reconcile: bool) -> None:
        try:
            handler(item, reconcile)
        finally:
            record_outcome(item.pk)

    return run


def _alert_of(item: OutboxItem, *related: str) -> Alert | None:
    return Alert.objects.select_related(*related).filter(outbox_id=item.pk).first()


def _stop(item: OutboxItem, status: str, result: str, error: str = "") -> None:
    with transaction.atomic():
        if worker.still_ours(item):
            worker.finish(item, status, result, error)


def _failed(item: OutboxItem, error: str, *, permanent: bool, uncertain: bool = False, retry_after=None) -> None:
    """Retry later unless it is permanent or no attempt is left; then stop for good, recorded."""
    with transaction.atomic():
        if not worker.still_ours(item):
            return
        if permanent or worker.retry_later(item, error, uncertain=uncertain, not_before=retry_after) is None:
            worker.finish(item, OutboxItem.DEAD, "refused" if permanent else "gave_up", error)
            log.warning("alert (outbox %s) not delivered: %s", item.pk, error)


# --- email: accounts/mail.py sends it ----------------------------------------------------------


@worker.handles(ALERT_EMAIL, lane=worker.ALERTS)
@recorded
def send_email(item: OutboxItem, reconcile: bool) -> None:
    alert = _alert_of(item, "membership", "business", "line")
    if alert is not None and (_not_now(item, alert) or not _up_to_date(item, alert)):
        return
    if alert is not None and coalesce.is_coalesced(alert):
        item.payload = {**item.payload, "subject": alert.subject, "body": alert.body}
    mail.send_email(item, reconcile)


# --- checked when an alert goes, not only when it was queued ---------------------------------------

_QUIET_EVENTS = (Alert.REPLY, Alert.MISSED_CALL, Alert.SLA)  # not a test, nor the relay's answer to a text


def _not_now(item: OutboxItem, alert: Alert) -> bool:
    """Whether the alert falls in its person's quiet time (a retry or a summary can, though it was queued
    outside it). Then it waits for the quiet time's end if it is still worth sending then, or is recorded as
    not sent and why; True either way."""
    person = alert.membership
    if person is None or alert.event not in _QUIET_EVENTS:
        return False
    if alert.event == Alert.SLA and person.escalations_in_quiet_time:
        return False
    ends = alerting.quiet_time_ends(person, timezone.now(), alert.business.time_zone)
    if ends is None:
        return False
    if item.expires_at and ends > item.expires_at:
        until = compose.clock(ends, alert.business.time_zone)
        _stop(item, OutboxItem.CANCELED, "quiet_time", f"not sent: quiet time until {until}, too late by then")
        return True
    with transaction.atomic():
        if worker.still_ours(item):
            worker.wait_until(item, ends, "quiet_time")
    return True


def _up_to_date(item: OutboxItem, alert: Alert) -> bool:
    """A coalesced reply alert says what it reports now; False (and not sent) if someone read it all first."""
    if not coalesce.is_coalesced(alert) or coalesce.refresh(alert):
        return True
    _stop(item, OutboxItem.CANCELED, "seen", "not sent: the texts were read or answered before it went")
    return False


# --- a text to a staff phone, from the business line --------------------------------------------


def _why_not_text(alert: Alert) -> str:
    line = alert.line
    if line is None:
        return "the line is gone"
    if not line.active:
        return "the line is switched off"
    if not alert.payload.get("always") and messaging.is_opted_out(alert.business, alert.to):
        return "the staff phone opted out (STOP)"
    return "" if alert.event == Alert.RELAY else _why_not_this_phone(alert)


def _why_not_this_phone(alert: Alert) -> str:
    """An alert (or a phone's code) goes only to the phone the person has now, and an alert only once they
    verified it; the relay's answers go back to whichever phone texted."""
    member = alert.membership
    if member is None:
        return "the person is no longer a member"
    if member.phone != alert.to:
        return "the person changed their phone"
    if alert.event != Alert.PHONE_CODE and not member.phone_is_verified:
        return "the phone is not verified"
    return ""


@worker.handles(ALERT_SMS, lane=worker.TEXTS)
@recorded
def send_staff_text(item: OutboxItem, reconcile: bool) -> None:
    alert = _alert_of(item, "line__account", "business", "membership")
    why = "the alert is gone" if alert is None else _why_not_text(alert)
    if why:
        _stop(item, OutboxItem.CANCELED, why, why)
        return
    if _not_now(item, alert) or (not reconcile and not _up_to_date(item, alert)):  # a lost attempt: its words
        return
    valid_for = max(int((item.expires_at - timezone.now()).total_seconds()), 1) if item.expires_at else None
    sms = OutgoingSms(
        to=alert.to, from_=alert.line.number, body=alert.body, ref=str(alert.ref), status_callback=None,
        valid_for_seconds=valid_for,
    )  # fmt: skip
    try:
        provider = provider_for(alert.line.account)
        if reconcile and provider.find_sent(sms, since=alert.created_at - CLOCK_SLACK):
            _stop(item, OutboxItem.DONE, "found_sent")  # an attempt we lost track of got through
            return
        if not worker.renew_lease(item):
            return
        provider.send_sms(sms)
    except ProviderError as exc:
        _failed(item, f"{exc.code or 'error'}: {exc}", permanent=exc.permanent, uncertain=exc.maybe_sent,
                retry_after=exc.retry_after)  # fmt: skip
        return
    _stop(item, OutboxItem.DONE, "sent")


# --- outgoing webhooks -------------------------------------------------------------------------

_client: httpx.Client | None = None


def http() -> httpx.Client:
    """The client webhooks are posted with: it connects only to public internet addresses, checked after
    resolving (lib/public_net.py), so a name that resolves to this server or a private network after it was
    saved gains nothing; unless the operator allows private addresses (TEXTBACK_ALLOW_PRIVATE_WEBHOOKS)."""
    global _client
    if _client is None:
        transport = public_net.transport(lambda host, port: settings.ALLOW_PRIVATE_WEBHOOKS, WEBHOOK_LIMITS)
        _client = httpx.Client(
            transport=transport, timeout=WEBHOOK_TIMEOUT, follow_redirects=False, headers={"User-Agent": USER_AGENT}
        )
    return _client


def webhook_request(hook: AlertWebhook, alert: Alert, now: float | None = None) -> tuple[bytes, dict]:
    """(the body, the headers) of one delivery; signed JSON carries X-Textback-Timestamp and -Signature."""
    body = json.dumps(alert.payload, separators=(",", ":"), ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json"}
    if hook.kind == AlertWebhook.GENERIC:
        timestamp = str(int(now if now is not None else time.time()))
        headers |= {
            "X-Textback-Timestamp": timestamp,
            "X-Textback-Signature": sign(hook.secret, timestamp, body),
            "X-Textback-Event": alert.event,
            "X-Textback-Delivery": str(alert.ref),
        }
    return body, headers


@worker.handles(ALERT_WEBHOOK, lane=worker.ALERTS)
@recorded
def post_webhook(item: OutboxItem, reconcile: bool) -> None:
    alert = _alert_of(item, "webhook")
    hook = alert.webhook if alert else None
    if hook is None or (not hook.active and alert.event != Alert.TEST):
        _stop(item, OutboxItem.CANCELED, "webhook_off", "the webhook was removed or switched off")
        return
    if not worker.renew_lease(item):
        return
    body, headers = webhook_request(hook, alert)
    try:
        response = http().post(hook.url, content=body, headers=headers)
    except public_net.NotPublic:
        _failed(item, NOT_PUBLIC, permanent=True)
        return
    except httpx.HTTPError as exc:
        log.info("webhook %s: %s: %s", hook.pk, type(exc).__name__, exc)  # the details, for the operator only
        _failed(item, unreachable(exc), permanent=False)
        return
    code = response.status_code
    if 200 <= code < 300:
        _stop(item, OutboxItem.DONE, "sent")
    elif code in (408, 425, 429) or code >= 500:
        wait = http_headers.retry_after(response.headers.get("Retry-After"), datetime.now(UTC))
        _failed(item, answered(code), permanent=False, retry_after=wait)
    else:  # 3xx and the other 4xx: the address is wrong or refuses us; trying again will not change that
        _failed(item, f"{answered(code)} Check the address; textback stopped trying.", permanent=True)


# What owners read under Recent deliveries: why an alert did not arrive, never an exception's text (which
# would tell an owner of a shared install how the server's network answers).
NOT_PUBLIC = "textback does not post to private network addresses."


def unreachable(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"The address did not answer within {WEBHOOK_TIMEOUT.read:g} seconds."
    if isinstance(exc, httpx.ConnectError):
        return "The address could not be reached: its site name was not found, or nothing answered there."
    return "The connection to the address broke off before it answered (is it a web server?)."


def answered(code: int) -> str:
    """e.g. "It answered 403 Forbidden."."""
    try:
        return f"It answered {code} {HTTPStatus(code).phrase}."
    except ValueError:
        return f"It answered {code}."


for _kind in KINDS.values():
    worker.on_give_up(_kind)(lambda item, error: record_outcome(item.pk))
