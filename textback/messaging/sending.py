"""Sending outbound texts: the last checks, the provider call, and the record of it.

Texts go in batches. One transaction claims a batch and takes it: each text is checked (too late?
opted out? a landline?) and marked as being handed over, so an opt-out committed before that moment
always wins. The sending threads then hand the texts to the provider at the same time, and one
transaction records what the provider answered for every text that has finished.

When an earlier attempt may have reached the provider (a worker died, a request timed out), the
text goes alone: we first ask the provider whether it went out, and if it did, that is the truth,
whatever the clock or the ledger says now.
"""

import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Value, When
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


def reason_not_to_send(item: OutboxItem, message: Message, *, opted_out: bool) -> tuple[str, str] | None:
    """(message status, why) when the text must not go out now; None when it may."""
    if message.status not in MessageStatus.PENDING:
        return message.status, "no longer scheduled"
    if item.expires_at and timezone.now() > item.expires_at:
        return MessageStatus.EXPIRED, "too late to send"
    if opted_out and message.purpose not in actions.ALLOWED_WHEN_OPTED_OUT:
        return MessageStatus.SUPPRESSED, "the recipient opted out"
    if message.contact.is_landline or message.contact.is_invalid:
        return MessageStatus.SUPPRESSED, "the number cannot receive texts"
    return None


def _messages(ids: list[int], *, lock: bool) -> dict[int, Message]:
    qs = Message.objects.select_related("business", "contact", "line__account").filter(pk__in=ids)
    if lock:
        qs = qs.select_for_update(of=("self",))
    return {message.pk: message for message in qs}


# --- the batch: take, run, record ------------------------------------------------------------


@dataclass(frozen=True)
class LeaseLost:
    """Another worker took the row over before our provider request: it is theirs now."""


def take(items: list[OutboxItem]) -> list[worker.Job]:
    """Check, in the claim's transaction, that each text may go, and mark it as being handed over.

    The messages are locked, so a reply or STOP cancelling them waits for this transaction and then
    sees them as being handed over (they go out, and are recorded as sent)."""
    messages = _messages([item.message_id for item in items], lock=True)
    opted_out = actions.opted_out_numbers({(m.business_id, m.contact.number) for m in messages.values()})
    jobs, handing_over = [], []
    for item in items:
        message = messages[item.message_id]
        stop = reason_not_to_send(item, message, opted_out=(message.business_id, message.contact.number) in opted_out)
        if stop:
            _stop(item, message, *stop)
            continue
        if message.status == MessageStatus.SCHEDULED:
            handing_over.append(message.pk)
            message.status = MessageStatus.SUBMITTING
        jobs.append(worker.Job(item, False, message))
    if handing_over:
        Message.objects.filter(pk__in=handing_over).update(status=MessageStatus.SUBMITTING, status_at=timezone.now())
    return jobs


def run(job: worker.Job) -> Submitted | ProviderError | LeaseLost:
    """Hand one text to the provider (no transaction open). A text that waited long in the queue
    renews its lease first, so the lease always covers the request."""
    message = job.work
    if not worker.lease_is_young(job):
        with transaction.atomic():
            if not worker.renew_lease(job.item):
                return LeaseLost()
    try:
        return provider_for(message.line.account).send_sms(outgoing(message, job.item))
    except ProviderError as exc:
        return exc


def record(results: list[tuple[worker.Job, object]]) -> None:
    """Record what the provider answered for a batch of texts (inside one transaction)."""
    submitted = [(job.item, job.work, result) for job, result in results if isinstance(result, Submitted)]
    _record_submitted(submitted)
    for job, result in results:
        if isinstance(result, ProviderError):
            _record_error(job.item, job.work, result, uncertain=result.maybe_sent or job.reconcile)


worker.handles_in_batches(OutboxItem.SMS, worker.Batched(take=take, run=run, record=record))


@worker.handles(OutboxItem.SMS)
def deliver(item: OutboxItem, reconcile: bool) -> None:
    """One text on its own: after a lost attempt (reconcile), and in tests. The same steps as a batch."""
    if reconcile:
        message = _messages([item.message_id], lock=False)[item.message_id]
        try:
            found = _already_sent(message, item)
        except ProviderError as exc:  # cannot tell yet: try again later, still reconciling first
            with transaction.atomic():
                _record_error(item, message, exc, uncertain=True)
            return
        if found:
            log.info("message %s was sent by an earlier attempt as %s", message.pk, found.provider_message_id)
            with transaction.atomic():
                _record_submitted([(item, message, found)])
            return
    with transaction.atomic():
        if not worker.renew_lease(item):
            return
        jobs = take([item])
    for job in jobs:
        job.reconcile, job.claimed_at = reconcile, time.monotonic()  # the lease was renewed just now
        result = run(job)
        with transaction.atomic():
            record([(job, result)])


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
    """Record why a text will never go out (inside take's transaction)."""
    outcome = OutboxItem.CANCELED if status == MessageStatus.CANCELED else OutboxItem.DEAD
    worker.finish(item, outcome, status, why)
    if message.status in MessageStatus.PENDING:
        _set_status(message, status, detail=why)


def _record_submitted(submitted: list[tuple[OutboxItem, Message, Submitted]]) -> None:
    """The provider has these texts. A status callback may have got here first: a message never moves
    back, but the provider's id is kept even if our lease was lost meanwhile, so the row's new owner
    finds it without asking the provider."""
    if not submitted:
        return
    now = timezone.now()
    sids = {message.pk: result.provider_message_id for _, message, result in submitted}
    statuses = {
        message.pk: MessageStatus.FROM_PROVIDER.get(result.status, MessageStatus.QUEUED)
        for _, message, result in submitted
    }
    current = Message.objects.select_for_update().filter(pk__in=sids).values_list("pk", "status", "provider_message_id")
    moving = [pk for pk, status, _ in current if status in MessageStatus.PENDING]
    unknown_sid = [pk for pk, status, sid in current if status not in MessageStatus.PENDING and sid is None]
    if moving:
        Message.objects.filter(pk__in=moving).update(
            status=_case(moving, statuses), status_at=now, provider_message_id=_case(moving, sids), sent_at=now
        )
        MessageStatusEvent.objects.bulk_create(
            MessageStatusEvent(message_id=pk, status=statuses[pk], detail=f"accepted as {sids[pk]}", at=now)
            for pk in moving
        )
    if unknown_sid:
        Message.objects.filter(pk__in=unknown_sid).update(provider_message_id=_case(unknown_sid, sids), sent_at=now)
    items = [item for item, _, _ in submitted]
    if worker.finish_many(items, OutboxItem.DONE, "submitted") < len(items):
        log.warning("lost the lease on some of outbox items %s; their new owners will find them", [i.pk for i in items])


def _case(pks: list[int], values: dict[int, str]) -> Case:
    return Case(*(When(pk=pk, then=Value(values[pk])) for pk in pks))


def _record_error(item: OutboxItem, message: Message, exc: ProviderError, *, uncertain: bool) -> None:
    """Retry a transient error with backoff; stop at a permanent one and learn from it (inside a transaction).

    `uncertain`: this or an earlier attempt may have reached the provider, so the next
    attempt must look for the text first, and a reply can no longer cancel it.
    """
    error = f"{exc.code} {exc}".strip()
    if not worker.still_ours(item):
        return
    if not exc.permanent:
        due = worker.retry_later(item, error, uncertain=uncertain, not_before=exc.retry_after)
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
