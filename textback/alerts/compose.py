"""What an alert says: the staff text (at most 2 segments), the email, and the webhook bodies.

Staff texts keep to the GSM-7 alphabet of our own words (" - " and "...", not an em dash and an
ellipsis, which would make the whole text UCS-2 and halve what fits); the caller's words are
quoted as they came, shortened until the whole text fits in two segments.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from textback.lib import gsm7, phone
from textback.lib.text import normalise_sms_text

MAX_SEGMENTS = 2
REPLY, MISSED_CALL, SLA, TEST = "reply", "missed_call", "sla", "test"  # as Alert.EVENTS
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Event:
    """One thing staff are alerted to, with what every channel needs to describe it."""

    kind: str  # Alert.REPLY, MISSED_CALL, SLA or TEST
    business: object
    line: object = None
    contact: object = None
    conversation_id: int | None = None
    text: str = ""  # the caller's words (a reply, or the message left waiting)
    call: object = None
    waited_minutes: int = 0
    at: datetime | None = None
    count: int = 1  # a reply alert that reports several texts (the latest is `text`)


def who(contact) -> str:
    """'Jane (512) 555-0147', or just the number, as staff read it."""
    if contact is None:
        return "an unknown number"
    # An erased contact's number is a hash: pretty() names it "Erased number", never shows the hash.
    readable = phone.is_e164(contact.number) or contact.number.startswith(phone.ERASED)
    number = phone.pretty(contact.number) if readable else contact.number
    return f"{contact.name} {number}" if contact.name else number


def _addressee(contact) -> str:
    return contact.first_name if contact is not None and contact.first_name else "them"


def conversation_url(business, conversation_id: int | None) -> str:
    if not conversation_id:
        return f"{settings.PUBLIC_URL}{reverse('business', args=[business.slug])}"
    return f"{settings.PUBLIC_URL}{reverse('conversation', args=[business.slug, conversation_id])}"


def _flat(text: str) -> str:
    return _SPACES.sub(" ", normalise_sms_text(text or "")).strip()


def fit(head: str, quoted: str, tail: str, segments: int = MAX_SEGMENTS) -> str:
    """head + the quoted words + tail, the quote shortened (ending in '...') until it fits in `segments`."""
    words = _flat(quoted)
    text = f'{head}"{words}"{tail}'
    if gsm7.shape(text).segments <= segments:
        return text
    keep = min(len(words), 300)
    while keep > 0:
        text = f'{head}"{words[:keep].rstrip()}..."{tail}'
        if gsm7.shape(text).segments <= segments:
            return text
        keep -= 4
    return f"{head.rstrip(': ')}{tail}"


def _call_words(call) -> str:
    if call is None:
        return ""
    if call.voicemail:
        return "they left a voicemail"
    return {"busy": "the line was busy", "caller_hung_up": "they hung up while it rang"}.get(call.outcome, "")


def staff_text(event: Event, code: str = "") -> str:
    """The alert as a text to a staff phone; with a #code, replying to it answers the caller."""
    hint = f" - reply to this text to answer {_addressee(event.contact)}. #{code}" if code else ""
    if event.kind == "reply":
        return fit(f"{_new_texts(event)} from {who(event.contact)}: ", event.text, hint or ".")
    if event.kind == "sla":
        head = f"{who(event.contact)} has waited {event.waited_minutes} min for an answer: "
        return fit(head, event.text, hint or ".")
    if event.kind == "missed_call":
        words = _call_words(event.call)
        text = f"Missed call from {who(event.contact)} on {phone.pretty(event.line.number)}"
        text += f" ({words})" if words else ""
        return text + (f" - reply to this text to text {_addressee(event.contact)}. #{code}" if code else ".")
    return f"Test alert from textback for {event.business.name}: alerts reach this phone."


def _new_texts(event: Event) -> str:
    return "New text" if event.count <= 1 else f"{event.count} new texts"


def subject(event: Event) -> str:
    return {
        "reply": f"{_new_texts(event)} from {who(event.contact)}",
        "sla": f"{who(event.contact)} is waiting for an answer ({event.waited_minutes} min)",
        "missed_call": f"Missed call from {who(event.contact)}",
    }.get(event.kind, f"Test alert from textback for {event.business.name}")


def email_body(event: Event) -> str:
    url = conversation_url(event.business, event.conversation_id)
    lines = {
        "reply": [
            f"{who(event.contact)} texted {event.business.name}"
            + (":" if event.count <= 1 else f" {event.count} times; the latest:"),
            "",
            f"    {event.text}",
        ],
        "sla": [
            f"{who(event.contact)} has waited {event.waited_minutes} minutes of opening time for an answer:",
            "",
            f"    {event.text}",
        ],
        "missed_call": [
            f"{who(event.contact)} called {phone.pretty(event.line.number) if event.line else event.business.name}"
            " and nobody answered" + (f" ({_call_words(event.call)})." if _call_words(event.call) else ".")
        ],
    }.get(event.kind, ["This is a test alert from textback: alerts reach this address."])
    return "\n".join([*lines, "", f"Answer it: {url}", "", "-- textback (change your alerts in your settings)"])


def _slack_escaped(text: str) -> str:
    """Slack reads &, < and > as markup (<!channel> pings everyone): a caller's words must not be."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _summary(event: Event) -> str:
    if event.kind == TEST:
        return f"Test alert from textback for {event.business.name}: alerts reach this webhook."
    return staff_text(event)


def slack_payload(event: Event) -> dict:
    if event.kind == TEST:
        return {"text": _slack_escaped(_summary(event))}
    url = conversation_url(event.business, event.conversation_id)
    return {"text": f"{_slack_escaped(_summary(event).removesuffix('.'))} <{url}|Open in textback>"}


def generic_payload(event: Event, alert_ref: str) -> dict:
    """The signed JSON body: the event, as of the moment it happened."""
    contact = event.contact
    body = {
        "event": event.kind,
        "id": alert_ref,
        "created_at": (event.at or timezone.now()).astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "business": {"slug": event.business.slug, "name": event.business.name},
        "line": {"number": event.line.number, "label": event.line.label} if event.line else None,
        "contact": {"number": contact.number, "name": contact.name} if contact else None,
        "conversation": (
            {"id": event.conversation_id, "url": conversation_url(event.business, event.conversation_id)}
            if event.conversation_id
            else None
        ),
        "summary": _summary(event),
    }
    if event.kind in ("reply", "sla"):
        body["message"] = {"body": event.text}
    if event.kind == "sla":
        body["waited_minutes"] = event.waited_minutes
    if event.kind == "missed_call" and event.call is not None:
        body["call"] = {"id": event.call.pk, "outcome": event.call.outcome, "voicemail": event.call.voicemail}
    return body


# --- the morning digest: several callers whose waits breached at the same moment (opening time) -----------


@dataclass(frozen=True)
class Waiting:
    """One caller in a digest of callers left waiting."""

    contact: object
    conversation_id: int
    text: str  # their oldest unanswered words
    since: datetime


def clock(at: datetime, time_zone: str) -> str:
    """'7:10 am' on the business's clock."""
    local = at.astimezone(ZoneInfo(time_zone))
    return f"{local.hour % 12 or 12}:{local.minute:02d} {'am' if local.hour < 12 else 'pm'}"


def since_words(oldest: datetime, now: datetime, time_zone: str) -> str:
    """'since 7:10 am', 'since last night', 'since yesterday', 'since Friday' or 'since Mar 3', on the
    business's clock."""
    zone = ZoneInfo(time_zone)
    then, today = oldest.astimezone(zone), now.astimezone(zone).date()
    days = (today - then.date()).days
    if days <= 0:
        return f"since {clock(then, time_zone)}"
    if days == 1:
        return "since last night" if then.hour >= 17 else "since yesterday"
    if days < 7:
        return f"since {then:%A}"
    return f"since {then:%b} {then.day}"


def digest_text(waiting: list[Waiting], when: str) -> str:
    """'4 callers waiting for an answer since last night: Jane (512) 555-0147, (512) 555-0148 and 2 more.
    Answer them in textback.', within two segments."""
    head, tail = f"{len(waiting)} callers waiting for an answer {when}: ", ". Answer them in textback."
    names = [who(w.contact) for w in waiting]
    for shown in range(len(names), 0, -1):
        more = len(names) - shown
        text = head + ", ".join(names[:shown]) + (f" and {more} more" if more else "") + tail
        if gsm7.shape(text).segments <= MAX_SEGMENTS:
            return text
    return f"{len(waiting)} callers waiting for an answer {when}. Answer them in textback."


def digest_subject(waiting: list[Waiting], when: str) -> str:
    return f"{len(waiting)} callers are waiting for an answer {when}"


def digest_email_body(business, waiting: list[Waiting], when: str, minutes: int) -> str:
    lines = [f"{len(waiting)} callers have waited {minutes} minutes of opening time or more for an answer from "
             f"{business.name}; the first has waited {when}:", ""]  # fmt: skip
    for w in waiting:
        lines += [f'  - {who(w.contact)}: "{_flat(w.text)}"', f"    {conversation_url(business, w.conversation_id)}"]
    return "\n".join([*lines, "", "-- textback (change your alerts in your settings)"])
