"""Opening hours as the rows keep them, turned into a `Schedule` (textback/lib/hours.py has the rules).

`schedule_of(business, line=None)` builds the one value every question about hours is asked of: the
weekly spans (the line's own when it keeps its own hours, else the business's), the closures that
apply (the business's, and the line's), and the business's public holidays. The older span-list
functions stay for their callers (the hours settings form works on spans).
"""

from datetime import date, datetime, time

from django.utils import timezone

from textback.lib import hours as rules
from textback.lib.hours import Closure, Schedule, Span

__all__ = ["Closure", "Schedule", "Span", "after_open_time", "is_open", "next_opening", "schedule_of", "spans_of"]


def spans_of(business) -> list[Span]:
    return [Span(h.weekday, h.opens, h.closes) for h in business.opening_hours.all()]


def line_spans(line) -> list[Span]:
    """A line's own weekly spans, from its JSON list of [weekday, "HH:MM", "HH:MM"]."""
    return [Span(int(d), time.fromisoformat(a), time.fromisoformat(b)) for d, a, b in line.hours or []]


def closures_of(business, line=None, *, since: date | None = None) -> list[Closure]:
    from django.db.models import Q

    from textback.rules.models import Closure as ClosureRow

    since = since or (timezone.now().date().replace(day=1))  # a month back covers every zone's "today"
    rows = ClosureRow.objects.filter(business=business, last_day__gte=since)
    rows = rows.filter(Q(line=None) | Q(line=line)) if line is not None else rows.filter(line=None)
    return [Closure(r.first_day, r.last_day, r.label) for r in rows.order_by("first_day")]


def schedule_of(business, line=None) -> Schedule:
    """The schedule that says when `line` (or the business as a whole) is open: two small queries."""
    spans = line_spans(line) if line is not None and line.own_hours else spans_of(business)
    country, subdivision = business.holiday_region
    return Schedule(tuple(spans), business.time_zone, tuple(closures_of(business, line)), country, subdivision)


def _plain(spans: list[Span], time_zone: str) -> Schedule:
    return Schedule(tuple(spans), time_zone)


def is_open(spans: list[Span], time_zone: str, at: datetime) -> bool:
    return rules.is_open(_plain(spans, time_zone), at)


def next_opening(spans: list[Span], time_zone: str, at: datetime) -> datetime:
    """`at` itself when open then; else the next moment the weekly spans open (`at` when they never do)."""
    return rules.next_opening(_plain(spans, time_zone), at) or at


def after_open_time(spans: list[Span], time_zone: str, start: datetime, seconds: float) -> datetime:
    return rules.after_open_time(_plain(spans, time_zone), start, seconds)
