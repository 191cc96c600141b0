"""textback oncall show|add-slot|clear-slots|order: a business's on-call schedule and escalation order."""

import re
from datetime import time

from django.db import transaction
from django.utils import timezone

from textback.accounts.models import Membership
from textback.ops import cli
from textback.rules import oncall, paging, routes, schedule
from textback.rules.models import OnCallPerson, OnCallSlot

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _days(text: str) -> list[int]:
    """'mon-fri', 'sat,sun', 'tue' or 'all' as weekday numbers (0 = Monday)."""
    found: list[int] = []
    for part in cli.split(text.lower()) or [""]:
        if part in ("all", "every", "daily"):
            return list(range(7))
        first, _, last = part.partition("-")
        if first[:3] not in DAYS or (last and last[:3] not in DAYS):
            raise cli.fail(f"--days: {part!r} is not a day; write e.g. mon-fri, sat,sun or all")
        lo, hi = DAYS.index(first[:3]), DAYS.index((last or first)[:3])
        found += [(lo + n) % 7 for n in range((hi - lo) % 7 + 1)]
    return sorted(set(found))


def _time(text: str, flag: str) -> time:
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", text.strip())
    if not match:
        raise cli.fail(f"{flag}: write the time as HH:MM on a 24-hour clock, e.g. 17:00")
    return time(int(match[1]), int(match[2]))


def _member(business, email: str) -> Membership:
    member = Membership.objects.filter(business=business, user__username__iexact=email.strip()).first()
    if member is None:
        raise cli.fail(f"{email} is not a member of {business.slug}; `textback user list --business {business.slug}`")
    return member


class Command(cli.VerbCommand):
    help = "Show and change who is on call when, and the order emergency pages escalate in."
    verbs = {
        "show": "Show the slots, the on-call order, and who would be paged now.",
        "add-slot": "Put someone on call on some days between two times (business time zone).",
        "clear-slots": "Remove every slot (of one person, with --email).",
        "order": "Set the on-call order (who is paged next when nobody acknowledges).",
    }

    def add_show_arguments(self, parser):
        parser.add_argument("slug")

    def add_add_slot_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--email", required=True, help="the person's sign-in address")
        parser.add_argument("--days", required=True, help="e.g. mon-fri, sat,sun or all")
        parser.add_argument("--from", dest="starts", required=True, metavar="HH:MM")
        parser.add_argument(
            "--until", dest="ends", required=True, metavar="HH:MM", help="at or before --from: the next day"
        )

    def add_clear_slots_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--email", help="only this person's slots")

    def add_order_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument(
            "--emails", required=True, metavar="LIST", help="comma-separated, first paged first; '' to clear"
        )

    def do_show(self, *, slug, **options):
        business = cli.business(slug)
        slots = OnCallSlot.objects.filter(business=business).select_related("membership__user")
        cli.table(self.stdout, ["DAY", "FROM", "UNTIL", "WHO"],
                  [(DAYS[s.weekday], f"{s.starts:%H:%M}", f"{s.ends:%H:%M}", s.membership.user.username) for s in slots])  # fmt: skip
        order = OnCallPerson.objects.filter(business=business).select_related("membership__user")
        self.stdout.write("Order: " + (", ".join(p.membership.user.username for p in order) or "(none)"))
        people = {m.pk: m.user.username for m in Membership.objects.filter(business=business).select_related("user")}
        now = [people[pk] for pk in oncall.on_call(paging.schedule_of(business), timezone.now())]
        self.stdout.write("Paged now, in order: " + ", ".join(now))
        self.stdout.write(f"Next person paged after {paging.escalate_minutes(business)} min without an ACK.")
        for route in routes.routes_of(business):
            state = "on" if route.active else "off"
            self.stdout.write(f"Route {route.action} ({state}): {', '.join(route.words)}")

    def do_add_slot(self, *, slug, email, days, starts, ends, **options):
        business = cli.business(slug)
        member, day_list = _member(business, email), _days(days)
        try:
            with transaction.atomic():
                count = schedule.do_add_slots(
                    business, member, day_list, _time(starts, "--from"), _time(ends, "--until")
                )
        except schedule.Invalid as exc:
            raise cli.fail(str(exc)) from None
        self.stdout.write(f"{member.user.username} is on call in {cli.plural(count, 'more slot')}.")

    def do_clear_slots(self, *, slug, email, **options):
        business = cli.business(slug)
        slots = OnCallSlot.objects.filter(business=business)
        if email:
            slots = slots.filter(membership=_member(business, email))
        count = slots.delete()[0]
        self.stdout.write(f"Removed {cli.plural(count, 'slot')}.")

    def do_order(self, *, slug, emails, **options):
        business = cli.business(slug)
        members = [_member(business, email) for email in cli.split(emails)]
        with transaction.atomic():
            schedule.do_set_order(business, [m.pk for m in members])
        self.stdout.write("On-call order: " + (", ".join(m.user.username for m in members) or "(none: the owners)"))
