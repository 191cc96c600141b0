"""Recording calls as providers report them, and making the one text-back decision per call.

Provider adapters translate their events into these calls. Everything runs in
the caller's transaction: the decision and the text-back it queues are
committed together with the event that ended the call.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from textback.calls import decide, outcomes
from textback.calls.models import Call
from textback.lib import phone
from textback.messaging import actions as messaging
from textback.messaging.models import ExcludedNumber, Message, MessageStatus
from textback.messaging.templating import render
from textback.outbox import wake, worker
from textback.outbox.models import OutboxItem

MIN_VOICEMAIL_SECONDS = 3  # shorter recordings are a caller hanging up at the beep, not a message
VOICEMAIL_GRACE_SECONDS = 5  # the call ended while recording: the recording's own callback is on its way
DECIDE = "decide_call"


@dataclass(frozen=True)
class CallStart:
    line: object
    provider: str
    call_id: str
    from_number: str
    to_number: str
    caller_name: str = ""


def find_call(provider: str, call_id: str, *, account_sid: str = "") -> Call | None:
    """The call, if we know it; with account_sid, only a call on a line of that provider account."""
    qs = Call.objects.select_related("line__business", "line__account").filter(
        provider=provider, provider_call_id=call_id
    )
    if account_sid:
        qs = qs.filter(line__account__account_sid=account_sid)
    return qs.first()


def start_call(start: CallStart, *, expect_new: bool = False) -> tuple[Call, bool]:
    """(the call, whether this request created it). Later reports of the same call get the same row.

    With expect_new (the incoming-call webhook) the insert is tried first, saving a lookup.
    """
    if not expect_new:
        existing = find_call(start.provider, start.call_id)
        if existing:
            return existing, False
    try:
        with transaction.atomic():
            call = Call.objects.create(
                business=start.line.business,
                line=start.line,
                provider=start.provider,
                provider_call_id=start.call_id,
                from_number=start.from_number[:40],
                to_number=start.to_number[:40],
                caller_name=start.caller_name[:100],
                started_at=timezone.now(),
            )
            return call, True
    except IntegrityError:  # a retry, or a concurrent callback for the same call, created it
        return find_call(start.provider, start.call_id), False


def _locked(call: Call) -> Call:
    return (
        Call.objects.select_for_update(of=("self",)).select_related("line__business", "line__account").get(pk=call.pk)
    )


def do_accept(call: Call) -> None:
    """A person pressed 1 on the screening prompt: this call is answered."""
    Call.objects.filter(pk=call.pk).update(accepted=True)


def do_outcome(
    call: Call,
    reported: str | None,
    *,
    ended: bool = True,
    decide_now: bool = True,
    locked: bool = False,
    grace: float = 0.0,
    awaiting_voicemail: bool = False,
) -> Call:
    """Apply an outcome report; when the call is over, decide about the text-back.

    `locked`: the caller created the call in this transaction, so nobody else can see it yet.
    `awaiting_voicemail`: we have just asked the caller to leave a message.
    `grace`: decide this many seconds from now instead, for reports that may still follow
    (a dialled leg's status). A caller who may still be leaving a voicemail also gets a grace.
    """
    call = call if locked else _locked(call)
    if call.accepted:
        reported = outcomes.ANSWERED
    call.outcome = outcomes.refine(call.outcome, reported)
    call.awaiting_voicemail = call.awaiting_voicemail or awaiting_voicemail
    if ended and call.state != Call.ENDED:
        call.state, call.ended_at = Call.ENDED, timezone.now()
    deciding = decide_now and call.state == Call.ENDED and not call.decided_at
    if deciding and call.awaiting_voicemail:
        grace = max(grace, VOICEMAIL_GRACE_SECONDS)
    _decide_and_save(call, ["outcome", "awaiting_voicemail", "state", "ended_at"], deciding and not grace)
    if deciding and grace:
        _decide_later(call, grace)
    return call


def _decide_later(call: Call, seconds: float) -> None:
    """A durable reminder to decide: the outbox runs it, unless an earlier report decided first."""
    now = timezone.now()
    due = now + timedelta(seconds=seconds)
    OutboxItem.objects.get_or_create(
        idempotency_key=f"{DECIDE}:{call.pk}",
        defaults={
            "business_id": call.business_id,
            "kind": DECIDE,
            "payload": {"call": call.pk},
            "due_at": due,
            "created_at": now,
        },
    )
    wake.after_commit(due)


@worker.handles(DECIDE)
def decide_when_due(item: OutboxItem, reconcile: bool) -> None:
    with transaction.atomic():
        call = Call.objects.filter(pk=item.payload.get("call")).first()
        if call is not None:
            decide_call(_locked(call))
        worker.finish(item, OutboxItem.DONE, "decided")


def do_voicemail(call: Call, seconds: int | None, url: str = "", *, decide_now: bool = True) -> Call:
    """The caller's recording finished: a real message counts as a voicemail."""
    call = _locked(call)
    call.awaiting_voicemail = False
    if seconds is not None:
        call.voicemail_seconds = seconds
    call.recording_url = url or call.recording_url
    if (seconds or 0) >= MIN_VOICEMAIL_SECONDS:
        call.voicemail = True
        call.outcome = outcomes.refine(call.outcome, outcomes.VOICEMAIL)
    call.state = Call.ENDED
    call.ended_at = call.ended_at or timezone.now()
    fields = ["awaiting_voicemail", "voicemail_seconds", "recording_url", "voicemail", "outcome", "state", "ended_at"]
    _decide_and_save(call, fields, decide_now)
    return call


def _decide_and_save(call: Call, fields: list[str], decide_now: bool) -> None:
    """One UPDATE for the call's new state and, when deciding, its decision."""
    if decide_now and _decide(call):
        fields = [*fields, "contact", "decision", "decision_reason", "decided_at"]
    call.save(update_fields=fields)


# --- the decision ------------------------------------------------------------------------


def own_numbers(business) -> set[str]:
    """The business's lines and the staff phones they ring."""
    numbers = set()
    for number, forward_to in business.lines.values_list("number", "forward_to"):
        numbers.add(number)
        numbers.update(forward_to or [])
    return numbers


def last_automatic_text(business, contact):
    return (
        Message.objects.filter(business=business, contact=contact, direction=Message.OUT, purpose__in=Message.AUTOMATIC)
        .exclude(status__in=(*MessageStatus.NOT_SENT, MessageStatus.FAILED))
        .aggregate(at=Max("created_at"))["at"]
    )


def policy_for(line) -> decide.Policy:
    business = line.business
    return decide.Policy(
        enabled=line.textback_enabled,
        outcomes=business.outcome_set,
        countries=business.country_set,
        cooldown=timedelta(hours=business.cooldown_hours),
    )


def facts_for(call: Call, number: phone.NumberFacts, contact, *, new_contact: bool = False) -> decide.CallFacts:
    """What the rules need to know. A contact created just now has no texts yet: no query for them.
    The ledger is always read: it is keyed by number and outlives any contact row."""
    business = call.line.business
    if contact is None:
        return decide.CallFacts(outcome=call.outcome, number=number)
    return decide.CallFacts(
        outcome=call.outcome,
        number=number,
        own_number=contact.number in own_numbers(business),
        excluded=ExcludedNumber.objects.filter(business=business, number=contact.number).exists(),
        opted_out=messaging.is_opted_out(business, contact.number),
        landline=contact.is_landline,
        known_invalid=contact.is_invalid,
        last_auto_text_at=None if new_contact else last_automatic_text(business, contact),
        now=timezone.now(),
    )


def decide_call(call: Call) -> decide.Decision | None:
    """Decide once per call (the caller holds the row lock) and queue the text-back on "yes"."""
    decision = _decide(call)
    if decision:
        call.save(update_fields=["contact", "decision", "decision_reason", "decided_at"])
    return decision


def _decide(call: Call) -> decide.Decision | None:
    """Set the decision on the call (not saved) and queue the text-back; None if decided before."""
    if call.decided_at:
        return None
    line, business = call.line, call.line.business
    number = phone.facts(call.from_number, business.country)
    contact, new_contact = messaging.find_or_create_contact(business, number.e164) if number.e164 else (None, False)
    decision = decide.decide(facts_for(call, number, contact, new_contact=new_contact), policy_for(line))
    call.contact = contact
    call.decision = Call.TEXT if decision.text else Call.SKIP
    call.decision_reason, call.decided_at = decision.reason, timezone.now()
    if decision.text:
        _queue_textback(call, contact, new_contact=new_contact)
    return decision


def textback_body(call: Call, contact) -> str:
    line = call.line
    use_voicemail = call.voicemail and line.voicemail_template.strip()
    template = line.voicemail_template if use_voicemail else line.textback_template
    values = {
        "business": line.business.name,
        "staff": line.staff_name,
        "first_name": contact.first_name,
        "line": phone.pretty(line.number),
    }
    return render(template, values)


def _queue_textback(call: Call, contact, *, new_contact: bool) -> Message:
    line = call.line
    due = (call.ended_at or timezone.now()) + timedelta(seconds=line.delay_seconds)
    return messaging.queue_text(
        line=line,
        contact=contact,
        body=textback_body(call, contact),
        purpose=Message.TEXTBACK,
        key=f"textback:{call.pk}",
        due_at=due,
        expires_at=due + timedelta(minutes=line.business.staleness_minutes),
        sender_kind=Message.AUTOMATION,
        call=call,
        new_contact=new_contact,
    )
