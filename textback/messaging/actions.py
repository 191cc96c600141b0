"""Every change to contacts, messages and consent goes through a do_* function here.

Callers hold the transaction: these functions are meant to run inside the same
`transaction.atomic()` as the webhook or decision that caused them, so a text
and its cause are written together or not at all.
"""

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from textback.lib import gsm7, phone
from textback.lib.text import normalise_sms_text
from textback.messaging import keywords
from textback.messaging.models import ConsentEvent, Contact, Conversation, Message, MessageStatus, MessageStatusEvent
from textback.outbox import wake
from textback.outbox.models import OutboxItem

MAX_BODY = 1600  # Twilio's cap on Body
REPLY_WINDOW = timedelta(minutes=5)  # confirmations sent within 5 minutes are presumed expected (47 CFR 64.1200(a)(12))
# An instruction to opt out, not just the word ("When can we stop by?" does not tell anyone how to stop).
_OPT_OUT_INSTRUCTION = re.compile(
    r"\b(reply|text|txt|send|respond)( with)?\s+[\"']?stop\b|\bstop\s+to\s+(opt|unsubscribe|end|cancel|quit)",
    re.IGNORECASE,
)
# Responses to the recipient's own request may reach a number that has opted out.
ALLOWED_WHEN_OPTED_OUT = frozenset({Message.OPT_OUT_CONFIRMATION, Message.HELP})
NO_FIRST_TEXT_ADDITIONS = frozenset({Message.OPT_OUT_CONFIRMATION, Message.OPT_IN_CONFIRMATION})


def find_or_create_contact(business, number: str) -> tuple[Contact, bool]:
    """The business's contact for a number, created on first sight; and whether it was just created.

    The row stays locked for the rest of the transaction, so two requests about the same
    person (two STOPs, two missed calls) take turns: the second sees what the first did.
    """
    contacts = Contact.objects.select_for_update() if connection.in_atomic_block else Contact.objects
    try:
        return contacts.get(business=business, number=number), False
    except Contact.DoesNotExist:
        pass
    try:
        with transaction.atomic():
            return Contact.objects.create(business=business, number=number), True
    except IntegrityError:  # created by a concurrent request a moment ago
        return contacts.get(business=business, number=number), False


def contact_for(business, number: str) -> Contact:
    return find_or_create_contact(business, number)[0]


def conversation_for(line, contact: Contact, *, new_contact: bool = False) -> Conversation:
    """The thread between a line and a contact. A contact created in this transaction has none yet."""
    conversation = None if new_contact else Conversation.objects.filter(line=line, contact=contact).first()
    if conversation:
        return conversation
    try:
        with transaction.atomic():
            return Conversation.objects.create(business=line.business, line=line, contact=contact)
    except IntegrityError:
        return Conversation.objects.get(line=line, contact=contact)


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
    return consent_state(business, number) == ConsentEvent.OPT_OUT


NEVER_RECEIVED = (*MessageStatus.NOT_SENT, MessageStatus.FAILED, MessageStatus.UNDELIVERED)
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
    is True when the caller knows (a contact created just now); None means look it up.
    """
    if not first_text and has_received_texts(business, contact):
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
    new_contact: bool = False,
) -> Message:
    """Write an outbound text and its outbox row; the worker sends it at due_at.

    `new_contact`: the contact was created in this transaction, so it has no texts and no
    conversation yet (saves two lookups on the hot path).
    """
    business = line.business
    body = normalise_sms_text(body).strip()
    if purpose in NO_FIRST_TEXT_ADDITIONS:
        body = body[:MAX_BODY]
    else:
        body = with_first_text_additions(business, contact, body, first_text=new_contact or None)
    shape = gsm7.shape(body)
    now = timezone.now()
    conversation = conversation_for(line, contact, new_contact=new_contact)
    message = Message.objects.create(
        business=business,
        conversation=conversation,
        contact=contact,
        line=line,
        call=call,
        direction=Message.OUT,
        sender_kind=sender_kind,
        sent_by=user,
        purpose=purpose,
        body=body,
        encoding=shape.encoding,
        units=shape.units,
        segments=shape.segments,
        status=MessageStatus.SCHEDULED,
        status_at=now,
        provider=line.account.provider,
        created_at=now,
    )
    OutboxItem.objects.create(
        business=business,
        kind=OutboxItem.SMS,
        idempotency_key=key,
        message=message,
        due_at=due_at,
        expires_at=expires_at,
        created_at=now,
    )
    Conversation.objects.filter(pk=conversation.pk).update(last_message_at=now)
    wake.after_commit(due_at)
    return message


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


def record_consent(business, number: str, kind: str, *, source: str, keyword: str = "", line=None, message=None):
    return ConsentEvent.objects.create(
        business=business,
        number=number,
        kind=kind,
        source=source,
        keyword=keyword,
        line=line,
        message=message,
        created_at=timezone.now(),
    )


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
    taken = Message.objects.filter(provider=inbound.provider, provider_message_id=inbound.provider_message_id)
    if inbound.provider_message_id and taken.exists():
        return None
    contact, _ = find_or_create_contact(
        business, phone.facts(inbound.from_number, business.country).e164 or inbound.from_number[:64]
    )
    conversation = conversation_for(line, contact)
    now = timezone.now()
    body = inbound.body[: MAX_BODY * 2]
    shape = gsm7.shape(body)
    message = Message.objects.create(
        business=business,
        conversation=conversation,
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
    keyword = keywords.classify(body, inbound.provider_type)
    handled = _act_on_keyword(keyword, line, contact, message) if keyword else False
    if not handled:
        cancel_pending(business, contact, purposes=Message.AUTOMATIC, why="the contact replied")
    Conversation.objects.filter(pk=conversation.pk).update(status=Conversation.OPEN, last_message_at=now)
    return message


def _act_on_keyword(keyword: keywords.Keyword, line, contact: Contact, message: Message) -> bool:
    """Apply STOP/START/HELP. False when the word is just conversation (START from someone never opted out)."""
    business = line.business
    source = ConsentEvent.PHRASE if keyword.phrase else ConsentEvent.KEYWORD
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
        _reply(line, contact, message, Message.HELP, help_text(business, line), always=True)
    return True


def _opt_out(line, contact: Contact, message: Message, word: str, source: str) -> None:
    business = line.business
    already = is_opted_out(business, contact.number)
    record_consent(
        business, contact.number, ConsentEvent.OPT_OUT, source=source, keyword=word, line=line, message=message
    )
    cancel_pending(business, contact, keep=[Message.OPT_OUT_CONFIRMATION], why="the contact opted out")
    if not already:
        _reply(line, contact, message, Message.OPT_OUT_CONFIRMATION, opt_out_text(business))


def _reply(line, contact: Contact, cause: Message, purpose: str, body: str, *, always: bool = False) -> None:
    """Answer a keyword ourselves, unless the line's provider already confirms it.

    HELP is `always` answered by us: a carrier's stock HELP reply does not name the business.
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
