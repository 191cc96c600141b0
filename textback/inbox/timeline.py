"""One conversation's history as one list, oldest first: calls, texts, consent and what staff did.

A thread can hold years of entries, so it is read a window at a time, keyset-paged by `Key`
(time, kind, id) — never by OFFSET:
- `newest(conversation)`: the newest PAGE entries, where the page opens;
- `before(conversation, key)`: the PAGE entries just older than `key` (the "Earlier" control);
- `since(conversation, key)`: every entry from `key` on, what the live part re-renders (at most
  LIVE_MAX; past that the live part starts over from the newest PAGE).

Each window reads each kind of entry in one query of at most limit + 1 rows on an index (a long
history costs the same number of queries and rows as a short one), merges them by key and keeps
the newest `limit`. Each entry carries what the template shows, in words.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db.models import Prefetch, Q, QuerySet

from textback.calls.decide import REASONS
from textback.calls.models import Call
from textback.calls.outcomes import ANSWERED, LABELS
from textback.inbox.presence import display_name
from textback.messaging.actions import ROUTED_TO_OWNER
from textback.messaging.autoresponders import AUTOMATION_PAUSED, AUTOMATION_RESUMED
from textback.messaging.models import (
    ConsentEvent,
    Conversation,
    ConversationEvent,
    Message,
    MessageStatus,
    MessageStatusEvent,
)

CALL, MESSAGE, CONSENT, EVENT = "call", "message", "consent", "event"
KINDS = (CALL, MESSAGE, CONSENT, EVENT)  # what happened at the same moment, in causal order
PAGE = 50  # entries the page opens with, and each "Earlier" adds
LIVE_MAX = 250  # entries the live part re-renders at most; past that it starts over from the newest PAGE
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

PURPOSES = {
    Message.TEXTBACK: "Text-back",
    Message.FOLLOWUP: "Follow-up",
    Message.REPLY: "Reply",
    Message.OPT_OUT_CONFIRMATION: "Opt-out confirmation",
    Message.OPT_IN_CONFIRMATION: "Opt-in confirmation",
    Message.HELP: "Help reply",
    "emergency_paged": "Emergency: a person was paged",  # rules/paging.py
    "booking_link": "Booking link",  # rules/routes.py
}
# Events written by the rules (rules/paging.py, rules/routes.py) carry their sentence in the body.
RULE_EVENTS = frozenset({"oncall_paged", "oncall_acked", "oncall_unreachable", "oncall_exhausted", "book_no_link"})
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


@dataclass(frozen=True, order=True)
class Key:
    """Where an entry sits in the timeline: its time, its kind's rank among things at the same moment
    (a call before its text-back), its id. As text (a link's cursor): `<µs since 1970>-<kind>-<id>`."""

    at: datetime
    rank: int
    pk: int

    def encode(self) -> str:
        return f"{(self.at - EPOCH) // timedelta(microseconds=1)}-{KINDS[self.rank]}-{self.pk}"

    @classmethod
    def parse(cls, text: str) -> "Key | None":
        """The key a link names, or None when it names none (mangled, or out of range)."""
        match = re.fullmatch(rf"([0-9]{{1,17}})-({'|'.join(KINDS)})-([0-9]{{1,18}})", text or "")
        if not match:
            return None
        return cls(EPOCH + timedelta(microseconds=int(match[1])), KINDS.index(match[2]), int(match[3]))


START = Key(EPOCH, 0, 0)  # before every entry: "from the beginning"


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
    def key(self) -> Key:
        return Key(self.at, KINDS.index(self.kind), self.pk)


@dataclass
class Window:
    """Consecutive entries, oldest first, and whether older ones exist before the first."""

    entries: list[Entry]
    more: bool

    @property
    def first(self) -> Key | None:
        return self.entries[0].key if self.entries else None


def newest(conversation: Conversation, limit: int = PAGE) -> Window:
    return _window(conversation, limit)


def before(conversation: Conversation, key: Key, limit: int = PAGE) -> Window:
    return _window(conversation, limit, below=key)


def since(conversation: Conversation, key: Key) -> list[Entry] | None:
    """Every entry from `key` on, oldest first; None when more than LIVE_MAX are (start over from `newest`)."""
    window = _window(conversation, LIVE_MAX, at_least=key)
    return None if window.more else window.entries


def _rows(conversation: Conversation) -> list[tuple[str, str, QuerySet]]:
    """Each kind of entry: its name, its time field, and the conversation's rows of it."""
    business_id, line_id, contact = conversation.business_id, conversation.line_id, conversation.contact
    return [
        (CALL, "started_at", Call.objects.filter(business_id=business_id, line_id=line_id, contact_id=contact.pk)),
        (MESSAGE, "created_at", Message.objects.filter(conversation=conversation)),
        (CONSENT, "created_at", ConsentEvent.objects.filter(business_id=business_id, number=contact.number)),
        (EVENT, "at", ConversationEvent.objects.filter(conversation=conversation)),
    ]


def _window(conversation: Conversation, limit: int, *, below: Key | None = None, at_least: Key | None = None) -> Window:
    found = []
    for kind, time, rows in _rows(conversation):
        found += ENTRIES[kind](conversation, _bounded(rows, time, kind, below, at_least, limit + 1))
    found.sort(key=lambda entry: entry.key, reverse=True)
    return Window(found[:limit][::-1], more=len(found) > limit)


def _bounded(found: QuerySet, time: str, kind: str, below: Key | None, at_least: Key | None, rows: int) -> QuerySet:
    """`found`'s newest `rows` rows with a key below `below` and at least `at_least`.

    Rows of one kind share a rank, so the key comparison is (time, id) against the bound's time and,
    at the same time, its rank and id; the plain time bound comes first so the (…, time) index serves it."""
    rank = KINDS.index(kind)
    if below is not None:
        found = found.filter(**{f"{time}__lte": below.at})
        if rank > below.rank:
            found = found.filter(**{f"{time}__lt": below.at})
        elif rank == below.rank:
            found = found.filter(Q(**{f"{time}__lt": below.at}) | Q(pk__lt=below.pk))
    if at_least is not None:
        found = found.filter(**{f"{time}__gte": at_least.at})
        if rank < at_least.rank:
            found = found.filter(**{f"{time}__gt": at_least.at})
        elif rank == at_least.rank:
            found = found.filter(Q(**{f"{time}__gt": at_least.at}) | Q(pk__gte=at_least.pk))
    return found.order_by(f"-{time}", "-pk")[:rows]


def _messages(conversation: Conversation, rows: QuerySet) -> list[Entry]:
    history = Prefetch("status_events", queryset=MessageStatusEvent.objects.order_by("at", "pk"))
    messages = rows.select_related("sent_by").prefetch_related(history)
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
    return {"who": who, "status": _status_words(message), "media": media}


def _status_words(message: Message) -> str:
    """The status in words; a text that was never sent says why (a follow-up the rules skipped, a reply…)."""
    words = STATUSES.get(message.status, message.status)
    if message.purpose == Message.FOLLOWUP and message.status == MessageStatus.SUPPRESSED:
        words = "Skipped"
    if message.status in MessageStatus.NOT_SENT and message.error_message:
        return f"{words}: {message.error_message}"
    return words


def _calls(conversation: Conversation, calls: QuerySet) -> list[Entry]:
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


def _consent(conversation: Conversation, events: QuerySet) -> list[Entry]:
    return [Entry(CONSENT, e.created_at, e.pk, e, text=_consent_words(e), css=e.kind) for e in events]


def _consent_words(event: ConsentEvent) -> str:
    words = CONSENT_WORDS.get(event.kind, event.get_kind_display())
    if event.keyword:
        return f"{words} ({event.keyword})"
    if event.source == ConsentEvent.PROVIDER:
        return f"{words} (reported by the carrier)"
    return words


def _events(conversation: Conversation, events: QuerySet) -> list[Entry]:
    events = events.select_related("actor", "subject")
    return [Entry(EVENT, e.at, e.pk, e, text=describe(e), css=e.kind) for e in events]


ENTRIES = {CALL: _calls, MESSAGE: _messages, CONSENT: _consent, EVENT: _events}  # rows of each kind as entries


def _name(user) -> str:
    return display_name(user) if user is not None else "Someone"


def describe(event: ConversationEvent) -> str:
    """What a staff event means, as a sentence (a note's text is shown as it is, beside this)."""
    actor = _name(event.actor)
    kind = event.kind
    if kind == ConversationEvent.NOTE:
        return f"Internal note by {actor}"
    if kind == ConversationEvent.ASSIGNED and event.actor_id is None and event.body == ROUTED_TO_OWNER:
        return f"Assigned to {_name(event.subject)}, the caller's owner"
    if kind == AUTOMATION_PAUSED:
        return f"Automatic texts paused: {event.body}"
    if kind == AUTOMATION_RESUMED:
        return f"{actor} resumed automatic texts to this caller"
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
    if kind == "followups_canceled":  # rules/actions.py
        return f"{actor} canceled the pending follow-ups ({event.body})"
    if kind in RULE_EVENTS:
        return event.body
    if kind == ConversationEvent.AUTOMATION_CANCELED:
        return f"Automation canceled: {event.body or 'pending automatic texts'} not sent because {actor} replied"
    if kind == "opt_out_confirmed":  # messaging/revocations.py
        return (
            f"{actor} confirmed an opt-out: \u201c{event.body}\u201d" if event.body else f"{actor} confirmed an opt-out"
        )
    if kind == "opt_out_dismissed":
        return f"{actor} decided \u201c{event.body}\u201d was not an opt-out; automatic texts resumed"
    if kind == "erased":  # messaging/records.py
        return f"{actor} erased the caller's data on request"
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
