"""A business's keyword routes (stored, with defaults) and what a caller's reply that takes one does.

`on_caller_reply` runs from do_inbound_sms, in its transaction, for a reply that is not STOP, START or
HELP, after staff were alerted to it: the emergency route pages the on-call person (paging.py), the
booking route texts the business's booking link, or, with no link set, puts a line on the timeline
asking staff to answer (they were alerted to the reply already).
"""

from django.utils import timezone

from textback.messaging import actions as messaging
from textback.messaging import contacts
from textback.messaging import keywords as carrier
from textback.messaging.models import ConversationEvent, Message
from textback.rules import keywords, paging
from textback.rules.models import KeywordRoute, OnCallPolicy

BOOKING_LINK = "booking_link"  # the Message purpose of the BOOK reply
BOOK_NO_LINK = "book_no_link"  # a ConversationEvent kind
ESCALATE_MAX = 120


class Invalid(ValueError):
    """A route or policy that cannot be saved, and why (for a form field or the CLI)."""


def routes_of(business) -> list[keywords.Route]:
    """The business's routes: its saved ones, the defaults for the others."""
    saved = {r.action: r for r in KeywordRoute.objects.filter(business=business)}
    routes = []
    for action in keywords.ACTIONS:
        row = saved.get(action)
        if row is None:
            routes.append(keywords.Route(action, keywords.DEFAULT_WORDS[action]))
        else:
            routes.append(keywords.Route(action, keywords.parse_words(row.words), row.active))
    return routes


def check_words(text: str) -> tuple[str, ...]:
    words = keywords.parse_words(text)
    if not words:
        raise Invalid("Give at least one word or phrase (switch the route off instead to stop it).")
    if len(words) > keywords.MAX_WORDS:
        raise Invalid(f"At most {keywords.MAX_WORDS} words or phrases.")
    too_long = [w for w in words if len(w) > keywords.MAX_WORD_LENGTH]
    if too_long:
        raise Invalid(f"“{too_long[0][:50]}” is longer than {keywords.MAX_WORD_LENGTH} characters.")
    clashing = [w for w in words if w.upper() in carrier.KEYWORDS]
    if clashing:
        raise Invalid(f"“{clashing[0]}” is a carrier keyword (STOP, START, HELP…): it can never be a route.")
    return words


def do_set_route(business, action: str, *, words: tuple[str, ...] | None = None, active: bool | None = None):
    """Save a route's words and/or whether it is on (the words as checked by check_words)."""
    current = {r.action: r for r in routes_of(business)}[action]
    KeywordRoute.objects.update_or_create(
        business=business, action=action,
        defaults={"words": "\n".join(words if words is not None else current.words),
                  "active": current.active if active is None else active},
    )  # fmt: skip


def do_reset_route(business, action: str) -> None:
    KeywordRoute.objects.filter(business=business, action=action).delete()


def check_escalate_minutes(minutes: int) -> int:
    if not 1 <= minutes <= ESCALATE_MAX:
        raise Invalid(f"Give whole minutes from 1 to {ESCALATE_MAX}.")
    return minutes


def do_set_escalate_minutes(business, minutes: int) -> None:
    OnCallPolicy.objects.update_or_create(business=business, defaults={"escalate_minutes": minutes})


def on_caller_reply(message: Message) -> keywords.Match | None:
    """Take the route the caller's reply asks for, if any (inside the transaction that recorded it)."""
    if contacts.exclusion_for(message.business, message.contact.number):
        # A number on the do-not-text list is staff, a supplier or family: their "it's urgent" is not a
        # customer's emergency, so nobody is paged and nothing automatic answers them (no "we have paged…",
        # no booking link). The text stays in the inbox, and staff were alerted to it like any reply.
        return None
    found = keywords.match(message.body, routes_of(message.business))
    if found is None:
        return None
    if found.action == keywords.PAGE:
        paging.do_page(message, found.word)
    else:
        _book(message, found.word)
    return found


def _book(message: Message, word: str) -> None:
    business, contact, now = message.business, message.contact, timezone.now()
    if not business.booking_link:
        ConversationEvent.objects.create(
            business=business, conversation_id=message.conversation_id, kind=BOOK_NO_LINK, at=now,
            body=f"The caller asked to book (\u201c{word}\u201d) but no booking link is set (Business profile): "
                 "answer them yourself",
        )  # fmt: skip
        return
    if contact.automation_paused_at is not None:
        return
    messaging.queue_text(
        line=message.line, contact=contact, body=booking_text(business), purpose=BOOKING_LINK,
        key=f"{BOOKING_LINK}:{message.pk}", due_at=now, expires_at=now + messaging.REPLY_WINDOW,
    )  # fmt: skip


def booking_text(business) -> str:
    return f"{business.name}: book a visit online at {business.booking_link}"
