"""Recording calls as providers report them, and making the one text-back decision per call.

Provider adapters translate their events into this small typed API and nothing else:

- `start_call(CallStart)`: the first report of a call creates it; later ones find it.
- `do_ringing(call)`: the staff phones ring (forward and screen).
- `do_screen_prompt(call, leg, number)`: a phone picked up and heard "press 1".
- `do_accept(call)`: that phone pressed 1: the call is answered.
- `do_call_progress(call, outcome)`: a dialled phone's own report; it never ends the call.
- `do_call_ended(call, outcome, voicemail_expected=…, legs_may_follow=…)`: the ringing is over.
- `do_voicemail(call, seconds, url)`: the caller's recording finished.

How long to wait for reports that may still come is decided here (calls/timing.py), never in an
adapter. Whenever a call is left waiting, a durable reminder (an outbox row) is due at the latest
moment the call can still be going, so every call is decided exactly once even when a provider's
callback is lost. Everything runs in the caller's transaction: the decision and the text-back it
queues commit together with the report that ended the call.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from textback.accounts import hours
from textback.alerts import hooks as alerts
from textback.calls import caps, decide, outcomes, timing
from textback.calls.models import Call
from textback.lib import hours as lib_hours
from textback.lib import phone, sql
from textback.messaging import actions as messaging
from textback.messaging import templating
from textback.messaging.models import Message
from textback.messaging.templating import render
from textback.outbox import wake, worker
from textback.outbox.models import OutboxItem
from textback.rules import actions as rules
from textback.rules import situation

DECIDE = "decide_call"


@dataclass(frozen=True)
class CallStart:
    line: object
    provider: str
    call_id: str
    from_number: str
    to_number: str
    caller_name: str = ""


# --- finding calls: always within the account (and line) that reported them ------------------


def find_call(provider: str, call_id: str, *, account, line=None) -> Call | None:
    """The call, if it is on a line of this provider account (and of this line, when given).

    A provider's call ids are unique, but a request signed by one tenant's credentials must never
    reach another tenant's call, so the lookup is scoped to the credentials that signed it."""
    qs = Call.objects.select_related("line__business", "line__account").filter(
        provider=provider, provider_call_id=call_id, line__account=account
    )
    if line is not None:
        qs = qs.filter(line=line)
    return qs.first()


def start_call(start: CallStart, *, expect_new: bool = False) -> tuple[Call | None, bool]:
    """(the call, whether this request created it). Later reports of the same call get the same row;
    None when the id belongs to a call of another account or line (nothing is changed then).

    With expect_new (the incoming-call webhook) the insert is tried first, saving a lookup. A call
    created here is invisible to everyone else until the transaction commits, so the actions below
    need not lock it again.
    """
    line = start.line
    if not expect_new:
        existing = find_call(start.provider, start.call_id, account=line.account, line=line)
        if existing:
            return existing, False
    values = {
        "business": line.business, "line": line, "contact": None, "provider": start.provider,
        "provider_call_id": start.call_id, "from_number": start.from_number[:40], "to_number": start.to_number[:40],
        "caller_name": start.caller_name[:100], "state": Call.RINGING, "outcome": None, "accepted": False,
        "screened_legs": {}, "voicemail": False, "voicemail_seconds": None, "recording_url": "",
        "awaiting_voicemail": False, "started_at": timezone.now(), "ended_at": None, "decision": "",
        "decision_reason": "", "decided_at": None, "decide_by": None, "variant": "", "variant_reason": "",
    }  # fmt: skip
    row = sql.insert(Call, values, conflict=("provider", "provider_call_id"))
    if row is None:  # a retry, a concurrent callback for the same call, or someone else's call
        return find_call(start.provider, start.call_id, account=line.account, line=line), False
    call = sql.built(Call, row[0], values)
    call.created_here = True
    return call, True


def _locked(call: Call) -> Call:
    if getattr(call, "created_here", False):
        return call
    return (
        Call.objects.select_for_update(of=("self",)).select_related("line__business", "line__account").get(pk=call.pk)
    )


def _save(call: Call, fields: list[str]) -> None:
    """One UPDATE of these fields."""
    sql.update(Call, call.pk, {name: getattr(call, name) for name in dict.fromkeys(fields)})


# --- what providers report --------------------------------------------------------------------


def do_ringing(call: Call) -> None:
    """The staff phones are ringing. If no end of the call ever reaches us, decide anyway once it
    cannot still be going: every phone rang out, each picked up and heard the prompt, then voicemail."""
    line = call.line
    greeting = line.greeting if line.record_voicemail else None
    _decide_by(call, call.started_at + timing.ringing_window(line.ring_seconds, len(line.forward_to), greeting))
    _save(call, ["decide_by"])


def do_screen_prompt(call: Call, leg: str, number: str) -> None:
    """A staff phone picked up (as the provider's `leg` of the call) and is hearing "press 1": the evidence
    that a call nobody accepted was screened out (a cell's voicemail, an IVR), and which phones are left."""
    call = _locked(call)
    if leg not in call.screened_legs:
        call.screened_legs = {**call.screened_legs, leg[:64]: number[:40]}
        _save(call, ["screened_legs"])


def do_connected(call: Call, connected: bool) -> None:
    """The provider's own word on whether the caller spoke with a phone (Twilio's DialBridged).
    It wins over a key press: staff who pressed 1 as the caller hung up never spoke with them."""
    if call.accepted != connected:
        call.accepted = connected
        Call.objects.filter(pk=call.pk).update(accepted=connected)


def do_accept(call: Call) -> None:
    """A person pressed 1 on the screening prompt: this call is answered."""
    call.accepted = True
    Call.objects.filter(pk=call.pk).update(accepted=True)


def do_call_progress(call: Call, outcome: str | None) -> Call:
    """A dialled phone's report (status-only mode): it may say someone answered; it never ends the call."""
    call = _locked(call)
    refined = outcomes.refine(call.outcome, outcome)
    if refined != call.outcome:
        call.outcome = refined
        _save(call, ["outcome"])
    return call


def do_call_ended(
    call: Call, reported: str | None, *, voicemail_expected: bool = False, legs_may_follow: bool = False
) -> Call:
    """The ringing is over, with this outcome.

    `voicemail_expected`: we have just sent the caller to voicemail; the decision waits for the recording,
    and at the latest until the longest message could have been left.
    `legs_may_follow`: the dialled phones' own reports may still arrive and say someone answered.
    Otherwise the caller is gone: decide now, or after a short grace when a recording we asked for has
    not been reported yet.
    """
    call = _locked(call)
    if call.accepted:
        reported = outcomes.ANSWERED
    call.outcome = outcomes.refine(call.outcome, reported)
    now = timezone.now()
    fields = ["outcome"]
    if voicemail_expected and call.state != Call.ENDED:
        if not call.awaiting_voicemail:
            call.awaiting_voicemail = True
            fields.append("awaiting_voicemail")
            _decide_by(call, now + timing.voicemail_window(call.line.greeting))
    elif call.state != Call.ENDED:
        call.state, call.ended_at = Call.ENDED, now
        fields += ["state", "ended_at"]
        grace = _grace(call, legs_may_follow)
        if grace and not call.decided_at:
            _decide_by(call, now + timedelta(seconds=grace))
        else:
            _decide_and_save(call, fields)
            return call
    _save(call, [*fields, "decide_by"])
    return call


def _grace(call: Call, legs_may_follow: bool) -> float:
    if call.awaiting_voicemail:
        return timing.VOICEMAIL_GRACE_SECONDS
    return timing.LEG_GRACE_SECONDS if legs_may_follow else 0.0


def do_voicemail(call: Call, seconds: int | None, url: str = "", *, outcome: str | None = None) -> Call:
    """The caller's recording finished, so the call is over: a real message counts as a voicemail.

    `outcome`: how the ringing ended, for adapters that report a finished call in one piece (a PBX)."""
    call = _locked(call)
    call.outcome = outcomes.refine(call.outcome, outcomes.ANSWERED if call.accepted else outcome)
    call.awaiting_voicemail = False
    if seconds is not None:
        call.voicemail_seconds = seconds
    call.recording_url = url or call.recording_url
    if (seconds or 0) >= timing.MIN_VOICEMAIL_SECONDS:
        call.voicemail = True
        call.outcome = outcomes.refine(call.outcome, outcomes.VOICEMAIL)
    call.state = Call.ENDED
    call.ended_at = call.ended_at or timezone.now()
    fields = ["awaiting_voicemail", "voicemail_seconds", "recording_url", "voicemail", "outcome", "state", "ended_at"]
    _decide_and_save(call, fields)
    return call


# --- deciding later: one durable reminder per call ----------------------------------------------


def _decide_by(call: Call, due: datetime) -> None:
    """Make sure the call is decided by `due`: one outbox row per call, only ever moved earlier.
    The caller saves call.decide_by."""
    if call.decided_at or (call.decide_by and call.decide_by <= due):
        return
    if call.decide_by:
        _pending_reminder(call).update(due_at=due)
    else:
        OutboxItem.objects.create(
            business_id=call.business_id, kind=DECIDE, idempotency_key=_reminder_key(call), payload={"call": call.pk},
            due_at=due, created_at=timezone.now(),
        )  # fmt: skip
    call.decide_by = due
    wake.after_commit(due)


def _reminder_key(call: Call) -> str:
    return f"{DECIDE}:{call.pk}"


def _pending_reminder(call: Call):
    return OutboxItem.objects.filter(idempotency_key=_reminder_key(call), status=OutboxItem.PENDING)


@worker.handles(DECIDE, lane=worker.TEXTS)
def decide_when_due(item: OutboxItem, reconcile: bool) -> None:
    """Nothing decided the call in time: whatever was lost, decide from what we know now."""
    with transaction.atomic():
        if not worker.still_ours(item):
            return
        call = Call.objects.filter(pk=item.payload.get("call")).first()
        if call is not None:
            call = _locked(call)
            if not call.decided_at:
                _end_unreported(call)
        worker.finish(item, OutboxItem.DONE, "decided")


def _end_unreported(call: Call) -> None:
    fields = []
    if call.state != Call.ENDED:
        call.state, call.ended_at = Call.ENDED, timezone.now()
        fields += ["state", "ended_at"]
    if call.outcome is None:  # ringing, and then nothing: answered only if someone pressed 1
        silent = outcomes.SCREENED_OUT if call.screened_legs else outcomes.NO_ANSWER
        call.outcome = outcomes.ANSWERED if call.accepted else silent
        fields.append("outcome")
    call.awaiting_voicemail = False
    _decide_and_save(call, [*fields, "awaiting_voicemail"])


def _decide_and_save(call: Call, fields: list[str]) -> decide.Decision | None:
    """One UPDATE for the call's new state and its decision (a reminder still pending is dropped)."""
    decision = _decide(call)
    if decision:
        fields = [*fields, "contact", "decision", "decision_reason", "decided_at", "variant", "variant_reason"]
        if call.decide_by:
            _pending_reminder(call).update(status=OutboxItem.CANCELED, result="decided", finished_at=call.decided_at)
    if fields:
        _save(call, fields)
    return decision


# --- the decision ------------------------------------------------------------------------


def policy_for(line) -> decide.Policy:
    business = line.business
    return decide.Policy(
        enabled=line.textback_enabled and line.active,
        outcomes=business.outcome_set,
        countries=business.country_set,
        cooldown=timedelta(hours=business.cooldown_hours),
        texts_per_hour=business.texts_per_hour,
        texts_per_day=business.texts_per_day,
    )


def facts_for(call: Call, number: phone.NumberFacts, contact, known: messaging.CallerFacts | None) -> decide.CallFacts:
    """What the rules need to know about the call and the caller."""
    if contact is None:
        return decide.CallFacts(outcome=call.outcome, number=number)
    return decide.CallFacts(
        outcome=call.outcome,
        number=number,
        own_number=known.own_number,
        excluded=known.excluded,
        opted_out=known.opted_out,
        landline=contact.is_landline,
        automation_paused=contact.automation_paused_at is not None,
        known_invalid=contact.is_invalid,
        last_auto_text_at=known.last_auto_text_at,
        last_staff_reply_at=known.last_staff_reply_at,
        now=timezone.now(),
        texts_this_hour=known.texts_this_hour,
        texts_today=known.texts_today,
    )


def decide_call(call: Call) -> decide.Decision | None:
    """Decide once per call (the caller holds the row lock) and queue the text-back on "yes"."""
    return _decide_and_save(call, [])


def _decide(call: Call) -> decide.Decision | None:
    """Set the decision on the call (not saved) and queue the text-back; None if decided before.

    The contact's row is locked first, so two calls from one person decide one after the other."""
    if call.decided_at:
        return None
    line, business = call.line, call.line.business
    number = phone.facts(call.from_number, business.country)
    contact = messaging.find_or_create_contact(business, number.e164) if number.e164 else None
    windows = caps.windows_for(business)
    known = messaging.caller_facts(business, contact, windows) if contact else None
    decision = decide.decide(facts_for(call, number, contact, known), policy_for(line))
    call.contact = contact
    call.decision = Call.TEXT if decision.text else Call.SKIP
    call.decision_reason, call.decided_at = decision.reason, timezone.now()
    if decision.text:
        textback = _queue_textback(call, contact, known)
        caps.do_count_text(business, windows, contact)
        if contact.owner_id:
            messaging.route_to_owner(textback.conversation_id, contact)
        if known.followups_on:
            rules.queue_followups(call, contact, textback, textback.outbox_due)
    elif decision.reason in decide.CAPS:
        caps.do_count_skip(call, decision.reason, windows)
    elif call.outcome == outcomes.ANSWERED and known is not None and known.followups_on:
        # Someone spoke with the caller: a follow-up to them would be out of place.
        messaging.cancel_pending(business, contact, purposes=[Message.FOLLOWUP], why="a call with them was answered")
    if call.outcome != outcomes.ANSWERED and decision.reason != decide.OWN_NUMBER:
        alerts.on_missed_call(call, contact)
    return decision


def needs_schedule(line) -> bool:
    """Whether choosing or filling this line's text reads the opening hours: a situation that depends on
    them has a template (or the emergency switch is on), or a template uses an hours field. Most lines
    answer yes; the check keeps a line that opted out of hours from paying two queries a call."""
    if line.emergency_triage or line.after_hours_template.strip() or line.holiday_template.strip():
        return True
    templates = (line.textback_template, line.voicemail_template, line.repeat_caller_template)
    return any(templating.HOURS_FIELDS & templating.fields_used(t) for t in templates)


def situation_of(call: Call, contact, known: messaging.CallerFacts | None, schedule) -> situation.Situation:
    started = call.started_at or timezone.now()
    facts = situation.CallSituation(
        ended_at=call.ended_at or timezone.now(),
        voicemail=call.voicemail and bool(call.line.voicemail_template.strip()),
        known_caller=bool(known and (known.has_received_texts or contact.created_at < started)),
        emergency_triage=call.line.emergency_triage,
    )
    return situation.choose(facts, schedule if schedule is not None and not _always_open(schedule) else None)


def _always_open(schedule) -> bool:
    return not schedule.spans and not schedule.closures


def textback_body(call: Call, contact, known: messaging.CallerFacts | None = None) -> str:
    """The text-back for this call: its situation's template, filled in. Sets call.variant and
    call.variant_reason (saved with the decision)."""
    line = call.line
    schedule = hours.schedule_of(line.business, line) if needs_schedule(line) else None
    chosen = situation_of(call, contact, known, schedule)
    used, template = situation.template_for(line, chosen.variant)
    call.variant = used
    call.variant_reason = chosen.reason if used == chosen.variant else f"{chosen.reason} (no {chosen.label} text set)"
    return render(template, merge_values(call, contact, schedule))


def merge_values(call: Call, contact, schedule) -> dict[str, object]:
    line, business = call.line, call.line.business
    at = call.ended_at or timezone.now()
    values = {
        "business": business.name,
        "staff": messaging.owner_first_name(contact) or line.staff_name,
        "first_name": contact.first_name,
        "line": phone.pretty(line.number),
        "booking_link": business.booking_link,
        "call_time": lambda: lib_hours.call_time_words(at, business.time_zone),
    }
    if schedule is not None:
        values["hours_today"] = lambda: lib_hours.hours_today(schedule, at)
        values["next_open"] = lambda: lib_hours.next_open_words(schedule, at)
    return values


def _queue_textback(call: Call, contact, known: messaging.CallerFacts) -> Message:
    line = call.line
    first_text = not known.has_received_texts
    due = (call.ended_at or timezone.now()) + timedelta(seconds=line.delay_seconds)
    message = messaging.queue_text(
        line=line,
        contact=contact,
        body=textback_body(call, contact, known),
        purpose=Message.TEXTBACK,
        key=f"textback:{call.pk}",
        due_at=due,
        expires_at=due + timedelta(minutes=line.business.staleness_minutes),
        sender_kind=Message.AUTOMATION,
        call=call,
        first_text=first_text,
    )
    message.outbox_due = due
    return message
