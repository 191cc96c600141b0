"""What an owner does to the staff of a business: change a role, set the lines someone serves, remove them.

A business always keeps an owner: demoting or removing the last one is refused. Each change locks the
business's owner rows first, so two owners demoting each other at the same moment cannot both win.
"""

from textback.accounts.invitations import Refused
from textback.accounts.models import Membership

__all__ = ["Refused", "do_change_role", "do_remove", "do_set_lines"]


def _owners_locked(business) -> list[int]:
    owners = Membership.objects.select_for_update().filter(business=business, role=Membership.OWNER)
    return list(owners.values_list("pk", flat=True))


def _refuse_if_last_owner(membership: Membership, doing: str) -> None:
    if membership.role == Membership.OWNER and _owners_locked(membership.business) == [membership.pk]:
        raise Refused(
            f"{membership.user.get_full_name() or membership.user.get_username()} is the only owner of "
            f"{membership.business.name}, so they cannot be {doing}. Make someone else an owner first."
        )


def do_change_role(membership: Membership, role: str) -> bool:
    """Give the member `role`; False when it was theirs already. Call inside a transaction."""
    if role not in dict(Membership.ROLES):
        raise Refused("Choose a role: owner, manager or agent.")
    if role == membership.role:
        return False
    if role != Membership.OWNER:
        _refuse_if_last_owner(membership, "given another role")
    membership.role = role
    membership.save(update_fields=["role"])
    return True


def do_set_lines(membership: Membership, lines) -> None:
    """The lines this member serves (none: every line). The lines must be the business's own."""
    if any(line.business_id != membership.business_id for line in lines):
        raise Refused("A line of another business cannot be served here.")
    membership.lines.set(lines)


def do_remove(membership: Membership) -> None:
    """Take the person out of the business; their account stays (they may work for other businesses).

    Their open conversations there go back to unassigned, so none waits on someone who has left, and
    they stop owning the business's contacts."""
    from textback.messaging.models import Contact, Conversation

    _refuse_if_last_owner(membership, "removed")
    business, user = membership.business, membership.user
    Conversation.objects.filter(business=business, assignee=user).update(assignee=None)
    Contact.objects.filter(business=business, owner=user).update(owner=None)
    membership.delete()
