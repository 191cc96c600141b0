"""Who may do what, in one place: every staff view reaches its business through `business_or_404`.

A user who is not a member of the business gets 404 (the business might as well not exist); a member
whose role is too low for the action gets 403 with the reason. The roles are cumulative:

- agent: sees and answers the conversations of the lines they serve (every line when none is listed);
- manager: also assigns, sets outcomes, sees every line and is alerted to SLA breaches;
- owner: also manages staff, lines, settings and alert webhooks.

What an agent who serves some lines sees, one rule for every page (the `visible_*` querysets below): the
conversations of their lines **and the conversations a manager assigned to them**, on any line (a hand-over
would be useless if the agent could not open it). A conversation is the thread between one line and one
contact, so what belongs to it comes with it: the calls from that contact to that line (with their
voicemails and provider events), its messages (and their pictures), the contact, and the contact's consent
history. A call from the same contact to a third line is not part of the hand-over and stays hidden, as do
that line's conversations. Anything hidden is 404, as if it did not exist.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from textback.accounts.models import Business, Membership
from textback.calls.models import Call
from textback.messaging.models import ConsentEvent, Contact, Conversation, Message

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
    "export_records": Membership.MANAGER,  # the consent ledger as CSV, a contact's data as JSON
    "erase_contact": Membership.MANAGER,  # a contact's data erased on request (GDPR/CCPA)
    "manage_on_call": Membership.MANAGER,  # the on-call schedule and the keyword routes (rules/views.py)
    "view_reports": Membership.MANAGER,  # the recovery report, its CSV exports and the ROI calculator (revenue)
    "manage_staff": Membership.OWNER,
    "manage_lines": Membership.OWNER,
    "manage_settings": Membership.OWNER,
    "manage_webhooks": Membership.OWNER,
    "manage_api_tokens": Membership.OWNER,  # /api/v1 tokens (textback/api)
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


def sees_conversation(membership: Membership, line_id: int, assignee_id: int | None) -> bool:
    """The rule for one conversation, from its line and assignee (for code that has read those itself)."""
    lines = visible_line_ids(membership)
    return lines is None or line_id in lines or assignee_id == membership.user_id


def _on_their_lines_or(membership: Membership, rows: QuerySet, handed_over: Q | Exists) -> QuerySet:
    """The business's rows; for an agent who serves some lines, those on their lines or `handed_over` to them."""
    rows = rows.filter(business_id=membership.business_id)
    lines = visible_line_ids(membership)
    return rows if lines is None else rows.filter(Q(line_id__in=lines) | handed_over)


def visible_conversations(membership: Membership) -> QuerySet:
    """The business's conversations this person may open: on their lines, or assigned to them."""
    return _on_their_lines_or(membership, Conversation.objects.all(), Q(assignee_id=membership.user_id))


def visible_calls(membership: Membership) -> QuerySet:
    """The business's calls this person may open: on their lines, or part of a conversation (the same line
    and caller) assigned to them."""
    handed_over = Conversation.objects.filter(
        line_id=OuterRef("line_id"), contact_id=OuterRef("contact_id"), assignee_id=membership.user_id
    )
    return _on_their_lines_or(membership, Call.objects.all(), Exists(handed_over))


def visible_messages(membership: Membership) -> QuerySet:
    """The business's messages this person may read: those of the conversations they may open."""
    return _on_their_lines_or(membership, Message.objects.all(), Q(conversation__assignee_id=membership.user_id))


def visible_contacts(membership: Membership) -> QuerySet:
    """The business's contacts this person may look up: those of a conversation or a call they may open."""
    rows = Contact.objects.filter(business_id=membership.business_id)
    if visible_line_ids(membership) is None:
        return rows
    conversations = visible_conversations(membership).filter(contact_id=OuterRef("pk"))
    calls = visible_calls(membership).filter(contact_id=OuterRef("pk"))
    return rows.filter(Exists(conversations) | Exists(calls))


def visible_consent_events(membership: Membership) -> QuerySet:
    """The consent ledger this person may read: opt-outs, opt-ins and help requests on their lines, and those
    of the contacts they may look up (whichever line, or the carrier, recorded them)."""
    theirs = Q(number__in=visible_contacts(membership).values("number"))
    return _on_their_lines_or(membership, ConsentEvent.objects.all(), theirs)
