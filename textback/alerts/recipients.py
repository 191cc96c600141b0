"""Who an alert goes to, and on which of their channels right now.

PRIVATE COPY: textback/accounts/alerting.py `recipients_for` (written in parallel) states the same rule;
the two are to be merged into one at merge time. The rule: the conversation's assignee, or with none
the line's staff — members whose `lines` include the line or who list no lines (they serve every line).
"""

import zoneinfo
from datetime import datetime

from django.db.models import Q

from textback.accounts.models import Membership


def line_staff(line_id: int, business_id: int) -> list[Membership]:
    return list(
        Membership.objects.filter(business_id=business_id)
        .filter(Q(lines__id=line_id) | Q(lines__isnull=True))
        .select_related("user")
        .distinct()
        .order_by("pk")
    )


def recipients_for(conversation) -> list[Membership]:
    """The assignee (while still a member of the business), else the line's staff."""
    if conversation.assignee_id:
        assignee = (
            Membership.objects.filter(business_id=conversation.business_id, user_id=conversation.assignee_id)
            .select_related("user")
            .first()
        )
        if assignee is not None:
            return [assignee]
    return line_staff(conversation.line_id, conversation.business_id)


def escalation_staff(business_id: int) -> list[Membership]:
    """Managers and owners who asked to hear about callers left waiting."""
    return list(
        Membership.objects.filter(
            business_id=business_id, role__in=[Membership.MANAGER, Membership.OWNER], alert_on_sla=True
        )
        .select_related("user")
        .order_by("pk")
    )


def in_quiet_time(membership: Membership, at: datetime, time_zone: str) -> bool:
    """Whether `at` falls in the person's quiet time (their business's wall clock; it may run past midnight)."""
    start, end = membership.quiet_start, membership.quiet_end
    if start is None or end is None or start == end:
        return False
    local = at.astimezone(zoneinfo.ZoneInfo(time_zone)).time().replace(tzinfo=None)
    if start < end:
        return start <= local < end
    return local >= start or local < end


def channels_for(membership: Membership) -> list[str]:
    """The channels this person chose that can reach them (an address, a phone on file)."""
    from textback.alerts.models import Alert

    chosen = []
    if membership.alert_email and membership.user.email:
        chosen.append(Alert.EMAIL)
    if membership.alert_sms and membership.phone:
        chosen.append(Alert.SMS)
    return chosen
