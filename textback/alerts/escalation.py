"""SLA escalation: a caller left unanswered for `escalate_after_minutes` of opening time alerts the
managers and owners who asked for it, once per breach.

When a caller's message starts the SLA clock (Conversation.awaiting_since), one outbox row is written
for the moment the clock breaches (accounts/hours.py `after_open_time`: outside opening hours the
clock waits for opening time). Its key is the conversation and the clock's start, so however many
times the caller writes meanwhile there is one row. When it falls due it does nothing if a person
answered (the clock stopped, or restarted: awaiting_since changed) or the conversation was closed.
A business with escalate_after_minutes = 0 has switched escalation off.
"""

from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone

from textback.accounts import hours
from textback.alerts import compose, events, recipients
from textback.messaging.models import Conversation, Message
from textback.outbox import wake, worker
from textback.outbox.models import OutboxItem

ESCALATE = "alert_sla"


def _key(conversation_id: int, started: datetime) -> str:
    return f"{ESCALATE}:{conversation_id}:{started.astimezone(UTC).isoformat()}"


def breach_at(business, started: datetime) -> datetime:
    return hours.after_open_time(
        hours.spans_of(business), business.time_zone, started, business.escalate_after_minutes * 60
    )


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
        worker.finish(item, OutboxItem.DONE, _escalate(item.payload))


def _escalate(payload: dict) -> str:
    """What the escalation did, for the outbox row's result."""
    conversation = (
        Conversation.objects.select_related("business", "line", "contact")
        .filter(pk=payload.get("conversation"))
        .first()
    )
    started = datetime.fromisoformat(payload.get("awaiting_since", ""))
    if conversation is None or conversation.awaiting_since != started:
        return "answered"
    if conversation.status == Conversation.CLOSED or conversation.outcome == Conversation.SPAM:
        return "closed"
    now = timezone.now()
    business = conversation.business
    event = compose.Event(
        compose.SLA, business, line=conversation.line, contact=conversation.contact, conversation_id=conversation.pk,
        text=_waiting_text(conversation), waited_minutes=business.escalate_after_minutes, at=now,
    )  # fmt: skip
    key = f"sla:{conversation.pk}:{int(started.timestamp() * 1_000_000)}"
    people = recipients.escalation_staff(business.pk)
    sent = events.alert_people(event, people, key, in_quiet_time_too=lambda m: m.escalations_in_quiet_time)
    sent += events.alert_webhooks(event, key)
    return f"escalated:{sent}"
