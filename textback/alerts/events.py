"""When staff are alerted: a caller's reply, a missed call, a caller left waiting (escalation.py).

Each runs inside the transaction of the webhook (or outbox job) that caused it and only writes rows:
an Alert and an outbox row per person per channel, and per webhook. A caller's texts in a row are
coalesced into few reply alerts per person (coalesce.py). Quiet times are each person's own (checked
again when an alert goes: channels.py); webhooks are the business's and have none.
"""

import functools

from django.utils import timezone

from textback.alerts import channels, coalesce, compose, recipients, relay
from textback.alerts.models import Alert, AlertWebhook
from textback.calls.models import Call
from textback.calls.outcomes import ANSWERED
from textback.lib import sql
from textback.messaging.models import Conversation
from textback.rules import bursts


def alert_people(
    event: compose.Event, people, key: str, *, in_quiet_time_too=lambda membership: False, queue_one=None
) -> int:
    """Queue the event on each person's channels (with `queue_one(event, channel, membership, key)`: by default
    one alert about it), unless it is their quiet time. Returns how many alerts."""
    now = event.at or timezone.now()
    queue_one = queue_one or _alert_one
    count = 0
    for membership in people:
        if recipients.in_quiet_time(membership, now, event.business.time_zone) and not in_quiet_time_too(membership):
            continue
        for channel in recipients.channels_for(membership):
            count += queue_one(event, channel, membership, f"{key}:{channel}:m{membership.pk}")
    return count


def _alert_one(event: compose.Event, channel: str, membership, key: str, **extra) -> int:
    common = {"business": event.business, "event": event.kind, "channel": channel, "membership": membership,
              "conversation_id": event.conversation_id, "call": event.call, "line": event.line, "key": key,
              **extra}  # fmt: skip
    if channel == Alert.EMAIL:
        channels.queue(**common, to=membership.user.email, subject=compose.subject(event),
                       body=compose.email_body(event))  # fmt: skip
        return 1
    if event.line is None:
        return 0
    code = relay.code_for(event.line, membership.phone, event.conversation_id) if event.conversation_id else ""
    channels.queue(**common, to=membership.phone, body=compose.staff_text(event, code), code=code)
    return 1


def _reply_alert(event: compose.Event, channel: str, membership, key: str, *, seen_at) -> int:
    """A caller's text, coalesced with the reply alerts this person has had or has coming (coalesce.py)."""
    now = event.at or timezone.now()
    earlier = coalesce.earlier_alert(event.conversation_id, membership, channel)
    due = coalesce.when_to_alert(coalesce.as_earlier(earlier), seen_at, now)
    if due is None:
        return 0
    if earlier is not None and earlier.status in (Alert.QUEUED, Alert.RETRYING):  # its texts were seen since
        channels.cancel(earlier, "seen", "the texts it reported were read or answered before it went")
    return _alert_one(event, channel, membership, key, due_at=due, payload={"since": now.isoformat()})


def alert_webhooks(event: compose.Event, key: str, hooks=None) -> int:
    hooks = hooks if hooks is not None else AlertWebhook.objects.filter(business=event.business, active=True)
    count = 0
    for hook in hooks:
        if not hook.wants(event.kind):
            continue
        ref = channels.uuid.uuid4()
        payload = (
            compose.slack_payload(event)
            if hook.kind == AlertWebhook.SLACK
            else compose.generic_payload(event, str(ref))
        )
        channels.queue(
            business=event.business, event=event.kind, channel=Alert.WEBHOOK, key=f"{key}:webhook:w{hook.pk}",
            to=hook.url, body=payload.get("summary") or payload.get("text", ""), payload=payload,
            conversation_id=event.conversation_id, call=event.call, line=event.line, webhook=hook, ref=ref,
        )  # fmt: skip
        count += 1
    return count


def on_caller_message(message) -> None:
    """A caller's real reply (STOP, START and HELP never get here): alert the people who owe the answer,
    and when this message started the SLA clock, schedule its escalation."""
    from textback.alerts import escalation

    conversation = Conversation.objects.get(pk=message.conversation_id)
    conversation.line, conversation.contact, conversation.business = message.line, message.contact, message.business
    event = compose.Event(
        compose.REPLY, message.business, line=message.line, contact=message.contact,
        conversation_id=conversation.pk, text=message.body, at=message.created_at,
    )  # fmt: skip
    people = [m for m in recipients.recipients_for(conversation) if m.alert_on_reply]
    key = f"reply:{message.pk}"
    if people:
        seen_at = coalesce.seen_at(conversation.pk)
        alert_people(event, people, key, queue_one=functools.partial(_reply_alert, seen_at=seen_at))
    alert_webhooks(event, key)
    if conversation.awaiting_since == message.created_at:  # this message started the clock
        escalation.schedule(conversation)


_ANYONE_WANTS_MISSED_CALLS = (
    "SELECT EXISTS (SELECT 1 FROM accounts_membership WHERE business_id = %s AND alert_on_missed_call = %s) "
    "OR EXISTS (SELECT 1 FROM alerts_alertwebhook WHERE business_id = %s AND active = %s AND on_missed_call = %s)"
)


def on_missed_call(call, contact) -> None:
    """A call nobody answered: alert the line's staff who asked for every missed call (default: nobody); a caller
    with an owner (their technician), the owner instead. A caller who rings again and again is one alert: a call
    within BURST of their previous missed call alerts nobody (rules/bursts.py).

    The webhook's cost when nobody asked is this one query (the missed-call budget)."""
    business_id = call.business_id
    (wanted,) = sql.fetchone(_ANYONE_WANTS_MISSED_CALLS, [business_id, True, business_id, True, True])
    if not sql.as_bool(wanted) or (contact is not None and _in_a_burst(call, contact)):
        return
    line = call.line
    conversation_id = (
        Conversation.objects.filter(line=line, contact=contact).values_list("pk", flat=True).first()
        if contact
        else None
    )
    event = compose.Event(
        compose.MISSED_CALL, line.business, line=line, contact=contact, conversation_id=conversation_id, call=call,
        at=timezone.now(),
    )  # fmt: skip
    owner = recipients.owner_of(contact) if contact is not None else None
    staff = [owner] if owner is not None else recipients.line_staff(line.pk, business_id)
    people = [m for m in staff if m.alert_on_missed_call]
    key = f"missed:{call.pk}"
    alert_people(event, people, key)
    alert_webhooks(event, key)


def _in_a_burst(call, contact) -> bool:
    """Whether this caller's previous missed call (on any line) was within a burst of this one."""
    previous = (
        Call.objects.filter(business_id=call.business_id, contact=contact, decided_at__isnull=False)
        .exclude(pk=call.pk)
        .exclude(outcome=ANSWERED)
        .order_by("-decided_at")
        .values_list("decided_at", flat=True)
        .first()
    )
    return bursts.same_burst(previous, timezone.now())
