"""Who is alerted about a conversation, in one place (the inbox's browser notifications and the
email/SMS alerts all ask here).

The rule: the conversation's assignee; with nobody assigned (or an assignee who no longer works for
the business), the staff of its line, that is every member who lists the line among the lines they
serve or who lists no lines at all (serves every line). Each of those people is then alerted on a
channel only when they switched that channel and that kind of event on, and not during their quiet
time (in the business's time zone), except for escalations they opted to receive in quiet time.
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from textback.accounts.models import Membership

EMAIL, SMS, BROWSER = "email", "sms", "browser"
REPLY, MISSED_CALL, SLA = "reply", "missed_call", "sla"

_CHANNEL_FIELD = {EMAIL: "alert_email", SMS: "alert_sms", BROWSER: "alert_browser"}
_EVENT_FIELD = {REPLY: "alert_on_reply", MISSED_CALL: "alert_on_missed_call", SLA: "alert_on_sla"}


def serves(line_ids: set[int] | frozenset[int], line_id: int) -> bool:
    """Whether someone serving `line_ids` (empty: every line) serves this line."""
    return not line_ids or line_id in line_ids


def is_responsible(user_id: int, line_ids, *, assignee_id: int | None, assignee_is_member: bool, line_id: int) -> bool:
    """The rule for one person and one conversation, on plain values (the inbox list asks it per row)."""
    if assignee_id is not None and assignee_is_member:
        return assignee_id == user_id
    return serves(line_ids, line_id)


def recipients_for(conversation) -> list[Membership]:
    """The memberships responsible for this conversation: its assignee, else its line's staff."""
    members = list(
        Membership.objects.filter(business_id=conversation.business_id)
        .select_related("user", "business")
        .prefetch_related("lines")
        .order_by("pk")
    )
    assignee_is_member = any(m.user_id == conversation.assignee_id for m in members)
    return [
        m
        for m in members
        if is_responsible(
            m.user_id,
            {line.pk for line in m.lines.all()},
            assignee_id=conversation.assignee_id,
            assignee_is_member=assignee_is_member,
            line_id=conversation.line_id,
        )
    ]


def owner_of(contact) -> Membership | None:
    """The caller's owner (Contact.owner, their technician), while they work for the business: their calls and
    conversations are the owner's (a conversation is assigned to them, messaging.actions.route_to_owner)."""
    if not contact.owner_id:
        return None
    # Read once per contact and owner: the text-back's {staff}, the assignment and the alerts of one call all ask.
    known = contact.__dict__.get("_owner_membership")
    if known is not None and known[0] == contact.owner_id:
        return known[1]
    found = Membership.objects.filter(business_id=contact.business_id, user_id=contact.owner_id)
    membership = found.select_related("user").first()
    contact.__dict__["_owner_membership"] = (contact.owner_id, membership)
    return membership


def in_quiet_time(membership: Membership, at: datetime, time_zone: str) -> bool:
    """Whether `at` falls in the person's quiet time (which may run past midnight; start == end: none)."""
    start, end = membership.quiet_start, membership.quiet_end
    if start is None or end is None or start == end:
        return False
    local: time = at.astimezone(ZoneInfo(time_zone)).time().replace(tzinfo=None)
    if start < end:
        return start <= local < end
    return local >= start or local < end


def quiet_time_ends(membership: Membership, at: datetime, time_zone: str) -> datetime | None:
    """When the quiet time that `at` falls in ends, in the business's time zone; None when `at` is not in it."""
    if not in_quiet_time(membership, at, time_zone):
        return None
    zone = ZoneInfo(time_zone)
    local = at.astimezone(zone)
    end = datetime.combine(local.date(), membership.quiet_end, tzinfo=zone)
    return end if end > local else datetime.combine(local.date() + timedelta(days=1), membership.quiet_end, tzinfo=zone)


def wants(membership: Membership, channel: str, event: str, at: datetime | None = None) -> bool:
    """Whether this person wants an alert of this kind on this channel at this moment."""
    if not getattr(membership, _CHANNEL_FIELD[channel]) or not getattr(membership, _EVENT_FIELD[event]):
        return False
    if event == SLA and membership.escalations_in_quiet_time:
        return True
    return not in_quiet_time(membership, at or timezone.now(), membership.business.time_zone)


def recipients(conversation, channel: str, event: str = REPLY, at: datetime | None = None) -> list[Membership]:
    """The people to alert about this conversation on this channel now."""
    return [m for m in recipients_for(conversation) if wants(m, channel, event, at)]
