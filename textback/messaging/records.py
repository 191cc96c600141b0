"""Records a business can hand to a lawyer: the consent ledger as CSV, a contact's data as JSON, and erasure.

Erasure (GDPR art. 17, CCPA "delete") blanks what identifies the person: message bodies and pictures, the
name, the number (replaced by a keyed hash, lib/keyed_hash.py), notes, recordings, the alerts and provider
payloads about them. The rows stay, so the counts of past reports do not move. An opt-out stays enforceable:
the hash goes into Suppression, which the text-back decision and the send-time check read like the ledger.
"""

import csv
import functools
import re
from datetime import UTC, datetime

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from textback.lib import keyed_hash, phone, sql
from textback.messaging.models import (
    ConsentEvent,
    Contact,
    Conversation,
    ConversationEvent,
    Erasure,
    ExcludedNumber,
    Message,
    Suppression,
)
from textback.rules import hooks as rules

ERASED_PREFIX = phone.ERASED  # an erased contact's number: the prefix and the start of its hash
LEDGER_COLUMNS = ["when (UTC)", "number", "event", "source", "keyword or phrase", "line", "message id"]
_FORMULA = re.compile(r"^[=+\-@\t\r]")  # a spreadsheet would run a cell starting so
_PHONE = re.compile(r"^\+\d{4,15}$")


@functools.cache
def _key(secret: str) -> bytes:
    return keyed_hash.derive_key(secret)


def number_hash(number: str) -> str:
    return keyed_hash.number_hash(_key(settings.SECRET_KEY), number)


# --- suppression ------------------------------------------------------------------------------------------


def is_suppressed(business_id: int, number: str) -> bool:
    return Suppression.objects.filter(business_id=business_id, number_hash=number_hash(number)).exists()


def do_lift_suppression(business_id: int, number: str) -> None:
    """The person texted START: their erased opt-out no longer holds (the opt-in is in the ledger)."""
    Suppression.objects.filter(business_id=business_id, number_hash=number_hash(number)).delete()


# --- the consent ledger as CSV ----------------------------------------------------------------------------


def ledger(business, number: str | None = None):
    events = ConsentEvent.objects.filter(business=business).select_related("line").order_by("created_at", "pk")
    return events.filter(number=number) if number is not None else events


def safe_cell(value) -> str:
    """A cell a spreadsheet shows as text: a caller's "=HYPERLINK(…)" is not run (a phone number is kept)."""
    text = "" if value is None else str(value)
    return f"'{text}" if _FORMULA.match(text) and not _PHONE.match(text) else text


def write_ledger_csv(events, out) -> int:
    """Write the ledger rows to a text stream as CSV, oldest first. Returns how many rows."""
    writer = csv.writer(out)
    writer.writerow(LEDGER_COLUMNS)
    count = 0
    for event in events.iterator(chunk_size=2000):
        when = event.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        line = event.line.number if event.line_id else ""
        row = [when, event.number, event.get_kind_display(), event.source, event.keyword, line, event.message_id or ""]
        writer.writerow([safe_cell(cell) for cell in row])
        count += 1
    return count


# --- a contact's data as JSON -----------------------------------------------------------------------------


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def contact_export(contact: Contact) -> dict:
    """Everything the business holds about one contact, for a subject-access request (JSON-ready)."""
    business = contact.business
    conversations = Conversation.objects.filter(business=business, contact=contact).select_related("line")
    return {
        "business": business.name,
        "exported_at": _when(timezone.now()),
        "contact": {
            "number": contact.number,
            "name": contact.name,
            "tags": contact.tags,
            "landline": contact.is_landline,
            "first_seen": _when(contact.created_at),
        },  # fmt: skip
        "consent": [
            {"at": _when(e.created_at), "event": e.kind, "source": e.source, "keyword": e.keyword}
            for e in ledger(business, contact.number)
        ],
        "calls": [
            {
                "at": _when(c.started_at),
                "ended": _when(c.ended_at),
                "from": c.from_number,
                "to": c.to_number,
                "outcome": c.outcome,
                "voicemail": c.voicemail,
                "recording_url": c.recording_url,
            }
            for c in contact.calls.filter(business=business).order_by("started_at", "pk")
        ],  # fmt: skip
        "conversations": [_conversation_export(c) for c in conversations.order_by("created_at", "pk")],
    }


def _conversation_export(conversation: Conversation) -> dict:
    texts = conversation.messages.order_by("created_at", "pk")
    notes = conversation.events.filter(kind=ConversationEvent.NOTE)
    return {
        "line": conversation.line.number,
        "outcome": conversation.outcome,
        "texts": [
            {
                "at": _when(m.created_at),
                "direction": m.direction,
                "purpose": m.purpose,
                "body": m.body,
                "media": m.media,
                "status": m.status,
            }
            for m in texts
        ],  # fmt: skip
        "notes": [{"at": _when(n.at), "text": n.body} for n in notes],
    }


# --- erasure ----------------------------------------------------------------------------------------------


def is_erased(contact: Contact) -> bool:
    return contact.number.startswith(ERASED_PREFIX)


def do_erase_contact(contact: Contact, by) -> Erasure:
    """Erase a contact's personal data (call inside a transaction; the contact row is locked first)."""
    from textback.messaging.actions import cancel_pending, is_opted_out, stop_the_clock

    business = contact.business
    contact = Contact.objects.select_for_update().get(pk=contact.pk, business=business)
    contact.business = business
    number, hashed = contact.number, number_hash(contact.number)
    suppress = is_opted_out(business, number)
    cancel_pending(business, contact, why="the contact's data was erased")
    stop_the_clock(business, number)  # nobody can answer them now: no SLA wait, no escalation
    conversations = list(Conversation.objects.filter(business=business, contact=contact).values_list("pk", flat=True))
    calls = list(_calls_of(business, contact, number).values_list("pk", "provider_call_id"))
    # Before the alerts are blanked: a page still escalating would text the next person an empty page.
    rules.on_contact_erased(business, conversations)
    counts = {
        "messages": _erase_messages(business, contact),
        "calls": _erase_calls(business, [pk for pk, _ in calls], hashed),
        "notes": ConversationEvent.objects.filter(
            conversation_id__in=conversations, kind__in=[ConversationEvent.NOTE, ConversationEvent.CONTACT_NAMED]
        ).update(body="")
        + forget_caller_words(ConversationEvent.objects.filter(conversation_id__in=conversations)),
        "consent_events": _erase_ledger(business, number, hashed),
        "alerts": _erase_alerts(business, conversations, [pk for pk, _ in calls]),
        "provider_events": _erase_provider_events(business, contact, [sid for _, sid in calls]),
    }
    ExcludedNumber.objects.filter(business=business, number=number).delete()
    if suppress:
        sql.insert(Suppression, {"business_id": business.pk, "number_hash": hashed, "created_at": timezone.now()},
                   conflict=("business", "number_hash"), update=("created_at",), returning=())  # fmt: skip
    now = timezone.now()
    Contact.objects.filter(pk=contact.pk).update(
        number=f"{ERASED_PREFIX}{hashed[:40]}", name="", tags=[], owner=None,
        automation_paused_at=now, automation_paused_why="Erased on request",
    )  # fmt: skip
    ConversationEvent.objects.bulk_create(
        ConversationEvent(business=business, conversation_id=pk, kind=ERASED, actor=by, at=now) for pk in conversations
    )
    return Erasure.objects.create(
        business=business, contact=contact, number_hash=hashed, erased_by=by, counts=counts, suppressed=suppress, at=now
    )


ERASED = "erased"  # the ConversationEvent kind written on each of an erased contact's conversations


def forget_caller_words(events) -> int:
    """Blank the timeline events (a ConversationEvent queryset) whose body is the caller's words: the phrase
    staff confirmed or dismissed as an opt-out; and drop the caller's word an emergency page quotes. For
    erasure and for retention."""
    from textback.messaging.revocations import OPT_OUT_CONFIRMED, OPT_OUT_DISMISSED

    blanked = events.filter(kind__in=[OPT_OUT_CONFIRMED, OPT_OUT_DISMISSED]).exclude(body="").update(body="")
    return blanked + rules.forget_quoted_words(events)


def _calls_of(business, contact: Contact, number: str):
    from textback.calls.models import Call

    return Call.objects.filter(Q(contact=contact) | Q(from_number=number), business=business)


def _erase_messages(business, contact: Contact) -> int:
    return Message.objects.filter(business=business, contact=contact).update(body="", media=[])


def _erase_calls(business, call_ids: list[int], hashed: str) -> int:
    from textback.calls.models import Call

    return Call.objects.filter(business=business, pk__in=call_ids).update(
        from_number=f"{ERASED_PREFIX}{hashed[:32]}", caller_name="", recording_url=""
    )


def _erase_ledger(business, number: str, hashed: str) -> int:
    """The ledger is append-only for everyone else; erasure alone replaces the number by its hash and the
    words of a phrase (which may name the person) by a mark. Kinds, sources and times stay."""
    table = ConsentEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET number = %s, keyword = CASE WHEN source IN (%s, %s) THEN %s ELSE keyword END "
            "WHERE business_id = %s AND number = %s",
            [f"{ERASED_PREFIX}{hashed[:40]}", ConsentEvent.PHRASE, ConsentEvent.STAFF, "[erased]", business.pk, number],
        )
        return cursor.rowcount


def _erase_alerts(business, conversations: list[int], calls: list[int]) -> int:
    from textback.alerts import channels
    from textback.alerts.models import Alert

    about = Alert.objects.filter(Q(conversation_id__in=conversations) | Q(call_id__in=calls), business=business)
    # One not sent yet would go out blank, about nobody: it is taken back instead.
    for alert in about.filter(status__in=[Alert.QUEUED, Alert.RETRYING]):
        channels.cancel(alert, "erased", "the contact's data was erased")
    return about.update(body="", subject="", payload={})


def _erase_provider_events(business, contact: Contact, call_sids: list[str]) -> int:
    """The webhooks' raw payloads carry the number and the words: blank the ones about this person."""
    from textback.calls.models import WebhookEvent

    message_ids = Message.objects.filter(business=business, contact=contact, provider_message_id__isnull=False)
    keys = [*call_sids, *message_ids.values_list("provider_message_id", flat=True)]
    erased = 0
    for start in range(0, len(keys), 200):
        about = Q()
        for key in keys[start : start + 200]:
            about |= Q(key__contains=key)
        erased += WebhookEvent.objects.filter(about, business=business).update(payload={})
    return erased
