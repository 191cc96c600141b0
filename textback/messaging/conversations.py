"""What staff do to a conversation: answer it, note, assign, close, reopen, set its outcome, read it.

Each change is a `do_*` function that runs inside the caller's transaction and checks its input
first (`Refused` carries a message to show the person, and nothing is written). Every change but a
read mark leaves a ConversationEvent for the timeline. Who may do what is decided before these are
called (textback/accounts/access.py).
"""

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from textback.lib import phone
from textback.messaging import actions
from textback.messaging.models import (
    ConsentEvent,
    Conversation,
    ConversationEvent,
    ConversationRead,
    Message,
)
from textback.outbox.models import OutboxItem

STAFF_REPLY_VALID = timedelta(hours=1)  # a reply the provider could not take within an hour is not sent
MAX_NOTE = 2000
MAX_JOB_VALUE = Decimal("10000000")  # a job worth ten million is a typo


class Refused(Exception):
    """The change was not made; the message says why, in words for the person who asked."""


@dataclass(frozen=True)
class SendCheck:
    """Whether a person may text this conversation's contact now, and if not, why (for the reply box)."""

    allowed: bool
    reason: str = ""


def check_can_text(conversation: Conversation) -> SendCheck:
    contact, line = conversation.contact, conversation.line
    if not line.active:
        return SendCheck(
            False, f"The line {phone.pretty(line.number)} is switched off, so nothing can be sent from it."
        )
    opt_out = (
        ConsentEvent.objects.filter(
            business_id=conversation.business_id,
            number=contact.number,
            kind__in=[ConsentEvent.OPT_OUT, ConsentEvent.OPT_IN],
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    if opt_out and opt_out.kind == ConsentEvent.OPT_OUT:
        when = timezone.localtime(opt_out.created_at).strftime("%b %-d, %Y")
        how = f"by texting {opt_out.keyword}" if opt_out.keyword else "through the carrier"
        return SendCheck(
            False,
            f"{contact} opted out on {when} {how}. The law and the carriers forbid texting them until they text START.",
        )
    if contact.is_landline:
        return SendCheck(
            False, f"{phone.pretty(contact.number)} is a landline; the carrier cannot deliver texts to it."
        )
    if contact.is_invalid:
        return SendCheck(False, f"The carrier says {contact.number} is not a working number.")
    if contact.number.startswith(phone.ERASED):  # messaging/records.py
        return SendCheck(False, "This caller's data was erased on request; their number is no longer kept.")
    if not phone.is_e164(contact.number):
        return SendCheck(False, f"{contact.number} is not a phone number a text can be sent to.")
    return SendCheck(True)


def _event(conversation: Conversation, kind: str, actor, *, subject=None, body: str = "", at=None) -> ConversationEvent:
    return ConversationEvent.objects.create(
        business_id=conversation.business_id,
        conversation=conversation,
        kind=kind,
        actor=actor,
        subject=subject,
        body=body,
        at=at or timezone.now(),
    )


def check_reply_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise Refused("Type a reply first; an empty text cannot be sent.")
    if len(body) > actions.MAX_BODY:
        raise Refused(f"That reply is {len(body)} characters; a text can be at most {actions.MAX_BODY}. Shorten it.")
    return body


def do_staff_reply(conversation: Conversation, user, body: str, *, token: str = "", via: str = "inbox") -> Message:
    """Queue a person's answer through the one outbox path every text takes.

    `token` (one per reply form shown) makes a double submit send once. The reply cancels every automatic
    text still pending for the contact, stops the SLA clock and marks the conversation as answered by a
    person, all in this transaction. The opt-out is checked again by the worker at hand-over."""
    body = check_reply_body(body)
    verdict = check_can_text(conversation)
    if not verdict.allowed:
        raise Refused(verdict.reason)
    key = f"reply:{conversation.pk}:{token or uuid.uuid4().hex}"[:120]
    existing = OutboxItem.objects.filter(idempotency_key=key).select_related("message").first()
    if existing and existing.message:
        return existing.message
    now = timezone.now()
    canceled = actions.cancel_pending(
        conversation.business, conversation.contact, purposes=Message.AUTOMATIC, why="a person replied"
    )
    if canceled:
        _event(conversation, ConversationEvent.AUTOMATION_CANCELED, user, body=f"{canceled} automatic text(s)", at=now)
    message = actions.queue_text(
        line=conversation.line,
        contact=conversation.contact,
        body=body,
        purpose=Message.REPLY,
        key=key,
        due_at=now,
        expires_at=now + STAFF_REPLY_VALID,
        sender_kind=Message.STAFF,
        user=user,
    )
    Conversation.objects.filter(pk=conversation.pk).update(
        staff_replied_at=now, awaiting_since=None, status=Conversation.OPEN, closed_at=None
    )
    conversation.staff_replied_at, conversation.awaiting_since = now, None
    conversation.status, conversation.closed_at = Conversation.OPEN, None
    do_mark_read(conversation, user, at=now)
    return message


def do_add_note(conversation: Conversation, user, body: str) -> ConversationEvent:
    body = (body or "").strip()
    if not body:
        raise Refused("Write the note first.")
    if len(body) > MAX_NOTE:
        raise Refused(f"A note can be at most {MAX_NOTE} characters; this one is {len(body)}.")
    return _event(conversation, ConversationEvent.NOTE, user, body=body)


def do_assign(conversation: Conversation, actor, assignee) -> None:
    """Give the conversation to a member of its business (None: to nobody)."""
    if assignee is not None and not assignee.memberships.filter(business_id=conversation.business_id).exists():
        raise Refused("That person does not work for this business.")
    if conversation.assignee_id == (assignee.pk if assignee else None):
        return
    Conversation.objects.filter(pk=conversation.pk).update(assignee=assignee)
    conversation.assignee = assignee
    kind = ConversationEvent.ASSIGNED if assignee else ConversationEvent.UNASSIGNED
    _event(conversation, kind, actor, subject=assignee)


def do_close(conversation: Conversation, actor) -> None:
    if conversation.status == Conversation.CLOSED:
        return
    now = timezone.now()
    Conversation.objects.filter(pk=conversation.pk).update(status=Conversation.CLOSED, closed_at=now)
    conversation.status, conversation.closed_at = Conversation.CLOSED, now
    _event(conversation, ConversationEvent.CLOSED, actor, at=now)


def do_reopen(conversation: Conversation, actor) -> None:
    if conversation.status == Conversation.OPEN:
        return
    Conversation.objects.filter(pk=conversation.pk).update(status=Conversation.OPEN, closed_at=None)
    conversation.status, conversation.closed_at = Conversation.OPEN, None
    _event(conversation, ConversationEvent.REOPENED, actor)


# A plain amount as people write one: an optional $, ASCII digits (commas between groups of three, or none), and
# cents. Decimal() alone would also take "1e5", "NaN", "١٢" and "1_000".
AMOUNT = re.compile(r"\$?\s*(?P<whole>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.(?P<cents>[0-9]+))?")


def check_job_value(text: str) -> Decimal:
    """The job's value in dollars from what a person typed ("350", "1,250.50", "$ 99.9"), or Refused saying why."""
    typed = (text or "").strip()
    if typed.startswith("-") and AMOUNT.fullmatch(typed[1:].strip()):
        raise Refused("A booked job's value must be more than zero.")
    amount = AMOUNT.fullmatch(typed)
    if amount is None:
        shown = typed[:20] + ("…" if len(typed) > 20 else "")
        raise Refused(f"“{shown}” is not an amount; write the job's value like 350, 1,250 or $1,250.50.")
    if len(amount["cents"] or "") > 2:
        raise Refused("Give the value to the cent at most, like 1,250.50.")
    value = Decimal(amount["whole"].replace(",", "") + "." + (amount["cents"] or "0"))
    if value <= 0:
        raise Refused("A booked job's value must be more than zero.")
    if value >= MAX_JOB_VALUE:
        raise Refused(
            f"That is more than ${MAX_JOB_VALUE - Decimal('0.01'):,} for one job; check the number of digits."
        )
    return value


def do_set_outcome(conversation: Conversation, actor, outcome: str, *, value=None, reason: str = "") -> None:
    """Booked (with the job's value), no-show, lost (with a reason), spam, or "" to clear it.

    An outcome ends the automation: pending automatic texts to the contact are canceled."""
    reason = (reason or "").strip()
    if outcome and outcome not in dict(Conversation.OUTCOMES):
        raise Refused(f"{outcome!r} is not an outcome; choose booked, no-show, lost or spam.")
    amount = check_job_value(str(value) if value is not None else "") if outcome == Conversation.BOOKED else None
    if outcome == Conversation.LOST and not reason:
        raise Refused("Say why the job was lost (for example: price, went with another company, no longer needed).")
    if len(reason) > 200:
        raise Refused("Keep the reason under 200 characters.")
    now = timezone.now()
    Conversation.objects.filter(pk=conversation.pk).update(
        outcome=outcome,
        outcome_value=amount,
        lost_reason=reason if outcome == Conversation.LOST else "",
        outcome_at=now if outcome else None,
        outcome_by=actor if outcome else None,
    )
    conversation.outcome, conversation.outcome_value = outcome, amount
    conversation.lost_reason = reason if outcome == Conversation.LOST else ""
    conversation.outcome_at, conversation.outcome_by = (now, actor) if outcome else (None, None)
    from textback.reports import funnel  # the report's kept days that counted this conversation are figured again

    funnel.forget(conversation.business, conversation.pk)
    if outcome:
        actions.cancel_pending(
            conversation.business, conversation.contact, purposes=Message.AUTOMATIC, why="an outcome was set"
        )
        detail = {
            Conversation.BOOKED: f"${amount:,.2f}" if amount is not None else "",
            Conversation.LOST: reason,
        }.get(outcome, "")
        _event(
            conversation, ConversationEvent.OUTCOME, actor, body=f"{outcome}:{detail}" if detail else outcome, at=now
        )
    else:
        _event(conversation, ConversationEvent.OUTCOME_CLEARED, actor, at=now)


def do_mark_read(conversation: Conversation, user, *, at=None) -> None:
    """The person has seen everything up to now (a read mark only moves forward)."""
    at = at or timezone.now()
    updated = ConversationRead.objects.filter(user=user, conversation=conversation).update(
        read_at=Greatest(F("read_at"), at)
    )
    if not updated:
        ConversationRead.objects.get_or_create(user=user, conversation=conversation, defaults={"read_at": at})
