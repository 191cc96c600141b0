"""Who may do what, in one place: every staff view reaches its business through `business_or_404`.

A user who is not a member of the business gets 404 (the business might as well not exist); a member
whose role is too low for the action gets 403 with the reason. The roles are cumulative:

- agent: sees and answers the conversations of the lines they serve (every line when none is listed);
- manager: also assigns, sets outcomes, sees every line and is alerted to SLA breaches;
- owner: also manages staff, lines, settings and alert webhooks.
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils import timezone

from textback.accounts.models import Business, Membership

RANK = {Membership.AGENT: 0, Membership.MANAGER: 1, Membership.OWNER: 2}

# Each action and the lowest role that may take it.
ACTIONS = {
    "view": Membership.AGENT,
    "reply": Membership.AGENT,
    "note": Membership.AGENT,
    "close": Membership.AGENT,
    "edit_contact": Membership.AGENT,
    "assign": Membership.MANAGER,
    "set_outcome": Membership.MANAGER,
    "see_all_lines": Membership.MANAGER,
    "exclude_number": Membership.MANAGER,
    "canned_replies": Membership.MANAGER,
    "receive_escalations": Membership.MANAGER,  # alerted to callers left waiting (SLA escalation)
    "manage_staff": Membership.OWNER,
    "manage_lines": Membership.OWNER,
    "manage_settings": Membership.OWNER,
    "manage_webhooks": Membership.OWNER,
}

ROLE_NAMES = dict(Membership.ROLES)


def can(membership: Membership | None, action: str) -> bool:
    """Whether this membership's role allows the action (KeyError for an action nobody declared)."""
    needed = ACTIONS[action]
    return membership is not None and RANK[membership.role] >= RANK[needed]


def require(membership: Membership, action: str) -> None:
    if not can(membership, action):
        needed = ROLE_NAMES[ACTIONS[action]].lower()
        raise PermissionDenied(f"This needs the {needed} role or higher; ask an owner of {membership.business}.")


def membership_for(user, business_slug: str) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.select_related("business", "user").filter(user=user, business__slug=business_slug).first()


def business_or_404(request, slug: str, action: str = "view") -> Business:
    """The business, if the signed-in user belongs to it and their role allows `action`.

    Sets `request.membership` and activates the business's time zone, so pages show its local times."""
    membership = membership_for(request.user, slug)
    if membership is None:
        get_object_or_404(Business.objects.none())  # raises Http404: not a member is the same as not there
    require(membership, action)
    request.membership = membership
    business = membership.business
    business.membership = membership
    timezone.activate(business.time_zone)
    return business


def served_line_ids(membership: Membership) -> frozenset[int]:
    """The lines the person lists as theirs (empty: every line), read once per membership object (a page
    asks several times)."""
    if not hasattr(membership, "_served_line_ids"):
        membership._served_line_ids = frozenset(membership.lines.values_list("pk", flat=True))
    return membership._served_line_ids


def visible_line_ids(membership: Membership) -> list[int] | None:
    """The lines whose conversations this person sees; None means every line of the business."""
    if can(membership, "see_all_lines"):
        return None
    return sorted(served_line_ids(membership)) or None
