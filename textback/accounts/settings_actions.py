"""What an owner changes on the settings pages: the business profile and its opening hours.

`check_*` functions say what is wrong in words for the owner and write nothing; `do_*` functions
write, inside the caller's transaction (the settings views wrap each in `transaction.atomic()`).
"""

from dataclasses import dataclass
from datetime import time

from textback.accounts.hours import Span
from textback.accounts.models import Business, OpeningHours

DAY = 24 * 60
WEEK = 7 * DAY
PROFILE_FIELDS = (
    "name", "time_zone", "country", "help_contact", "textback_outcomes", "allowed_countries", "cooldown_hours",
    "staleness_minutes", "sla_amber_minutes", "sla_red_minutes", "escalate_after_minutes",
    "texts_per_hour", "texts_per_day",
)  # fmt: skip


def do_update_business(business: Business, values: dict) -> list[str]:
    """Set the profile fields given and save those that changed; returns their names."""
    changed = [field for field in PROFILE_FIELDS if field in values and getattr(business, field) != values[field]]
    for field in changed:
        setattr(business, field, values[field])
    if changed:
        business.save(update_fields=changed)
    if REFIGURE.intersection(changed):
        from textback.reports import funnel, weekly

        funnel.forget_all(business)
        weekly.do_time_zone_changed(business)  # the weekly email's Monday 08:00 is the new zone's
    return changed


# The report's kept days are the business's local days: another time zone makes other days. (Hours and the SLA
# red mark are not here: a settled day keeps the breaches figured by the rules in force then.)
REFIGURE = {"time_zone"}


@dataclass(frozen=True)
class SpanProblem:
    """A span that cannot be saved: which one (weekday and its place in that day's list) and why."""

    weekday: int
    index: int
    message: str


def _minutes(at: time) -> int:
    return at.hour * 60 + at.minute


def _week_intervals(span: Span) -> list[tuple[int, int]]:
    """The span as minutes since Monday 00:00, split in two when it runs from Sunday night into Monday."""
    start = span.weekday * DAY + _minutes(span.opens)
    end = start + (_minutes(span.closes) - _minutes(span.opens)) % DAY
    if end <= WEEK:
        return [(start, end)]
    return [(start, WEEK), (0, end - WEEK)]


def _label(at: time) -> str:
    return at.strftime("%-I:%M %p")


def check_opening_hours(days: dict[int, list[Span]]) -> list[SpanProblem]:
    """What keeps these spans (weekday → that day's spans, in the order typed) from being saved."""
    problems, accepted = [], []
    for weekday in sorted(days):
        for index, span in enumerate(days[weekday]):
            if span.opens == span.closes:
                problems.append(SpanProblem(weekday, index, "Opens and closes at the same time, so it is never open."))
                continue
            clash = next((other for other in accepted if _overlap(span, other)), None)
            if clash is not None:
                day = OpeningHours.WEEKDAYS[clash.weekday][1]
                problems.append(
                    SpanProblem(
                        weekday,
                        index,
                        f"Overlaps {day} {_label(clash.opens)}–{_label(clash.closes)}; "
                        "make the spans follow one another, or join them into one.",
                    )
                )
                continue
            accepted.append(span)
    return problems


def opening_hours_problem(spans: list[Span]) -> str:
    """The first reason these spans (typed as text, in any order) cannot be saved, or ""."""
    days: dict[int, list[Span]] = {}
    for span in spans:
        days.setdefault(span.weekday, []).append(span)
    problems = check_opening_hours(days)
    if not problems:
        return ""
    first = problems[0]
    return f"{OpeningHours.WEEKDAYS[first.weekday][1]}: {first.message}"


def _overlap(a: Span, b: Span) -> bool:
    return any(s1 < e2 and s2 < e1 for s1, e1 in _week_intervals(a) for s2, e2 in _week_intervals(b))


def do_set_opening_hours(business: Business, spans: list[Span]) -> None:
    """Replace every opening span of the business with these (none: hours not set, always open).

    Locks the business row first so two owners saving at once leave one of their weeks, not a mix."""
    Business.objects.select_for_update().filter(pk=business.pk).first()
    OpeningHours.objects.filter(business=business).delete()
    OpeningHours.objects.bulk_create(
        OpeningHours(business=business, weekday=s.weekday, opens=s.opens, closes=s.closes) for s in spans
    )
