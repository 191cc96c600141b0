"""Sending one outbound text: the last checks, the provider call, and the record of it.

The order matters. When an earlier attempt may have reached the provider
(a worker died, a request timed out), we first ask the provider whether the
text went out: if it did, that is the truth, whatever the clock or the ledger
says now. Only then do the last checks run (too late? opted out? a landline?),
in the same transaction that marks the text as being handed over, so an
opt-out committed before that moment always wins.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from textback.messaging import actions
from textback.messaging.models import Message, MessageStatus, MessageStatusEvent
from textback.outbox import worker
from textback.outbox.models import OutboxItem
from textback.providers.base import OutgoingSms, ProviderError, Submitted
from textback.providers.registry import provider_for

log = logging.getLogger(__name__)
CLOCK_SLACK = timedelta(seconds=30)  # the provider's clock and ours differ a little


def status_callback_url(message: Message) -> str:
    return f"{settings.PUBLIC_URL}/hooks/{message.provider}/sms-status?m={message.ref}"


def outgoing(message: Message, item: OutboxItem) -> OutgoingSms:
    valid_for = None
    if item.expires_at:
        valid_for = max(int((item.expires_at - timezone.now()).total_seconds()), 1)
    return OutgoingSms(
        to=message.contact.number,
        from_=message.line.number,
        body=message.body,
        ref=str(message.ref),
        status_callback=status_callback_url(message),
        valid_for_seconds=valid_for,
    )


def reason_not_to_send(item: OutboxItem, message: Message) -> tuple[str, str] | None:
    """(message status, why) when the text must not go out now; None when it may."""
    if message.status not in MessageStatus.PENDING:
        return message.status, "no longer scheduled"
    if item.expires_at and timezone.now() > item.expires_at:
        return MessageStatus.EXPIRED, "too late to send"
    if message.purpose not in actions.ALLOWED_WHEN_OPTED_OUT and actions.is_opted_out(
        message.business, message.contact.number
    ):
        return MessageStatus.SUPPRESSED, "the recipient opted out"
    if message.contact.is_landline or message.contact.is_invalid:
        return MessageStatus.SUPPRESSED, "the number cannot receive texts"
    return None


def _load(item: OutboxItem, *, lock: bool = False) -> Message:
    qs = Message.objects.select_related("business", "contact", "line__account")
    if lock:
        qs = qs.select_for_update(of=("self",))
    return qs.get(pk=item.message_id)


@worker.handles(OutboxItem.SMS)
def deliver(item: OutboxItem, reconcile: bool) -> None:
    if reconcile:
        message = _load(item)
        try:
            found = _already_sent(message, item)
        except ProviderError as exc:  # cannot tell yet: try again later, still reconciling first
            _record_error(item, message, exc, uncertain=True)
            return
        if found:
            log.info("message %s was sent by an earlier attempt as %s", message.pk, found.provider_message_id)
            _record_submitted(item, message, found)
            return
    message = _take(item)
    if message is None:
        return
    try:
        submitted = provider_for(message.line.account).send_sms(outgoing(message, item))
    except ProviderError as exc:
        _record_error(item, message, exc, uncertain=exc.maybe_sent or reconcile)
        return
    _record_submitted(item, message, submitted)


def _take(item: OutboxItem) -> Message | None:
    """Check, in one transaction, that the text may go, and mark it as being handed over.

    The lease is renewed here, so it covers the provider request that follows.
    """
    with transaction.atomic():
        if not worker.renew_lease(item):
            return None
        message = _load(item, lock=True)
        stop = reason_not_to_send(item, message)
        if stop:
            _stop(item, message, *stop)
            return None
        if message.status == MessageStatus.SCHEDULED:
            Message.objects.filter(pk=message.pk).update(status=MessageStatus.SUBMITTING, status_at=timezone.now())
            message.status = MessageStatus.SUBMITTING
    return message


def _already_sent(message: Message, item: OutboxItem) -> Submitted | None:
    """The provider's own record of this text, if an earlier attempt handed it over."""
    if message.provider_message_id:  # a status callback told us while we were away
        return Submitted(message.provider_message_id, "queued")
    provider = provider_for(message.line.account)
    candidates = provider.find_sent(outgoing(message, item), since=item.created_at - CLOCK_SLACK)
    known = set(
        Message.objects.filter(
            provider=message.provider, provider_message_id__in=[c.provider_message_id for c in candidates]
        ).values_list("provider_message_id", flat=True)
    )
    return next((c for c in candidates if c.provider_message_id not in known), None)


def _stop(item: OutboxItem, message: Message, status: str, why: str) -> None:
    """Record why a text will never go out (inside _take's transaction)."""
    outcome = OutboxItem.CANCELED if status == MessageStatus.CANCELED else OutboxItem.DEAD
    worker.finish(item, outcome, status, why)
    if message.status in MessageStatus.PENDING:
        _set_status(message, status, detail=why)


def _record_submitted(item: OutboxItem, message: Message, submitted: Submitted) -> None:
    """The provider has it. A status callback may have got here first: never move the message back.

    The provider's id is kept even if our lease was lost meanwhile, so the row's new owner
    finds it without asking the provider.
    """
    sid, now = submitted.provider_message_id, timezone.now()
    status = MessageStatus.FROM_PROVIDER.get(submitted.status, MessageStatus.QUEUED)
    with transaction.atomic():
        moved = Message.objects.filter(pk=message.pk, status__in=MessageStatus.PENDING).update(
            status=status, status_at=now, provider_message_id=sid, sent_at=now
        )
        if moved:
            MessageStatusEvent.objects.create(message=message, status=status, detail=f"accepted as {sid}", at=now)
        else:
            Message.objects.filter(pk=message.pk, provider_message_id__isnull=True).update(
                provider_message_id=sid, sent_at=now
            )
        if not worker.finish(item, OutboxItem.DONE, "submitted"):
            log.warning("lost the lease on outbox item %s; its new owner will find %s", item.pk, sid)


def _record_error(item: OutboxItem, message: Message, exc: ProviderError, *, uncertain: bool) -> None:
    """Retry a transient error with backoff; stop at a permanent one and learn from it.

    `uncertain`: this or an earlier attempt may have reached the provider, so the next
    attempt must look for the text first, and a reply can no longer cancel it.
    """
    error = f"{exc.code} {exc}".strip()
    with transaction.atomic():
        if not worker.still_ours(item):
            return
        if not exc.permanent:
            due = worker.retry_later(item, error, uncertain=uncertain)
            if due:
                if not uncertain:  # certainly not sent: a reply or an opt-out may still cancel it
                    Message.objects.filter(pk=message.pk, status=MessageStatus.SUBMITTING).update(
                        status=MessageStatus.SCHEDULED
                    )
                MessageStatusEvent.objects.create(
                    message=message,
                    status="retry",
                    error_code=exc.code,
                    detail=f"{error}; retrying"[:300],
                    applied=False,
                    at=timezone.now(),
                )
                return
        worker.finish(item, OutboxItem.DEAD, "failed", error)
        detail = f"{exc} (it may have reached the provider)" if uncertain and not exc.permanent else str(exc)
        _set_status(message, MessageStatus.FAILED, detail=detail, error_code=exc.code)
        if exc.consequence:
            actions.learn(message.business, message.contact, exc.consequence, line=message.line)


@worker.on_give_up(OutboxItem.SMS)
def _gave_up(item: OutboxItem, error: str) -> None:
    """An unexpected error ended the row: the message must not stay 'scheduled' forever."""
    message = Message.objects.filter(pk=item.message_id, status__in=MessageStatus.PENDING).first()
    if message:
        _set_status(message, MessageStatus.FAILED, detail=f"internal error: {error}")


def _set_status(message: Message, status: str, *, detail: str = "", error_code: str = "") -> None:
    now = timezone.now()
    fields = {"status": status, "status_at": now}
    if error_code:
        fields["error_code"] = error_code
    if status in MessageStatus.NOT_SENT or status == MessageStatus.FAILED:
        fields["error_message"] = detail[:300]
    Message.objects.filter(pk=message.pk).update(**fields)
    MessageStatusEvent.objects.create(
        message=message, status=status, error_code=error_code, detail=detail[:300], at=now
    )
