"""Follow-ups: queued with the text-back, checked again when due, canceled by whatever makes them moot.

Each follow-up is a message (purpose FOLLOWUP, status scheduled) and an outbox row of kind "followup" due
at its planned time moved out of quiet hours. When it falls due, `followup_when_due` checks the rules again
(rules/followups.py: consent, quiet hours, a state's daily cap, validity) and either turns the row into an
ordinary text due now, puts it back to wait, or records the message as skipped with the reason. Everything
that cancels automatic texts (messaging.actions.cancel_pending) cancels these too, in its transaction.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from textback.lib import phone, quiet
from textback.messaging import actions as messaging
from textback.messaging.models import Contact, Conversation, ConversationEvent, Message, MessageStatus
from textback.messaging.templating import TemplateError, check_template, render
from textback.outbox import wake, worker
from textback.outbox.models import OutboxItem
from textback.rules import followups
from textback.rules.models import FollowupPlan

FOLLOWUP = "followup"
FOLLOWUPS_CANCELED = "followups_canceled"  # a conversation event: a person canceled the pending follow-ups
SKIPPED_STATUS = MessageStatus.SUPPRESSED  # a follow-up the rules kept from going; error_message says why


def plan_for(business, line=None) -> FollowupPlan:
    """The plan for texts from `line`: its own when it has one, else the business's; unsaved with the
    defaults (off) when nobody chose. One query."""
    plans = FollowupPlan.objects.filter(business=business)
    plans = plans.filter(Q(line__isnull=True) | Q(line=line)) if line else plans.filter(line__isnull=True)
    found = {plan.line_id: plan for plan in plans}
    return found.get(getattr(line, "pk", None)) or found.get(None) or FollowupPlan(business=business)


def own_plan(business, line) -> FollowupPlan | None:
    """The line's own plan (None: it follows the business's)."""
    return FollowupPlan.objects.filter(business=business, line=line).first()


def business_window(business, plan: FollowupPlan) -> quiet.BusinessWindow:
    return quiet.BusinessWindow(business.time_zone, plan.window_start, plan.window_end)


# --- queued with the text-back ------------------------------------------------------------------


def queue_followups(call, contact: Contact, textback: Message, textback_due: datetime) -> list[Message]:
    """Queue the business's follow-ups after a text-back (the text-back decision's transaction; only
    called when follow-ups are on). One message and one outbox row each."""
    business = call.line.business
    plan = plan_for(business, call.line)
    if not plan.enabled:
        return []
    number = quiet.recipient(contact.number)
    window = business_window(business, plan)
    consent_at = call.ended_at or timezone.now()
    canadian = phone.facts(contact.number).region == "CA"
    # One set of follow-ups per contact: a missed call after the cool-down replaces the set an earlier one
    # left pending (same transaction), or the caller would get both sets' "did you still need a hand…".
    messaging.cancel_pending(business, contact, purposes=[Message.FOLLOWUP], why="a newer missed call queued its own")
    return [
        _queue(call, contact, textback, n, step, window, number, textback_due, consent_at if canadian else None)
        for n, step in enumerate(followups.steps_from(plan.steps), 1)
    ]


def _queue(call, contact, textback, n, step, window, number, textback_due, consent_at) -> Message:
    planned = textback_due + step.delay
    payload = {"step": n, "planned_at": planned.isoformat(), "valid_until": (planned + step.valid_for).isoformat()}
    if consent_at is not None:  # the moment of the inquiry that gave CASL's implied consent
        payload["consent_at"] = consent_at.isoformat()
    return messaging.queue_text(
        line=call.line,
        contact=contact,
        body=render(step.template, _values(call, contact)),
        purpose=Message.FOLLOWUP,
        key=f"{FOLLOWUP}:{call.pk}:{n}",
        due_at=followups.first_due(number, window, planned, step.valid_for),
        expires_at=None,
        sender_kind=Message.AUTOMATION,
        call=call,
        first_text=True,  # every follow-up names the business and says how to stop (CASL, CTIA)
        kind=FOLLOWUP,
        payload=payload,
        conversation_id=textback.conversation_id,
    )


def _values(call, contact: Contact) -> dict:
    line = call.line
    return {
        "business": line.business.name,
        "staff": line.staff_name,
        "first_name": contact.first_name,
        "line": phone.pretty(line.number),
    }


# --- when one falls due ---------------------------------------------------------------------


@worker.handles(FOLLOWUP, lane=worker.TEXTS)
def followup_when_due(item: OutboxItem, reconcile: bool) -> None:
    """Check the rules again: send (the row becomes a text due now), wait, or skip with the reason."""
    with transaction.atomic():
        if not worker.still_ours(item):
            return
        message = (
            Message.objects.select_for_update(of=("self",))
            .select_related("business", "contact", "line")
            .filter(pk=item.message_id)
            .first()
        )
        if message is None or message.status != MessageStatus.SCHEDULED:
            worker.finish(item, OutboxItem.CANCELED, "no longer scheduled")
            return
        verdict = followups.check(_facts(item, message))
        if verdict.action == followups.SEND:
            _becomes_a_text(item, datetime.fromisoformat(item.payload["valid_until"]))
        elif verdict.action == followups.WAIT:
            worker.wait_until(item, verdict.until, verdict.reason)
        else:
            worker.finish(item, OutboxItem.DEAD, "skipped", verdict.explanation)
            _record_skipped(message, verdict.explanation)


def _facts(item: OutboxItem, message: Message) -> followups.Facts:
    business, contact = message.business, message.contact
    plan = plan_for(business, message.line)
    known = messaging.caller_facts(business, contact)
    consent_at = item.payload.get("consent_at")
    now = timezone.now()
    return followups.Facts(
        number=quiet.recipient(contact.number),
        window=business_window(business, plan),
        now=now,
        valid_until=datetime.fromisoformat(item.payload["valid_until"]),
        enabled=plan.enabled,
        opted_out=known.opted_out,
        excluded=known.excluded,
        paused=contact.automation_paused_at is not None,
        consent_until=datetime.fromisoformat(consent_at) + followups.CASL_IMPLIED_CONSENT if consent_at else None,
        recent_automatic=_recent_automatic(contact, now),
    )


def _recent_automatic(contact: Contact, now: datetime) -> tuple[datetime, ...]:
    """When automatic texts were handed to the provider for this contact in the last 24 hours."""
    return tuple(
        Message.objects.filter(
            business_id=contact.business_id, contact=contact, direction=Message.OUT, purpose__in=Message.AUTOMATIC,
            sent_at__gt=now - timedelta(hours=24),
        ).values_list("sent_at", flat=True)
    )  # fmt: skip


def _becomes_a_text(item: OutboxItem, valid_until: datetime) -> None:
    """The checked row is now an ordinary text due at once; it expires with the follow-up's validity."""
    now = timezone.now()
    OutboxItem.objects.filter(pk=item.pk).update(
        kind=OutboxItem.SMS, status=OutboxItem.PENDING, due_at=now, expires_at=valid_until, lease_until=None,
        attempts=0, result="checked",
    )  # fmt: skip
    wake.after_commit(now, item.lane)


def _record_skipped(message: Message, why: str) -> None:
    now = timezone.now()
    Message.objects.filter(pk=message.pk).update(status=SKIPPED_STATUS, status_at=now, error_message=why[:300])
    message.status_events.create(status=SKIPPED_STATUS, detail=f"skipped: {why}"[:300], at=now)


# --- staff cancel them -------------------------------------------------------------------


def pending_followups(conversation: Conversation) -> list[tuple[Message, datetime]]:
    """The follow-ups still to go in this conversation, with when they are next looked at."""
    rows = (
        OutboxItem.objects.filter(
            message__conversation=conversation, message__purpose=Message.FOLLOWUP,
            message__status=MessageStatus.SCHEDULED, status__in=[OutboxItem.PENDING, OutboxItem.CLAIMED],
        )
        .select_related("message")
        .order_by("due_at", "pk")
    )  # fmt: skip
    return [(row.message, row.due_at) for row in rows]


def do_cancel_followups(conversation: Conversation, user) -> int:
    """A person canceled the pending follow-ups of this conversation's contact; recorded in its timeline."""
    canceled = messaging.cancel_pending(
        conversation.business, conversation.contact, purposes=[Message.FOLLOWUP], why="canceled by staff"
    )
    if canceled:
        ConversationEvent.objects.create(
            business=conversation.business, conversation=conversation, kind=FOLLOWUPS_CANCELED,
            actor=user, body=str(canceled), at=timezone.now(),
        )  # fmt: skip
    return canceled


# --- settings ----------------------------------------------------------------------------


class Refused(ValueError):
    """A cadence that cannot be saved; the message says what to fix."""


def check_plan(steps: tuple[followups.Step, ...], start, end, *, enabled: bool = False) -> None:
    """Refused when the cadence or the window cannot work (nothing is written)."""
    if enabled and not steps:  # stored as [], it would read back as the two default steps nobody chose
        raise Refused("Follow-ups switched on need at least one follow-up: fill in follow-up 1, or switch them off.")
    try:
        followups.check_steps(steps)
    except ValueError as exc:
        raise Refused(str(exc).capitalize() + ".") from None
    for step in steps:
        try:
            check_template(step.template)
        except TemplateError as exc:
            raise Refused(f"A follow-up's text cannot be used: {exc}.") from None
    if not quiet.EARLIEST <= start < end <= quiet.LATEST:
        raise Refused("The window must start at 8:00 AM or later and end by 9:00 PM, after it starts.")


def do_save_plan(business, *, enabled: bool, steps: tuple[followups.Step, ...], start, end, line=None) -> FollowupPlan:
    """Save the business's follow-ups, or with `line` that line's own (checked first with check_plan).
    Follow-ups already queued keep their times; switching off skips them when they fall due."""
    check_plan(steps, start, end, enabled=enabled)
    if line is not None and line.business_id != business.pk:
        raise Refused("That line belongs to another business.")
    plan, _ = FollowupPlan.objects.get_or_create(business=business, line=line)
    plan.enabled, plan.window_start, plan.window_end = enabled, start, end
    plan.steps = [] if steps == followups.DEFAULT_STEPS else followups.stored(steps)
    plan.save()
    return plan


def do_follow_the_business(business, line) -> bool:
    """The line drops its own plan and follows the business's again; False if it had none."""
    deleted, _ = FollowupPlan.objects.filter(business=business, line=line).delete()
    return bool(deleted)
