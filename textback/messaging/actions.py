"""Every change to contacts, messages and consent goes through a do_* function here.

Callers hold the transaction: these functions are meant to run inside the same
`transaction.atomic()` as the webhook or decision that caused them, so a text
and its cause are written together or not at all.
"""

import functools
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from textback.accounts import alerting, staff_numbers
from textback.accounts.models import AutoTextTally
from textback.alerts import hooks as alerts
from textback.lib import gsm7, phone, sql
from textback.lib.text import normalise_sms_text
from textback.messaging import autoresponders, keywords, records, templating
from textback.messaging.models import (
    ConsentEvent,
    Contact,
    Conversation,
    ConversationEvent,
    Message,
    MessageStatus,
    MessageStatusEvent,
)
from textback.outbox import wake
from textback.outbox.models import OutboxItem
from textback.rules import hooks as rules

MAX_BODY = templating.MAX_TEXT  # Twilio's cap on Body
BORDERLINE_WHY = "Possible opt-out: "  # how a pause for staff to confirm an opt-out begins (revocations.py)
REPLY_WINDOW = timedelta(minutes=5)  # confirmations sent within 5 minutes are presumed expected (47 CFR 64.1200(a)(12))
# An instruction to opt out, not just the word ("When can we stop by?" does not tell anyone how to stop).
_OPT_OUT_INSTRUCTION = re.compile(
    r"\b(reply|text|txt|send|respond)( with)?\s+[\"']?stop\b|\bstop\s+to\s+(opt|unsubscribe|end|cancel|quit)",
    re.IGNORECASE,
)
# Responses to the recipient's own request may reach a number that has opted out.
ALLOWED_WHEN_OPTED_OUT = frozenset({Message.OPT_OUT_CONFIRMATION, Message.HELP})
# A number on the do-not-text list (staff, suppliers, family) gets no automatic text of any purpose, now or
# added later (a booking link, "we have paged…"): only a person's reply and the answers the carrier rules
# require to the number's own STOP, START or HELP.
ALLOWED_WHEN_EXCLUDED = frozenset(
    {Message.REPLY, Message.OPT_OUT_CONFIRMATION, Message.OPT_IN_CONFIRMATION, Message.HELP}
)
NO_FIRST_TEXT_ADDITIONS = frozenset({Message.OPT_OUT_CONFIRMATION, Message.OPT_IN_CONFIRMATION})
NEVER_RECEIVED = (*MessageStatus.NOT_SENT, MessageStatus.FAILED, MessageStatus.UNDELIVERED)
NOT_COUNTED = (*MessageStatus.NOT_SENT, MessageStatus.FAILED)  # automatic texts the cool-down does not count


def find_or_create_contact(business, number: str) -> Contact:
    """The business's contact for a number, created on first sight.

    The row stays locked for the rest of the transaction (PostgreSQL: the upsert takes the row lock;
    SQLite: one writer at a time), so two requests about the same person (two STOPs, two missed
    calls) take turns: the second sees what the first did.
    """
    now = timezone.now()
    row = sql.insert(
        Contact,
        {"business_id": business.pk, "number": number, "name": "", "is_landline": False, "is_invalid": False,
         "tags": [], "automation_paused_at": None, "automation_paused_why": None, "created_at": now},
        conflict=("business", "number"),
        update=("number",),
        returning=("id", "name", "is_landline", "is_invalid", "owner_id", "automation_paused_at",
                   "automation_paused_why", "created_at"),
    )  # fmt: skip
    pk, name, landline, invalid, owner_id, paused_at, paused_why, created_at = row
    return sql.built(
        Contact,
        pk,
        {"business": business, "number": number, "name": name, "is_landline": sql.as_bool(landline),
         "is_invalid": sql.as_bool(invalid), "owner_id": owner_id, "automation_paused_at": sql.as_datetime(paused_at),
         "automation_paused_why": paused_why, "created_at": sql.as_datetime(created_at)},
    )  # fmt: skip


def contact_for(business, number: str) -> Contact:
    return find_or_create_contact(business, number)


def conversation_for(line, contact: Contact, *, touch: bool = False, source: str = "") -> int:
    """The id of the thread between a line and a contact, created on first sight with its `source` tag (how it
    began); `touch` marks it as having a message now (one statement either way)."""
    now = timezone.now()
    values = {"business_id": line.business_id, "line_id": line.pk, "contact_id": contact.pk,
              "status": Conversation.OPEN, "source": source, "last_message_at": now if touch else None, "outcome": "", "lost_reason": "",
              "created_at": now}  # fmt: skip
    update = ("last_message_at",) if touch else ("contact",)
    return sql.insert(Conversation, values, conflict=("line", "contact"), update=update)[0]


def _source_of(purpose: str, sender_kind: str, call) -> str:
    """The source tag of a thread begun by this outbound text."""
    if call is not None or purpose in Message.AUTOMATIC:
        return Conversation.MISSED_CALL
    return Conversation.STAFF_STARTED if sender_kind == Message.STAFF else ""


def owner_first_name(contact: Contact | None) -> str:
    """The first name of the caller's owner (their technician), for {staff} in automatic texts; '' when none."""
    owner = alerting.owner_of(contact) if contact is not None else None
    return owner.user.first_name if owner else ""


def route_to_owner(conversation_id: int, contact: Contact) -> bool:
    """A caller with an owner is the owner's: an unassigned conversation of theirs is assigned to the owner, with
    an event in its timeline, so the owner's "mine" filter and alerts have it. False when nothing changed."""
    if alerting.owner_of(contact) is None:
        return False
    if not Conversation.objects.filter(pk=conversation_id, assignee__isnull=True).update(assignee_id=contact.owner_id):
        return False
    ConversationEvent.objects.create(
        business_id=contact.business_id, conversation_id=conversation_id, kind=ConversationEvent.ASSIGNED,
        subject_id=contact.owner_id, body=ROUTED_TO_OWNER, at=timezone.now(),
    )  # fmt: skip
    return True


ROUTED_TO_OWNER = "owner"  # the body of an assignment automation made (timeline.describe)


@dataclass(frozen=True)
class CallerFacts:
    """What the business's records say about a number, read in one query for the text-back decision."""

    excluded: bool
    opted_out: bool
    own_number: bool
    last_auto_text_at: datetime | None
    has_received_texts: bool
    last_staff_reply_at: datetime | None = None
    followups_on: bool = False  # the business switched follow-ups on (rules/followups.py)
    texts_this_hour: int = 0  # the business's automatic texts in the caps' windows (textback/rules/caps.py)
    texts_today: int = 0


# The caps' counters: a window's rows (accounts.AutoTextTally.SLOTS at most), found by their unique key.
_TALLY = (
    "COALESCE((SELECT SUM(texts) FROM accounts_autotexttally WHERE business_id = %s AND period = %s "
    "AND starts_at = %s), 0)"
)


@functools.cache
def _facts_sql(vendor: str) -> str:
    never = ", ".join(["%s"] * len(NEVER_RECEIVED))
    not_sent = ", ".join(["%s"] * len(NOT_COUNTED))
    return f"""SELECT
        EXISTS (SELECT 1 FROM messaging_excludednumber WHERE business_id = %s AND number = %s),
        (SELECT kind FROM messaging_consentevent WHERE business_id = %s AND number = %s AND kind IN (%s, %s)
            ORDER BY created_at DESC, id DESC LIMIT 1),
        {staff_numbers.own_number_sql(vendor)},
        (SELECT MAX(created_at) FROM messaging_message WHERE business_id = %s AND contact_id = %s
            AND direction = 'out' AND purpose IN (%s, %s) AND status NOT IN ({not_sent})),
        EXISTS (SELECT 1 FROM messaging_message WHERE business_id = %s AND contact_id = %s
            AND direction = 'out' AND status NOT IN ({never})),
        (SELECT MAX(created_at) FROM messaging_message WHERE business_id = %s AND contact_id = %s
            AND purpose = %s AND sender_kind = %s),
        EXISTS (SELECT 1 FROM rules_followupplan WHERE business_id = %s AND enabled),
        EXISTS (SELECT 1 FROM messaging_suppression WHERE business_id = %s AND number_hash = %s),
        {_TALLY}, {_TALLY}"""


def caller_facts(business, contact: Contact, windows=None) -> CallerFacts:
    """The exclusion list, the consent ledger (by number: it outlives any contact row; an erased contact's
    opt-out by its hash, records.py), whether the number is
    the business's own (accounts/staff_numbers.py: its lines, the phones they ring, its people's phones), the
    contact's automatic texts, the last answer a person sent them, and the business's automatic texts in the
    caps' `windows` (rules/caps.Windows; None: not counted), in one round trip."""
    b, n, c = business.pk, contact.number, contact.pk
    adapt = connection.ops.adapt_datetimefield_value
    hour, day = (adapt(windows.hour), adapt(windows.day)) if windows else (None, None)
    args = [b, n, b, n, ConsentEvent.OPT_OUT, ConsentEvent.OPT_IN, *staff_numbers.own_number_args(b, n),
            b, c, *Message.AUTOMATIC, *NOT_COUNTED, b, c, *NEVER_RECEIVED, b, c, Message.REPLY, Message.STAFF, b,
            b, records.number_hash(n), b, AutoTextTally.HOUR, hour, b, AutoTextTally.DAY, day]  # fmt: skip
    row = sql.fetchone(_facts_sql(connection.vendor), args)
    excluded, consent, own, last_auto, received, last_staff, followups_on, suppressed, this_hour, today = row
    return CallerFacts(
        excluded=sql.as_bool(excluded),
        opted_out=consent == ConsentEvent.OPT_OUT or (consent is None and sql.as_bool(suppressed)),
        own_number=sql.as_bool(own),
        last_auto_text_at=sql.as_datetime(last_auto),
        has_received_texts=sql.as_bool(received),
        last_staff_reply_at=sql.as_datetime(last_staff),
        followups_on=sql.as_bool(followups_on),
        texts_this_hour=int(this_hour),
        texts_today=int(today),
    )


def consent_state(business, number: str) -> str | None:
    """The latest opt-out or opt-in in the ledger for this number (None: never either)."""
    return (
        ConsentEvent.objects.filter(
            business=business, number=number, kind__in=[ConsentEvent.OPT_OUT, ConsentEvent.OPT_IN]
        )
        .order_by("-created_at", "-pk")
        .values_list("kind", flat=True)
        .first()
    )


def is_opted_out(business, number: str) -> bool:
    """Opted out in the ledger, or (never in it since) an erased contact's opt-out kept as a hash."""
    state = consent_state(business, number)
    return state == ConsentEvent.OPT_OUT or (state is None and records.is_suppressed(business.pk, number))


def opted_out_numbers(pairs: set[tuple[int, str]]) -> set[tuple[int, str]]:
    """Which of these (business id, number) pairs are opted out now."""
    return send_blocks(pairs)[0]


def send_blocks(pairs: set[tuple[int, str]]) -> tuple[set[tuple[int, str]], set[tuple[int, str]]]:
    """(the opted-out pairs, the pairs on their business's do-not-text list) among these (business id, number)
    pairs, in one statement for a batch: the ledger's latest opt-out or opt-in, an erased opt-out's hashed
    suppression entry (records.py) where the ledger no longer names the number, and the exclusion list."""
    if not pairs:
        return set(), set()
    businesses, numbers = sorted({b for b, _ in pairs}), sorted({n for _, n in pairs})
    hashed = {(business_id, records.number_hash(number)): (business_id, number) for business_id, number in pairs}
    hashes = sorted({h for _, h in hashed})
    b_in, n_in, h_in = sql.placeholders(businesses), sql.placeholders(numbers), sql.placeholders(hashes)
    rows = sql.fetchall(
        f"SELECT 'consent', business_id, number, kind, created_at, id FROM messaging_consentevent "
        f"WHERE business_id IN ({b_in}) AND number IN ({n_in}) AND kind IN (%s, %s) "
        f"UNION ALL SELECT 'excluded', business_id, number, '', NULL, NULL FROM messaging_excludednumber "
        f"WHERE business_id IN ({b_in}) AND number IN ({n_in}) "
        f"UNION ALL SELECT 'suppressed', business_id, number_hash, '', NULL, NULL FROM messaging_suppression "
        f"WHERE business_id IN ({b_in}) AND number_hash IN ({h_in}) "
        "ORDER BY 5, 6",
        [*businesses, *numbers, ConsentEvent.OPT_OUT, ConsentEvent.OPT_IN, *businesses, *numbers, *businesses, *hashes],
    )
    latest, excluded, suppressed = {}, set(), set()
    for source, business_id, number, kind, _, _ in rows:
        if source == "consent":
            latest[(business_id, number)] = kind  # oldest first: the last one written wins
        elif source == "excluded":
            excluded.add((business_id, number))
        elif (business_id, number) in hashed:
            suppressed.add(hashed[(business_id, number)])
    opted_out = {pair for pair in pairs if latest.get(pair, ConsentEvent.OPT_OUT if pair in suppressed else None)
                 == ConsentEvent.OPT_OUT}  # fmt: skip
    return opted_out, excluded & pairs


OPT_OUT_LINE = "Reply STOP to opt out."


def has_received_texts(business, contact: Contact) -> bool:
    return (
        Message.objects.filter(business=business, contact=contact, direction=Message.OUT)
        .exclude(status__in=NEVER_RECEIVED)
        .exists()
    )


def with_first_text_additions(
    business, contact: Contact, body: str, limit: int = MAX_BODY, *, first_text: bool | None = None
) -> str:
    """Name the sender and say how to stop on the first text a contact ever gets from this business.

    The body is shortened if need be so the additions always fit within `limit`. `first_text`
    says whether it is the first, when the caller knows; None means look it up.
    """
    if first_text is False or (first_text is None and has_received_texts(business, contact)):
        return body[:limit]
    names_us = re.search(rf"(?<!\w){re.escape(business.name)}(?!\w)", body, re.IGNORECASE)
    prefix = "" if names_us else f"{business.name}: "
    suffix = "" if _OPT_OUT_INSTRUCTION.search(body) else f" {OPT_OUT_LINE}"
    return prefix + body[: max(limit - len(prefix) - len(suffix), 0)] + suffix


def queue_text(
    *,
    line,
    contact: Contact,
    body: str,
    purpose: str,
    key: str,
    due_at: datetime,
    expires_at: datetime | None,
    sender_kind: str = Message.SYSTEM,
    call=None,
    user=None,
    first_text: bool | None = None,
    kind: str = OutboxItem.SMS,
    payload: dict | None = None,
    conversation_id: int | None = None,
) -> Message:
    """Write an outbound text and its outbox row; the worker sends it at due_at.

    `first_text`: whether the contact has never received a text from this business, when the caller
    already knows (the text-back decision read it); None looks it up. `kind`: the outbox row's job, when
    something must be checked before it becomes a text (a follow-up); `conversation_id`, when known.
    """
    business = line.business
    body = normalise_sms_text(body).strip()
    if purpose in NO_FIRST_TEXT_ADDITIONS:
        body = body[:MAX_BODY]
    else:
        body = with_first_text_additions(business, contact, body, first_text=first_text)
    shape = gsm7.shape(body)
    now = timezone.now()
    values = {
        "business": business,
        "conversation_id": conversation_id or conversation_for(line, contact, touch=True, source=_source_of(purpose, sender_kind, call)),
        "contact": contact,
        "line": line, "call": call, "direction": Message.OUT, "sender_kind": sender_kind, "sent_by": user,
        "purpose": purpose, "body": body, "media": [], "encoding": shape.encoding, "units": shape.units,
        "segments": shape.segments, "status": MessageStatus.SCHEDULED, "status_at": now,
        "provider": line.account.provider, "provider_message_id": None, "error_code": "", "error_message": "",
        "ref": uuid.uuid4(), "created_at": now, "sent_at": None,
    }  # fmt: skip
    (message_id,) = sql.insert(Message, values)
    sql.insert(
        OutboxItem,
        {"business_id": business.pk, "kind": kind, "lane": OutboxItem.TEXTS, "endpoint": "",
         "idempotency_key": key, "message_id": message_id,
         "payload": payload or {}, "status": OutboxItem.PENDING, "due_at": due_at, "expires_at": expires_at, "attempts": 0,
         "lease_until": None, "claimed_by": "", "last_attempt_at": None, "last_error": "", "result": "",
         "created_at": now, "finished_at": None},
        returning=(),
    )  # fmt: skip
    wake.after_commit(due_at)
    return sql.built(Message, message_id, values)


def cancel_pending(business, contact: Contact, *, purposes=None, keep=(), why: str) -> int:
    """Cancel texts to this contact that no worker has started handing over. Returns how many."""
    pending = Message.objects.filter(business=business, contact=contact, status=MessageStatus.SCHEDULED)
    if purposes is not None:
        pending = pending.filter(purpose__in=purposes)
    if keep:
        pending = pending.exclude(purpose__in=keep)
    # Locked, so a worker that has just marked one as being handed over is seen as such (PostgreSQL
    # re-checks the status of a row it waited for); that one goes out, and is recorded as sent.
    ids = list(pending.select_for_update().values_list("pk", flat=True))
    if not ids:
        return 0
    now = timezone.now()
    OutboxItem.objects.filter(message_id__in=ids, status=OutboxItem.PENDING).update(
        status=OutboxItem.CANCELED, result=why, finished_at=now
    )
    Message.objects.filter(pk__in=ids).update(status=MessageStatus.CANCELED, status_at=now, error_message=why)
    MessageStatusEvent.objects.bulk_create(
        MessageStatusEvent(message_id=pk, status=MessageStatus.CANCELED, detail=why, at=now) for pk in ids
    )
    return len(ids)


def do_pause_automation(contact: Contact, why: str) -> int:
    """Stop automatic texts to this contact until a person resumes them (a borderline opt-out to confirm, an
    autoresponder answering ours…): pending ones are canceled in the caller's transaction. Returns how many."""
    now = timezone.now()
    Contact.objects.filter(pk=contact.pk).update(automation_paused_at=now, automation_paused_why=why[:200])
    contact.automation_paused_at, contact.automation_paused_why = now, why[:200]
    return cancel_pending(contact.business, contact, purposes=Message.AUTOMATIC, why=why[:200])


def do_resume_automation(contact: Contact) -> None:
    Contact.objects.filter(pk=contact.pk).update(automation_paused_at=None, automation_paused_why=None)
    contact.automation_paused_at = contact.automation_paused_why = None


def record_consent(business, number: str, kind: str, *, source: str, keyword: str = "", line=None, message=None):
    """Write to the consent ledger; an opt-out also stops the number's SLA clocks (in the same transaction)."""
    event = ConsentEvent.objects.create(
        business=business,
        number=number,
        kind=kind,
        source=source,
        keyword=keyword,
        line=line,
        message=message,
        created_at=timezone.now(),
    )
    if kind == ConsentEvent.OPT_OUT:
        stop_the_clock(business, number)
    elif kind == ConsentEvent.OPT_IN:
        records.do_lift_suppression(business.pk, number)
    return event


def stop_the_clock(business, number: str) -> None:
    """Someone who opted out is owed no answer: their conversations stop waiting for one, and the escalations
    those waits armed are canceled."""
    waiting = list(
        Conversation.objects.filter(
            business=business, contact__number=number, awaiting_since__isnull=False
        ).values_list("pk", flat=True)
    )
    if waiting:
        Conversation.objects.filter(pk__in=waiting).update(awaiting_since=None)
        alerts.on_clock_stopped(business, waiting, why="opted_out")


# --- inbound ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Inbound:
    line: object
    provider: str
    provider_message_id: str
    from_number: str
    body: str
    provider_type: str = ""  # Twilio Advanced Opt-Out's OptOutType
    media: list = field(default_factory=list)  # an MMS's files: [{"url": "https://…", "content_type": "image/jpeg"}]


def do_inbound_sms(inbound: Inbound) -> Message | None:
    """Record an inbound text and act on it: opt-out, opt-in and help first, else a reply in the thread.

    None when the provider's id for it is already taken: provider ids are unique, so that is a replay
    under another account (its own retries never get here: the webhook event log stops them)."""
    line, business = inbound.line, inbound.line.business
    if alerts.staff_phone_text(inbound):  # the SMS relay: a staff phone's text is never a customer's
        return None
    taken = Message.objects.filter(provider=inbound.provider, provider_message_id=inbound.provider_message_id)
    if inbound.provider_message_id and taken.exists():
        return None
    contact = find_or_create_contact(
        business, phone.facts(inbound.from_number, business.country).e164 or inbound.from_number[:64]
    )
    conversation_id = conversation_for(line, contact, source=Conversation.INBOUND_SMS)
    now = timezone.now()
    body = inbound.body[: MAX_BODY * 2]
    shape = gsm7.shape(body)
    message = Message.objects.create(
        business=business,
        conversation_id=conversation_id,
        contact=contact,
        line=line,
        direction=Message.IN,
        sender_kind=Message.CONTACT,
        purpose=Message.INBOUND,
        body=body,
        media=inbound.media[:10],
        encoding=shape.encoding,
        units=shape.units,
        segments=max(shape.segments, 1),
        status=MessageStatus.RECEIVED,
        status_at=now,
        provider=inbound.provider,
        provider_message_id=inbound.provider_message_id or None,
        created_at=now,
    )
    if contact.owner_id:
        route_to_owner(conversation_id, contact)
    keyword = keywords.classify(body, inbound.provider_type)
    handled = _act_on_keyword(keyword, line, contact, message) if keyword else False
    if not handled and autoresponders.check_autoresponder(message):
        handled = True  # a machine answering ours: automation paused, and nobody is alerted about it
    if handled:  # STOP, START and HELP are answered by us (or the carrier): nobody on staff owes an answer
        Conversation.objects.filter(pk=conversation_id).update(last_message_at=now, last_inbound_at=now)
    else:
        cancel_pending(business, contact, purposes=Message.AUTOMATIC, why="the contact replied")
        Conversation.objects.filter(pk=conversation_id).update(
            status=Conversation.OPEN,
            closed_at=None,
            last_message_at=now,
            last_inbound_at=now,
            awaiting_since=Coalesce(F("awaiting_since"), Value(now)),
        )
        alerts.on_caller_message(message)
        rules.on_caller_reply(message)
    return message


def _act_on_keyword(keyword: keywords.Keyword, line, contact: Contact, message: Message) -> bool:
    """Apply STOP/START/HELP. False when the word is just conversation (START from someone never opted out)."""
    business = line.business
    source = ConsentEvent.PHRASE if keyword.phrase else ConsentEvent.KEYWORD
    if keyword.kind == keywords.BORDERLINE:  # maybe "stop": nothing automatic until a person decides
        do_pause_automation(contact, f"{BORDERLINE_WHY}{keyword.word}")
        return False  # still a reply that a person owes an answer to
    if keyword.kind == keywords.OPT_OUT:
        _opt_out(line, contact, message, keyword.word, source)
    elif keyword.kind == keywords.OPT_IN:
        if not is_opted_out(business, contact.number):
            return False
        record_consent(
            business,
            contact.number,
            ConsentEvent.OPT_IN,
            source=source,
            keyword=keyword.word,
            line=line,
            message=message,
        )
        _reply(line, contact, message, Message.OPT_IN_CONFIRMATION, opt_in_text(business))
    else:
        record_consent(
            business, contact.number, ConsentEvent.HELP, source=source, keyword=keyword.word, line=line, message=message
        )
        # HELP is a reply too, so "did you still need a hand…" would be a nag: the follow-ups go. The text-back
        # on its way still goes (it answers the missed call, which HELP does not).
        cancel_pending(business, contact, purposes=[Message.FOLLOWUP], why="the contact replied")
        _reply(line, contact, message, Message.HELP, help_text(business, line), always=True)
    return True


def _opt_out(line, contact: Contact, message: Message, word: str, source: str) -> None:
    business = line.business
    already = is_opted_out(business, contact.number)
    record_consent(
        business, contact.number, ConsentEvent.OPT_OUT, source=source, keyword=word, line=line, message=message
    )
    cancel_pending(business, contact, keep=[Message.OPT_OUT_CONFIRMATION], why="the contact opted out")
    if (contact.automation_paused_why or "").startswith(BORDERLINE_WHY):
        do_resume_automation(contact)  # their clear opt-out answers the question staff were asked
    if not already:  # one confirmation per revocation; a carrier confirms its own keywords, never a phrase
        always = source == ConsentEvent.PHRASE
        _reply(line, contact, message, Message.OPT_OUT_CONFIRMATION, opt_out_text(business), always=always)


def _reply(line, contact: Contact, cause: Message, purpose: str, body: str, *, always: bool = False) -> None:
    """Answer a keyword ourselves, unless the line's provider already confirms it.

    HELP is `always` answered by us: a carrier's stock HELP reply does not name the business; so is an opt-out
    by phrase, which no carrier recognises.
    """
    if line.keyword_replies != line.OURS and not always:
        return
    now = timezone.now()
    queue_text(
        line=line,
        contact=contact,
        body=body,
        purpose=purpose,
        key=f"{purpose}:{cause.pk}",
        due_at=now,
        expires_at=now + REPLY_WINDOW,
    )


def opt_out_text(business) -> str:
    return f"{business.name}: You are unsubscribed and will get no more texts from us. Reply START to resubscribe."


def opt_in_text(business) -> str:
    return f"{business.name}: You are resubscribed. Reply HELP for help, STOP to opt out."


def help_text(business, line) -> str:
    reach = business.help_contact or f"call or text {phone.pretty(line.number)}"
    return f"{business.name}: for help, {reach}. Msg & data rates may apply. Reply STOP to opt out."


# --- delivery reports ------------------------------------------------------------------


@dataclass(frozen=True)
class StatusReport:
    provider: str
    provider_message_id: str
    status: str  # the provider's word
    ref: str = ""  # our reference, when the provider echoes it (Twilio: in the callback URL)
    error_code: str = ""
    consequence: str = ""  # "opted_out", "landline" or "invalid", from the provider's error table
    account_id: int | None = None  # only messages sent through this provider account may be touched


def find_message(report: StatusReport) -> Message | None:
    """The message a report is about, locked: two reports for one message apply one after the other."""
    qs = Message.objects.select_related("business", "contact", "line").select_for_update(of=("self",))
    if report.account_id is not None:
        qs = qs.filter(line__account_id=report.account_id)
    if report.provider_message_id:
        found = qs.filter(provider=report.provider, provider_message_id=report.provider_message_id).first()
        if found:
            return found
    ref = _as_uuid(report.ref)
    return qs.filter(ref=ref, provider=report.provider).first() if ref else None


def _as_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except (ValueError, TypeError):
        return None


def _corrects_us(message: Message, report: StatusReport, new: str) -> bool:
    """The provider proves it has a message we had written off (a lost attempt reached it after all):
    its word wins over our "failed", "expired" or "suppressed"."""
    never_heard_back = not message.provider_message_id  # so the provider never reported this one failed
    written_off = message.status in (*MessageStatus.NOT_SENT, MessageStatus.FAILED)
    return never_heard_back and written_off and new != MessageStatus.FAILED and bool(report.provider_message_id)


def do_message_status(report: StatusReport) -> Message | None:
    """Move a message forward (never backward) and learn from the error code, if any."""
    message = find_message(report)
    if message is None:
        return None
    now = timezone.now()
    new = MessageStatus.FROM_PROVIDER.get(report.status)
    applied = bool(new) and (MessageStatus.moves_forward(message.status, new) or _corrects_us(message, report, new))
    if not message.provider_message_id and report.provider_message_id:
        message.provider_message_id = report.provider_message_id  # a worker died before recording it
    MessageStatusEvent.objects.create(
        message=message, status=report.status, error_code=report.error_code, applied=applied, at=now
    )
    if applied:
        message.status, message.status_at = new, now
        message.error_code = report.error_code or message.error_code
        if new in (MessageStatus.SENT, MessageStatus.DELIVERED) and not message.sent_at:
            message.sent_at = now
    message.save(update_fields=["provider_message_id", "status", "status_at", "error_code", "sent_at"])
    if report.consequence:
        learn(message.business, message.contact, report.consequence, line=message.line)
    return message


def learn(business, contact: Contact, consequence: str, *, line=None) -> None:
    """What a provider error teaches us about a number: opted out, landline or invalid."""
    if consequence == "opted_out":
        if not is_opted_out(business, contact.number):
            record_consent(business, contact.number, ConsentEvent.OPT_OUT, source=ConsentEvent.PROVIDER, line=line)
    elif consequence == "landline":
        Contact.objects.filter(pk=contact.pk).update(is_landline=True)
    elif consequence == "invalid":
        Contact.objects.filter(pk=contact.pk).update(is_invalid=True)
