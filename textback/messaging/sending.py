"""Sending outbound texts: the last checks, the provider call, and the record of it.

Texts go in batches. One transaction claims a batch and takes it: each text is checked (too late?
opted out? a landline?) and marked as being handed over, so an opt-out committed before that moment
always wins. The sending threads then hand the texts to the provider at the same time, and one
transaction records what the provider answered for every text that has finished.

When an earlier attempt may have reached the provider (a worker died, a request timed out), the
text goes alone: we first ask the provider whether it went out, and if it did, that is the truth,
whatever the clock or the ledger says now.
"""

import functools
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from textback.lib import sql
from textback.messaging import actions
from textback.messaging.models import Message, MessageStatus, MessageStatusEvent
from textback.outbox import worker
from textback.outbox.models import OutboxItem
from textback.providers.base import OutgoingSms, ProviderError, Submitted
from textback.providers.models import ProviderAccount
from textback.providers.registry import provider_for

log = logging.getLogger(__name__)
CLOCK_SLACK = timedelta(seconds=30)  # the provider's clock and ours differ a little


def status_callback_url(text) -> str:
    return f"{settings.PUBLIC_URL}/hooks/{text.provider}/sms-status?m={text.ref}"


@dataclass
class Text:
    """What sending one text needs, read for a whole batch in one statement (no model instances)."""

    pk: int
    status: str
    purpose: str
    body: str
    ref: str
    provider: str
    provider_message_id: str | None
    business_id: int
    contact_id: int
    to: str
    landline: bool
    invalid: bool
    from_: str
    account_id: int
    line_active: bool = True
    account: object = None  # the ProviderAccount, attached once per batch


@functools.cache
def _texts_sql(vendor: str, lock: bool) -> str:
    lock = " FOR UPDATE OF m" if lock and vendor == "postgresql" else ""  # SQLite: the writer lock is held
    return (
        "SELECT m.id, m.status, m.purpose, m.body, m.ref, m.provider, m.provider_message_id, m.business_id, "
        "m.contact_id, c.number, c.is_landline, c.is_invalid, l.number, l.account_id, l.active, "
        f"{sql.columns_of(ProviderAccount, 'a')} "
        "FROM messaging_message m JOIN messaging_contact c ON c.id = m.contact_id "
        "JOIN providers_line l ON l.id = m.line_id JOIN providers_provideraccount a ON a.id = l.account_id "
        "WHERE m.id IN ({ids})" + lock
    )


_TEXT_COLUMNS = 15


def _texts(ids: list[int], *, lock: bool) -> dict[int, Text]:
    """The texts, with their provider accounts; locked (PostgreSQL: FOR UPDATE OF the messages) when asked."""
    rows = sql.fetchall(_texts_sql(connection.vendor, lock).format(ids=sql.placeholders(ids)), ids)
    texts, accounts = {}, {}
    for row in rows:
        (
            pk,
            status,
            purpose,
            body,
            ref,
            provider,
            sid,
            business,
            contact,
            to,
            landline,
            invalid,
            from_,
            account,
            active,
        ) = row[:_TEXT_COLUMNS]
        if account not in accounts:
            accounts[account] = sql.instance_from(ProviderAccount, row[_TEXT_COLUMNS:])
        ref = str(ref) if isinstance(ref, uuid.UUID) else str(uuid.UUID(ref))
        texts[pk] = Text(pk, status, purpose, body, ref, provider, sid, business, contact, to, bool(landline),
                         bool(invalid), from_, account, bool(active), accounts[account])  # fmt: skip
    return texts


def _message(text: Text) -> Message:
    """The full message, for the paths that change more than its status (rare: stops and errors)."""
    return Message.objects.select_related("business", "contact", "line").get(pk=text.pk)


def outgoing(text: Text, item: OutboxItem) -> OutgoingSms:
    valid_for = None
    if item.expires_at:
        valid_for = max(int((item.expires_at - timezone.now()).total_seconds()), 1)
    return OutgoingSms(
        to=text.to,
        from_=text.from_,
        body=text.body,
        ref=text.ref,
        status_callback=status_callback_url(text),
        valid_for_seconds=valid_for,
    )


def reason_not_to_send(
    item: OutboxItem, text: Text, *, opted_out: bool, excluded: bool = False
) -> tuple[str, str] | None:
    """(message status, why) when the text must not go out now; None when it may."""
    if text.status not in MessageStatus.PENDING:
        return text.status, "no longer scheduled"
    if item.expires_at and timezone.now() > item.expires_at:
        return MessageStatus.EXPIRED, "too late to send"
    if opted_out and text.purpose not in actions.ALLOWED_WHEN_OPTED_OUT:
        return MessageStatus.SUPPRESSED, "the recipient opted out"
    if excluded and text.purpose not in actions.ALLOWED_WHEN_EXCLUDED:
        return MessageStatus.SUPPRESSED, "the number is on the do-not-text list"
    if text.landline or text.invalid:
        return MessageStatus.SUPPRESSED, "the number cannot receive texts"
    if not text.line_active:
        return MessageStatus.SUPPRESSED, "the line is switched off"
    return None


# --- the batch: take, run, record ------------------------------------------------------------


@dataclass(frozen=True)
class LeaseLost:
    """Another worker took the row over before our provider request: it is theirs now."""


def take(items: list[OutboxItem]) -> list[worker.Job]:
    """Check, in the claim's transaction, that each text may go, and mark it as being handed over.

    The messages are locked, so a reply or STOP cancelling them waits for this transaction and then
    sees them as being handed over (they go out, and are recorded as sent)."""
    texts = _texts([item.message_id for item in items], lock=True)
    pairs = {(t.business_id, t.to) for t in texts.values()}
    opted_out, excluded = actions.send_blocks(pairs)
    jobs, handing_over = [], []
    for item in items:
        text = texts[item.message_id]
        pair = (text.business_id, text.to)
        stop = reason_not_to_send(item, text, opted_out=pair in opted_out, excluded=pair in excluded)
        if stop:
            _stop(item, text, *stop)
            continue
        if text.status == MessageStatus.SCHEDULED:
            handing_over.append(text.pk)
            text.status = MessageStatus.SUBMITTING
        jobs.append(worker.Job(item, False, text))
    if handing_over:
        sql.execute(
            f"UPDATE messaging_message SET status = %s, status_at = %s WHERE id IN ({', '.join(['%s'] * len(handing_over))})",
            [MessageStatus.SUBMITTING, sql.params(Message, {"status_at": timezone.now()})[0], *handing_over],
        )
    return jobs


def run(job: worker.Job) -> Submitted | ProviderError | LeaseLost:
    """Hand one text to the provider (no transaction open). A text that waited long in the queue
    renews its lease first, so the lease always covers the request."""
    text = job.work
    if not worker.lease_is_young(job):
        with transaction.atomic():
            if not worker.renew_lease(job.item):
                return LeaseLost()
    try:
        return provider_for(text.account).send_sms(outgoing(text, job.item))
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


@worker.handles(OutboxItem.SMS, lane=worker.TEXTS)
def deliver(item: OutboxItem, reconcile: bool) -> None:
    """One text on its own: after a lost attempt (reconcile), and in tests. The same steps as a batch."""
    if reconcile:
        text = _texts([item.message_id], lock=False)[item.message_id]
        try:
            found = _already_sent(text, item)
        except ProviderError as exc:  # cannot tell yet: try again later, still reconciling first
            with transaction.atomic():
                _record_error(item, text, exc, uncertain=True)
            return
        if found:
            log.info("message %s was sent by an earlier attempt as %s", text.pk, found.provider_message_id)
            with transaction.atomic():
                _record_submitted([(item, text, found)])
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


def _already_sent(text: Text, item: OutboxItem) -> Submitted | None:
    """The provider's own record of this text, if an earlier attempt handed it over."""
    if text.provider_message_id:  # a status callback told us while we were away
        return Submitted(text.provider_message_id, "queued")
    provider = provider_for(text.account)
    candidates = provider.find_sent(outgoing(text, item), since=item.created_at - CLOCK_SLACK)
    known = set(
        Message.objects.filter(
            provider=text.provider, provider_message_id__in=[c.provider_message_id for c in candidates]
        ).values_list("provider_message_id", flat=True)
    )
    return next((c for c in candidates if c.provider_message_id not in known), None)


def _stop(item: OutboxItem, text: Text, status: str, why: str) -> None:
    """Record why a text will never go out (inside take's transaction)."""
    outcome = OutboxItem.CANCELED if status == MessageStatus.CANCELED else OutboxItem.DEAD
    worker.finish(item, outcome, status, why)
    if text.status in MessageStatus.PENDING:
        _set_status(text.pk, status, detail=why)


def _record_submitted(submitted: list[tuple[OutboxItem, Text, Submitted]]) -> None:
    """The provider has these texts. A status callback may have got here first: a message never moves
    back, but the provider's id is kept even if our lease was lost meanwhile, so the row's new owner
    finds it without asking the provider. A few statements for the whole batch."""
    if not submitted:
        return
    now = timezone.now()
    at = sql.params(Message, {"status_at": now})[0]
    sids = {text.pk: result.provider_message_id for _, text, result in submitted}
    statuses = {
        text.pk: MessageStatus.FROM_PROVIDER.get(result.status, MessageStatus.QUEUED) for _, text, result in submitted
    }
    ids = list(sids)
    lock = " FOR UPDATE" if connection.vendor == "postgresql" else ""
    current = sql.fetchall(
        f"SELECT id, status, provider_message_id FROM messaging_message WHERE id IN ({sql.placeholders(ids)}){lock}",
        ids,
    )
    moving = [pk for pk, status, _ in current if status in MessageStatus.PENDING]
    unknown_sid = [pk for pk, status, sid in current if status not in MessageStatus.PENDING and sid is None]
    with connection.cursor() as cursor:
        if moving:
            cursor.executemany(
                "UPDATE messaging_message SET status = %s, status_at = %s, provider_message_id = %s, sent_at = %s "
                "WHERE id = %s",
                [(statuses[pk], at, sids[pk], at, pk) for pk in moving],
            )
            cursor.executemany(
                "INSERT INTO messaging_messagestatusevent (message_id, status, error_code, detail, applied, at) "
                "VALUES (%s, %s, '', %s, %s, %s)",
                [(pk, statuses[pk], f"accepted as {sids[pk]}"[:300], True, at) for pk in moving],
            )
        if unknown_sid:
            cursor.executemany(
                "UPDATE messaging_message SET provider_message_id = %s, sent_at = %s WHERE id = %s",
                [(sids[pk], at, pk) for pk in unknown_sid],
            )
    items = [item for item, _, _ in submitted]
    if worker.finish_many(items, OutboxItem.DONE, "submitted") < len(items):
        log.warning("lost the lease on some of outbox items %s; their new owners will find them", [i.pk for i in items])


def _record_error(item: OutboxItem, text: Text, exc: ProviderError, *, uncertain: bool) -> None:
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
                Message.objects.filter(pk=text.pk, status=MessageStatus.SUBMITTING).update(
                    status=MessageStatus.SCHEDULED
                )
            MessageStatusEvent.objects.create(
                message_id=text.pk,
                status="retry",
                error_code=exc.code,
                detail=f"{error}; retrying"[:300],
                applied=False,
                at=timezone.now(),
            )
            return
    worker.finish(item, OutboxItem.DEAD, "failed", error)
    detail = f"{exc} (it may have reached the provider)" if uncertain and not exc.permanent else str(exc)
    _set_status(text.pk, MessageStatus.FAILED, detail=detail, error_code=exc.code)
    if exc.consequence:
        message = _message(text)
        actions.learn(message.business, message.contact, exc.consequence, line=message.line)


@worker.on_give_up(OutboxItem.SMS)
def _gave_up(item: OutboxItem, error: str) -> None:
    """An unexpected error ended the row: the message must not stay 'scheduled' forever."""
    if Message.objects.filter(pk=item.message_id, status__in=MessageStatus.PENDING).exists():
        _set_status(item.message_id, MessageStatus.FAILED, detail=f"internal error: {error}")


def _set_status(message_id: int, status: str, *, detail: str = "", error_code: str = "") -> None:
    now = timezone.now()
    fields = {"status": status, "status_at": now}
    if error_code:
        fields["error_code"] = error_code
    if status in MessageStatus.NOT_SENT or status == MessageStatus.FAILED:
        fields["error_message"] = detail[:300]
    Message.objects.filter(pk=message_id).update(**fields)
    MessageStatusEvent.objects.create(
        message_id=message_id, status=status, error_code=error_code, detail=detail[:300], at=now
    )
