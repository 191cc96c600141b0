"""Changes to a business's on-call schedule: its weekly slots and its on-call order (the escalation order).

Every function takes the business and looks the person up within it, so an id from another business
is refused like one that does not exist.
"""

from datetime import time

from django.db.models import Max

from textback.accounts.models import Membership
from textback.inbox.presence import display_name
from textback.rules.models import OnCallPerson, OnCallSlot

MAX_SLOTS, MAX_PEOPLE = 200, 50


class Invalid(ValueError):
    """A change that cannot be made, and why."""


def check_member(business, membership_id: int) -> Membership:
    member = Membership.objects.select_related("user").filter(business=business, pk=membership_id).first()
    if member is None:
        raise Invalid("Choose one of your staff from the list.")
    return member


def people_choices(business) -> list[tuple[int, str]]:
    members = Membership.objects.filter(business=business).select_related("user").order_by("pk")
    return [(m.pk, f"{display_name(m.user)} ({m.get_role_display().lower()})") for m in members]


def do_add_slots(business, member: Membership, days: list[int], starts: time, ends: time) -> int:
    if OnCallSlot.objects.filter(business=business).count() + len(days) > MAX_SLOTS:
        raise Invalid(f"A schedule holds at most {MAX_SLOTS} slots; remove some first.")
    OnCallSlot.objects.bulk_create(
        OnCallSlot(business=business, membership=member, weekday=day, starts=starts, ends=ends) for day in sorted(days)
    )
    return len(days)


def do_remove_slot(business, slot_id: int) -> bool:
    return OnCallSlot.objects.filter(business=business, pk=slot_id).delete()[0] > 0


def do_add_person(business, member: Membership) -> bool:
    """Put the person last in the on-call order (False: they were in it already)."""
    listed = OnCallPerson.objects.filter(business=business)
    if listed.filter(membership=member).exists():
        return False
    if listed.count() >= MAX_PEOPLE:
        raise Invalid(f"The on-call order holds at most {MAX_PEOPLE} people.")
    last = listed.aggregate(last=Max("position"))["last"]
    OnCallPerson.objects.create(business=business, membership=member, position=0 if last is None else last + 1)
    return True


def do_remove_person(business, membership_id: int) -> bool:
    return OnCallPerson.objects.filter(business=business, membership_id=membership_id).delete()[0] > 0


def do_move_up(business, membership_id: int) -> bool:
    """Swap the person with the one before them in the on-call order."""
    order = list(OnCallPerson.objects.filter(business=business).select_for_update().order_by("position", "pk"))
    index = next((n for n, p in enumerate(order) if p.membership_id == membership_id), None)
    if not index:
        return False
    order[index - 1], order[index] = order[index], order[index - 1]
    do_set_order(business, [p.membership_id for p in order])
    return True


def do_set_order(business, membership_ids: list[int]) -> None:
    """Replace the on-call order (ids checked to be the business's members by the caller)."""
    OnCallPerson.objects.filter(business=business).delete()
    OnCallPerson.objects.bulk_create(
        OnCallPerson(business=business, membership_id=pk, position=n)
        for n, pk in enumerate(dict.fromkeys(membership_ids))
    )
