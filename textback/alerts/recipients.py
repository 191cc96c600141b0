"""Who an alert goes to, and on which of their channels right now.

The rule itself (the conversation's assignee, or with none the line's staff; quiet times) lives in
textback/accounts/alerting.py, which the inbox's browser notifications ask too; this module adds what
only alerts need: the staff of a line for a missed call, the people escalations go to, and the channels
that can reach a person.
"""

from django.db.models import Q

from textback.accounts.access import can
from textback.accounts.alerting import in_quiet_time, owner_of, recipients_for  # noqa: F401  (the one rule)
from textback.accounts.models import Membership


def line_staff(line_id: int, business_id: int) -> list[Membership]:
    """Members who serve the line (alerting.serves: they list it, or list no lines), in one query."""
    return list(
        Membership.objects.filter(business_id=business_id)
        .filter(Q(lines__id=line_id) | Q(lines__isnull=True))
        .select_related("user")
        .distinct()
        .order_by("pk")
    )


def escalation_staff(business_id: int) -> list[Membership]:
    """The people whose role receives escalations (accounts/access.py) and who asked to hear about callers
    left waiting."""
    members = Membership.objects.filter(business_id=business_id, alert_on_sla=True).select_related("user")
    return [m for m in members.order_by("pk") if can(m, "receive_escalations")]


def channels_for(membership: Membership) -> list[str]:
    """The channels this person chose that can reach them (an address; a phone they verified: an unverified
    one may be anybody's, and never gets a caller's words)."""
    from textback.alerts.models import Alert

    chosen = []
    if membership.alert_email and membership.user.email:
        chosen.append(Alert.EMAIL)
    if membership.alert_sms and membership.phone_is_verified:
        chosen.append(Alert.SMS)
    return chosen
