"""Reply alerts coalesce: a caller who sends eight texts in a row gets a person one alert, not eight.

For each conversation, person and channel (email, staff phone):
- no earlier reply alert, or someone answered or read the conversation since it was queued: alert now;
- the earlier one has not gone yet: it will report this text too (nothing new is queued);
- the earlier one went less than COALESCE_FOR ago: one summary is queued for COALESCE_FOR after it, and
  every text meanwhile joins it;
- otherwise: alert now.

An alert says what it reports when it goes, not when it was queued: "3 new texts from Jane (512)
555-0147: 'the latest words'", counting the caller's texts since the first it reports that nobody has
read or answered yet. If someone has read or answered them all by then, it is not sent.
Webhooks are not coalesced: a receiving system wants each text.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Max

from textback.alerts import compose
from textback.alerts.models import Alert
from textback.messaging.models import Conversation, ConversationRead, Message

COALESCE_FOR = timedelta(minutes=10)


@dataclass(frozen=True)
class Earlier:
    """The latest reply alert to this person on this channel about this conversation."""

    queued_at: datetime
    pending: bool  # not sent yet (queued, retrying, or waiting out a quiet time)
    sent_at: datetime | None


def when_to_alert(earlier: Earlier | None, seen_at: datetime | None, now: datetime) -> datetime | None:
    """When to send a reply alert about a caller's new text: now, later (a summary), or None (an earlier
    alert, still to go, will report it)."""
    if earlier is None or (seen_at is not None and seen_at >= earlier.queued_at):
        return now
    if earlier.pending:
        return None
    if earlier.sent_at is not None and now - earlier.sent_at < COALESCE_FOR:
        return earlier.sent_at + COALESCE_FOR
    return now


def earlier_alert(conversation_id: int, membership, channel: str) -> Alert | None:
    return (
        Alert.objects.filter(conversation_id=conversation_id, membership=membership, channel=channel, event=Alert.REPLY)
        .order_by("-created_at", "-pk")
        .first()
    )


def as_earlier(alert: Alert | None) -> Earlier | None:
    if alert is None:
        return None
    return Earlier(alert.created_at, alert.status in (Alert.QUEUED, Alert.RETRYING), alert.sent_at)


def seen_at(conversation_id: int) -> datetime | None:
    """When anyone last answered or read the conversation."""
    answered = Conversation.objects.filter(pk=conversation_id).values_list("staff_replied_at", flat=True).first()
    read = ConversationRead.objects.filter(conversation_id=conversation_id).aggregate(at=Max("read_at"))["at"]
    return max((t for t in (answered, read) if t is not None), default=None)


def reported_texts(alert: Alert) -> tuple[int, str]:
    """(how many of the caller's texts this alert reports now, the latest's words): those since the first it
    reports that nobody has read or answered yet."""
    texts = Message.objects.filter(
        conversation_id=alert.conversation_id,
        direction=Message.IN,
        created_at__gte=datetime.fromisoformat(alert.payload["since"]),
    )
    seen = seen_at(alert.conversation_id)
    if seen is not None:
        texts = texts.filter(created_at__gt=seen)
    latest = texts.order_by("-created_at", "-pk").values_list("body", flat=True).first()
    return (texts.count(), latest) if latest is not None else (0, "")


def is_coalesced(alert: Alert) -> bool:
    return alert.event == Alert.REPLY and "since" in alert.payload


def refresh(alert: Alert) -> bool:
    """Rewrite the alert for what it reports now (and record that on it); False when nothing is left to report."""
    count, latest = reported_texts(alert)
    if not count:
        return False
    conversation = Conversation.objects.select_related("contact").get(pk=alert.conversation_id)
    event = compose.Event(
        compose.REPLY, alert.business, line=alert.line, contact=conversation.contact,
        conversation_id=conversation.pk, text=latest, count=count,
    )  # fmt: skip
    if alert.channel == Alert.EMAIL:
        alert.subject, alert.body = compose.subject(event), compose.email_body(event)
    else:
        alert.body = compose.staff_text(event, alert.code)
    Alert.objects.filter(pk=alert.pk).update(subject=alert.subject, body=alert.body)
    return True
