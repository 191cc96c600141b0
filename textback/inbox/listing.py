"""The inbox list's queries: which conversations a person sees, one page at a time (inbox/live.py has
what tells a poll whether the list changed).

Pages are keyset pages over (last_message_at, id), newest first, through the indexes
`conversation_latest` and `conversation_status_latest`: a deep page costs what the first one does.
A conversation with no message yet (last_message_at NULL) is not listed; every path that creates one
writes its first message in the same transaction.

Who sees what is accounts/access.py's one rule (`visible_conversations`): managers and owners every
line; an agent the lines they serve (every line when none is listed) **plus the conversations assigned
to them**, on any line: an assignment is a hand-over by a manager, and hiding it would leave the
agent's "Mine" list short.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone

from textback.accounts import access, alerting
from textback.accounts.models import Membership
from textback.inbox import search
from textback.lib import keyset, phone
from textback.lib.keyset import EPOCH, Cursor
from textback.messaging.models import Conversation, ConversationRead, Message

PAGE = 50
PREVIEW = 160  # characters of the last message read from the database
UNREAD_CAP = 99  # the tab title says "99+" beyond this; counting further costs time nobody needs
SHOWS = {"open": "Open", "unassigned": "Unassigned", "mine": "Mine", "all": "All"}
# The source tags, short ("MCT-Inbound"), and the outcome filter's choices ("none": no outcome set yet).
SOURCE_TAGS = {key: label.split(" (")[0] for key, label in Conversation.SOURCES}
NO_OUTCOME = "none"
OUTCOME_FILTERS = {**dict(Conversation.OUTCOMES), NO_OUTCOME: "No outcome"}


@dataclass(frozen=True)
class Query:
    show: str = "open"
    line_id: int | None = None
    q: str = ""
    source: str = ""  # one of SOURCE_TAGS, or "" for any
    outcome: str = ""  # one of OUTCOME_FILTERS, or "" for any
    before: Cursor | None = None


@dataclass
class Row:
    """One conversation as the list shows it."""

    pk: int
    caller: str
    number: str
    preview: str
    outbound: bool
    line: str
    assignee: str
    mine: bool
    status: str
    source: str  # the short source tag, e.g. "MCT-Inbound" ("" for a thread from before tags were kept)
    outcome: str
    last_at: datetime
    unread: bool
    waiting_since: datetime | None
    sla: str  # "", "ok", "amber" or "red"
    waited: str  # how long, e.g. "14m"
    alert: bool  # the viewer gets a browser notification when the caller writes here
    inbound_at: datetime | None

    @property
    def waiting_ms(self) -> int | None:
        return epoch_ms(self.waiting_since)

    @property
    def inbound_ms(self) -> int | None:
        return epoch_ms(self.inbound_at)


@dataclass
class Page:
    rows: list[Row]
    next: Cursor | None


def epoch_ms(at: datetime | None) -> int | None:
    return None if at is None else (at - EPOCH) // timedelta(milliseconds=1)


def describe_wait(waited: timedelta) -> str:
    """How long a caller has waited, short: "0m", "14m", "2h 05m", "3d 4h" (inbox.js says it the same way)."""
    minutes = max(int(waited.total_seconds() // 60), 0)
    if minutes < 60:
        return f"{minutes}m"
    if minutes < 24 * 60:
        return f"{minutes // 60}h {minutes % 60:02d}m"
    return f"{minutes // (24 * 60)}d {minutes // 60 % 24}h"


def sla_level(since: datetime | None, now: datetime, amber_minutes: int, red_minutes: int) -> str:
    """The SLA clock's colour: none when nobody owes an answer, red from `red_minutes`, amber from `amber_minutes`."""
    if since is None:
        return ""
    waited = now - since
    if waited >= timedelta(minutes=red_minutes):
        return "red"
    if waited >= timedelta(minutes=amber_minutes):
        return "amber"
    return "ok"


def visible(business, membership: Membership) -> QuerySet:
    """The conversations of the business this person may see (accounts/access.py has the rule)."""
    return access.visible_conversations(membership).filter(last_message_at__isnull=False)


def filtered(business, conversations: QuerySet, query: Query, user) -> QuerySet:
    if query.show in ("open", "unassigned", "mine"):
        conversations = conversations.filter(status=Conversation.OPEN)
    if query.show == "unassigned":
        conversations = conversations.filter(assignee__isnull=True)
    elif query.show == "mine":
        conversations = conversations.filter(assignee=user)
    if query.line_id is not None:
        conversations = conversations.filter(line_id=query.line_id)
    if query.source:
        conversations = conversations.filter(source=query.source)
    if query.outcome:
        conversations = conversations.filter(outcome="" if query.outcome == NO_OUTCOME else query.outcome)
    if query.q.strip():
        conversations = conversations.filter(search.matching(business, query.q))
    return conversations


def _with_row_facts(conversations: QuerySet, user) -> QuerySet:
    """The last message (trimmed, in the same statement) and the viewer's read mark, per row."""
    last = (
        Message.objects.filter(conversation_id=OuterRef("pk"))
        .order_by("-created_at", "-pk")
        .annotate(preview=Concat("direction", Value(":"), Substr("body", 1, PREVIEW)))
        .values("preview")[:1]
    )
    read = ConversationRead.objects.filter(conversation_id=OuterRef("pk"), user=user).values("read_at")[:1]
    return conversations.select_related("contact", "line", "assignee").annotate(
        last_preview=Subquery(last), read_at=Subquery(read)
    )


def is_unread(last_inbound_at: datetime | None, read_at: datetime | None) -> bool:
    """The caller wrote after the person last read the conversation."""
    return last_inbound_at is not None and (read_at is None or last_inbound_at > read_at)


def person(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def page(business, membership: Membership, query: Query, now: datetime | None = None) -> Page:
    """One page of the list, newest activity first, with what each row shows."""
    now = now or timezone.now()
    user = membership.user
    conversations = filtered(business, visible(business, membership), query, user)
    found, after = keyset.page(_with_row_facts(conversations, user), "last_message_at", query.before, PAGE)
    alerts = _alert_rule(business, membership, now)
    return Page([_row(c, business, user, now, alerts) for c in found], after)


def _alert_rule(business, membership: Membership, now: datetime):
    """A per-row check of whether the viewer gets a browser notification (one query for their lines)."""
    if not alerting.wants(membership, alerting.BROWSER, alerting.REPLY, now):
        return lambda conversation: False
    line_ids = access.served_line_ids(membership)
    user_id = membership.user_id

    def alerted(conversation) -> bool:
        # An assignee who has left the business loses the membership and the assignment is moot:
        # the line's staff are alerted then. Here, any assignee other than the viewer counts; the
        # few rows whose assignee has left miss a browser notification, never get a wrong one.
        return alerting.is_responsible(
            user_id,
            line_ids,
            assignee_id=conversation.assignee_id,
            assignee_is_member=True,
            line_id=conversation.line_id,
        )

    return alerted


def _row(c: Conversation, business, user, now: datetime, alerted) -> Row:
    direction, _, text = (c.last_preview or "").partition(":")
    waiting = c.awaiting_since if c.status == Conversation.OPEN else None
    return Row(
        pk=c.pk,
        caller=c.contact.name or phone.pretty(c.contact.number),
        number=phone.pretty(c.contact.number),
        preview=" ".join(text.split()),
        outbound=direction == Message.OUT,
        line=c.line.label or phone.pretty(c.line.number),
        assignee=person(c.assignee),
        mine=c.assignee_id == user.pk,
        status=c.status,
        source=SOURCE_TAGS.get(c.source, ""),
        outcome=c.get_outcome_display() if c.outcome else "",
        last_at=c.last_message_at,
        unread=is_unread(c.last_inbound_at, c.read_at),
        waiting_since=waiting,
        sla=sla_level(waiting, now, business.sla_amber_minutes, business.sla_red_minutes),
        waited=describe_wait(now - waiting) if waiting else "",
        alert=alerted(c),
        inbound_at=c.last_inbound_at,
    )


def unread_count(business, membership: Membership) -> int:
    """Open conversations the person may see where the caller wrote after their read mark, up to UNREAD_CAP + 1."""
    read_since = ConversationRead.objects.filter(
        conversation_id=OuterRef("pk"), user_id=membership.user_id, read_at__gte=OuterRef("last_inbound_at")
    )
    unread = visible(business, membership).filter(status=Conversation.OPEN, last_inbound_at__isnull=False)
    return len(unread.filter(~Exists(read_since)).values("pk")[: UNREAD_CAP + 1])
