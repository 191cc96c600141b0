"""SLA escalation: a caller left unanswered for `escalate_after_minutes` of opening time alerts the
managers and owners who asked for it, once per breach.

When a caller's message starts the SLA clock (Conversation.awaiting_since), one outbox row is written
for the moment the clock breaches (lib/hours.py `after_open_time`: outside opening hours, on closures
and public holidays the clock waits for opening time). Its key is the conversation and the clock's start, so however many
times the caller writes meanwhile there is one row. When it falls due it does nothing if a person
answered (the clock stopped, or restarted: awaiting_since changed), the conversation was closed, or the
caller opted out (which also cancels the row at once: `cancel`).

Every caller who wrote overnight breaches at the same moment, opening time plus the minutes: the row
that fires first takes every other escalation of the business due by then, and each person gets one
digest ("4 callers waiting for an answer since last night: …") instead of one alert per caller.
Webhooks still get one event per caller: a receiving system wants each conversation.
A business with escalate_after_minutes = 0 has switched escalation off.
"""

from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone

from textback.accounts import hours
from textback.alerts import channels, compose, events, recipients
from textback.alerts.models import Alert
from textback.lib import hours as lib_hours
from textback.messaging import actions as messaging
from textback.messaging.models import Conversation, Message
from textback.outbox import wake, worker
from textback.outbox.models import OutboxItem

ESCALATE = "alert_sla"


def _key(conversation_id: int, started: datetime) -> str:
    return f"{ESCALATE}:{conversation_id}:{started.astimezone(UTC).isoformat()}"


def breach_at(business, started: datetime) -> datetime:
    return lib_hours.after_open_time(hours.schedule_of(business), started, business.escalate_after_minutes * 60)


def schedule(conversation: Conversation) -> OutboxItem | None:
    """The escalation of the clock now running (inside the transaction that started it)."""
    business, started = conversation.business, conversation.awaiting_since
    if started is None or not business.escalate_after_minutes:
        return None
    due, now = breach_at(business, started), timezone.now()
    item, _ = OutboxItem.objects.get_or_create(
        idempotency_key=_key(conversation.pk, started),
        defaults={"business": business, "kind": ESCALATE, "due_at": due, "created_at": now,
                  "payload": {"conversation": conversation.pk, "awaiting_since": started.astimezone(UTC).isoformat()}},
    )  # fmt: skip
    wake.after_commit(due)
    return item


def cancel(business, conversation_ids: list[int], *, why: str) -> int:
    """Cancel the pending escalations of these conversations (inside the transaction that stopped their clocks)."""
    return OutboxItem.objects.filter(
        business=business, kind=ESCALATE, status=OutboxItem.PENDING, payload__conversation__in=conversation_ids
    ).update(status=OutboxItem.CANCELED, result=why[:40], finished_at=timezone.now())


def _waiting_text(conversation: Conversation) -> str:
    """The caller's oldest unanswered message (what has waited)."""
    oldest = (
        Message.objects.filter(
            conversation=conversation, direction=Message.IN, created_at__gte=conversation.awaiting_since
        )
        .order_by("created_at", "pk")
        .values_list("body", flat=True)
        .first()
    )
    return oldest or ""


@worker.handles(ESCALATE, lane=worker.TEXTS)
def escalate(item: OutboxItem, reconcile: bool) -> None:
    with transaction.atomic():
        if not worker.still_ours(item):
            return
        together = [item, *_due_with(item)]
        results, waiting = {}, {}
        for row in together:
            conversation, why_not = still_waiting(row.payload)
            if why_not:
                results[row.pk] = why_not
            else:
                waiting[row.pk] = conversation
        if len(waiting) == 1:
            ((pk, conversation),) = waiting.items()
            results[pk] = _escalate_one(conversation)
        elif waiting:
            results |= _escalate_together(item, waiting)
        worker.finish(item, OutboxItem.DONE, results[item.pk])
        for row in together[1:]:
            OutboxItem.objects.filter(pk=row.pk).update(
                status=OutboxItem.DONE, result=results[row.pk][:40], finished_at=timezone.now(), lease_until=None
            )


def _due_with(item: OutboxItem) -> list[OutboxItem]:
    """The business's other escalations due by now that nobody is carrying out at this moment (locked, so no
    other worker alerts about them too; one another worker has claimed will find it done and stop)."""
    return list(
        OutboxItem.objects.select_for_update(skip_locked=True)
        .filter(
            business_id=item.business_id,
            kind=ESCALATE,
            status__in=[OutboxItem.PENDING, OutboxItem.CLAIMED],
            due_at__lte=timezone.now(),
        )  # fmt: skip
        .exclude(pk=item.pk)
        .order_by("due_at", "pk")
    )


def still_waiting(payload: dict) -> tuple[Conversation | None, str]:
    """(the conversation, '') when the wait this escalation was armed for still runs; else (None, why not)."""
    conversation = (
        Conversation.objects.select_related("business", "line", "contact")
        .filter(pk=payload.get("conversation"))
        .first()
    )
    started = datetime.fromisoformat(payload.get("awaiting_since", ""))
    if conversation is None or conversation.awaiting_since != started:
        return None, "answered"
    if conversation.status == Conversation.CLOSED or conversation.outcome == Conversation.SPAM:
        return None, "closed"
    if messaging.is_opted_out(conversation.business, conversation.contact.number):
        return None, "opted_out"
    return conversation, ""


def _sla_event(conversation: Conversation, now: datetime) -> compose.Event:
    business = conversation.business
    return compose.Event(
        compose.SLA, business, line=conversation.line, contact=conversation.contact, conversation_id=conversation.pk,
        text=_waiting_text(conversation), waited_minutes=business.escalate_after_minutes, at=now,
    )  # fmt: skip


def _sla_key(conversation: Conversation) -> str:
    return f"sla:{conversation.pk}:{int(conversation.awaiting_since.timestamp() * 1_000_000)}"


def _escalate_one(conversation: Conversation) -> str:
    """Alert the people and webhooks about one caller left waiting; what it did, for the outbox row's result."""
    event, key = _sla_event(conversation, timezone.now()), _sla_key(conversation)
    people = recipients.escalation_staff(conversation.business_id)
    sent = events.alert_people(event, people, key, in_quiet_time_too=lambda m: m.escalations_in_quiet_time)
    sent += events.alert_webhooks(event, key)
    return f"escalated:{sent}"


def _escalate_together(item: OutboxItem, waiting: dict[int, Conversation]) -> dict[int, str]:
    """Several callers breached at once: one digest per person and channel, one webhook event per caller.
    Returns each outbox row's result: the first row names the digest, the others point at it."""
    now = timezone.now()
    rows = sorted(waiting, key=lambda pk: (waiting[pk].awaiting_since, pk))
    callers = [waiting[pk] for pk in rows]
    business = callers[0].business
    listed = [compose.Waiting(c.contact, c.pk, _waiting_text(c), c.awaiting_since) for c in callers]
    when = compose.since_words(listed[0].since, now, business.time_zone)

    def digest(event: compose.Event, channel: str, membership, key: str) -> int:
        common = {"business": business, "event": Alert.SLA, "channel": channel, "membership": membership,
                  "key": key, "payload": {"conversations": [c.pk for c in callers]}}  # fmt: skip
        if channel == Alert.EMAIL:
            body = compose.digest_email_body(business, listed, when, business.escalate_after_minutes)
            channels.queue(**common, to=membership.user.email, subject=compose.digest_subject(listed, when), body=body)
        else:
            channels.queue(**common, to=membership.phone, body=compose.digest_text(listed, when), line=callers[0].line)
        return 1

    people = recipients.escalation_staff(business.pk)
    sent = events.alert_people(
        compose.Event(compose.SLA, business, at=now), people, f"sla-digest:{item.pk}",
        in_quiet_time_too=lambda m: m.escalations_in_quiet_time, queue_one=digest,
    )  # fmt: skip
    for conversation in callers:
        sent += events.alert_webhooks(_sla_event(conversation, now), _sla_key(conversation))
    return {pk: f"digest:{len(rows)}:{sent}" if pk == rows[0] else f"in_digest:{rows[0]}" for pk in rows}
