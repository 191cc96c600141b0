"""One conversation's history as one list, oldest first: calls, texts, consent and what staff did.

`load(conversation)` reads each kind of thing in one query (a long history costs the same number of
queries as a short one) and merges them by time. Each entry carries what the template shows, in words.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Prefetch

from textback.calls.decide import REASONS
from textback.calls.models import Call
from textback.calls.outcomes import ANSWERED, LABELS
from textback.inbox.presence import display_name
from textback.messaging.models import ConsentEvent, Conversation, ConversationEvent, Message, MessageStatusEvent

CALL, MESSAGE, CONSENT, EVENT = "call", "message", "consent", "event"
_ORDER = {CALL: 0, MESSAGE: 1, CONSENT: 2, EVENT: 3}  # what happened at the same moment, in causal order

PURPOSES = {
    Message.TEXTBACK: "Text-back",
    Message.FOLLOWUP: "Follow-up",
    Message.REPLY: "Reply",
    Message.OPT_OUT_CONFIRMATION: "Opt-out confirmation",
    Message.OPT_IN_CONFIRMATION: "Opt-in confirmation",
    Message.HELP: "Help reply",
}
STATUSES = {
    "scheduled": "Waiting to send",
    "submitting": "Sending",
    "queued": "Queued at the carrier",
    "sending": "Sending",
    "sent": "Sent",
    "delivered": "Delivered",
    "undelivered": "Not delivered",
    "failed": "Failed",
    "read": "Read",
    "canceled": "Canceled",
    "expired": "Expired (too late to send)",
    "suppressed": "Not sent: opted out",
    "received": "Received",
}
CONSENT_WORDS = {
    ConsentEvent.OPT_OUT: "Opt-out received",
    ConsentEvent.OPT_IN: "Opted back in",
    ConsentEvent.HELP: "Help sent",
}
OUTCOME_NAMES = dict(Conversation.OUTCOMES)


@dataclass
class Entry:
    kind: str
    at: datetime
    pk: int
    item: object
    text: str = ""  # a sentence for consent and staff events
    css: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def sort_key(self):
        return (self.at, _ORDER[self.kind], self.pk)


def load(conversation: Conversation) -> list[Entry]:
    entries = [*_messages(conversation), *_calls(conversation), *_consent(conversation), *_events(conversation)]
    return sorted(entries, key=lambda entry: entry.sort_key)


def _messages(conversation: Conversation) -> list[Entry]:
    messages = (
        Message.objects.filter(conversation=conversation)
        .select_related("sent_by")
        .prefetch_related(Prefetch("status_events", queryset=MessageStatusEvent.objects.order_by("at", "pk")))
        .order_by("created_at", "pk")
    )
    return [Entry(MESSAGE, m.created_at, m.pk, m, extra=_message_words(conversation, m)) for m in messages]


def _message_words(conversation: Conversation, message: Message) -> dict:
    if message.direction == Message.IN:
        who = str(conversation.contact)
    elif message.sender_kind == Message.STAFF:
        who = display_name(message.sent_by) if message.sent_by else "A former colleague"
    else:
        who = f"textback · {PURPOSES.get(message.purpose, message.purpose)}"
    media = [
        {"n": n, "kind": (f.get("content_type") or "").split("/")[0], "type": f.get("content_type") or "file"}
        for n, f in enumerate(message.media or [])
    ]
    return {"who": who, "status": STATUSES.get(message.status, message.status), "media": media}


def _calls(conversation: Conversation) -> list[Entry]:
    calls = Call.objects.filter(
        business_id=conversation.business_id, line_id=conversation.line_id, contact_id=conversation.contact_id
    ).order_by("started_at", "pk")
    return [Entry(CALL, call.started_at, call.pk, call, extra=_call_words(call)) for call in calls]


def _call_words(call: Call) -> dict:
    if call.outcome is None:
        title, css = "Call ringing…", "ringing"
    elif call.outcome == ANSWERED:
        title, css = "Answered call", "answered"
    else:
        title, css = f"Missed call · {LABELS.get(call.outcome, call.outcome)}", "missed"
    if call.decision == Call.TEXT:
        decision = "Text-back sent"
    elif call.decision == Call.SKIP:
        decision = f"Text-back skipped: {REASONS.get(call.decision_reason, call.decision_reason)}"
    else:
        decision = ""
    return {"title": title, "css": css, "decision": decision}


def _consent(conversation: Conversation) -> list[Entry]:
    events = ConsentEvent.objects.filter(
        business_id=conversation.business_id, number=conversation.contact.number
    ).order_by("created_at", "pk")
    return [Entry(CONSENT, e.created_at, e.pk, e, text=_consent_words(e), css=e.kind) for e in events]


def _consent_words(event: ConsentEvent) -> str:
    words = CONSENT_WORDS.get(event.kind, event.get_kind_display())
    if event.keyword:
        return f"{words} ({event.keyword})"
    if event.source == ConsentEvent.PROVIDER:
        return f"{words} (reported by the carrier)"
    return words


def _events(conversation: Conversation) -> list[Entry]:
    events = ConversationEvent.objects.filter(conversation=conversation).select_related("actor", "subject")
    return [Entry(EVENT, e.at, e.pk, e, text=describe(e), css=e.kind) for e in events.order_by("at", "pk")]


def _name(user) -> str:
    return display_name(user) if user is not None else "Someone"


def describe(event: ConversationEvent) -> str:
    """What a staff event means, as a sentence (a note's text is shown as it is, beside this)."""
    actor = _name(event.actor)
    kind = event.kind
    if kind == ConversationEvent.NOTE:
        return f"Internal note by {actor}"
    if kind == ConversationEvent.ASSIGNED:
        if event.subject_id and event.subject_id == event.actor_id:
            return f"{actor} took the conversation"
        return f"{actor} assigned the conversation to {_name(event.subject)}"
    if kind == ConversationEvent.UNASSIGNED:
        return f"{actor} unassigned the conversation"
    if kind == ConversationEvent.CLOSED:
        return f"{actor} closed the conversation"
    if kind == ConversationEvent.REOPENED:
        return f"{actor} reopened the conversation"
    if kind == ConversationEvent.OUTCOME:
        outcome, _, detail = event.body.partition(":")
        name = OUTCOME_NAMES.get(outcome, outcome)
        return f"{actor} set the outcome: {name}" + (f" ({detail})" if detail else "")
    if kind == ConversationEvent.OUTCOME_CLEARED:
        return f"{actor} cleared the outcome"
    if kind == ConversationEvent.CONTACT_NAMED:
        return f"{actor} named the caller {event.body}" if event.body else f"{actor} cleared the caller's name"
    if kind == ConversationEvent.AUTOMATION_CANCELED:
        return f"Automation canceled: {event.body or 'pending automatic texts'} not sent because {actor} replied"
    return f"{actor}: {kind}"


def describe_outcome(conversation: Conversation) -> str:
    """The conversation's outcome in words for its header ('' when none is set)."""
    if not conversation.outcome:
        return ""
    name = OUTCOME_NAMES.get(conversation.outcome, conversation.outcome)
    if conversation.outcome == Conversation.BOOKED and conversation.outcome_value is not None:
        return f"{name}, ${conversation.outcome_value:,.2f}"
    if conversation.outcome == Conversation.LOST and conversation.lost_reason:
        return f"{name}: {conversation.lost_reason}"
    return name
