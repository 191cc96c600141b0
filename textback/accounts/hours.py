"""Opening hours as the rows keep them, turned into a `Schedule` (textback/lib/hours.py has the rules).

`schedule_of(business, line=None)` builds the one value every question about hours is asked of: the
weekly spans (the line's own when it keeps its own hours, else the business's), the closures that
apply (the business's, and the line's), and the business's public holidays. The older span-list
functions stay for their callers (the hours settings form works on spans).
"""

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from textback.lib import hours as rules
from textback.lib import sql
from textback.lib.hours import Closure, Schedule, Span

__all__ = ["Closure", "Schedule", "Span", "after_open_time", "is_open", "next_opening", "schedule_of", "spans_of"]


def spans_of(business) -> list[Span]:
    return [Span(h.weekday, h.opens, h.closes) for h in business.opening_hours.all()]


def line_spans(line) -> list[Span]:
    """A line's own weekly spans, from its JSON list of [weekday, "HH:MM", "HH:MM"]."""
    return [Span(int(d), time.fromisoformat(a), time.fromisoformat(b)) for d, a, b in line.hours or []]


# The weekly spans (unless the line keeps its own) and the closures that apply, in one round trip: this
# runs for most missed calls, so it stays raw SQL (calls/actions.py, ARCHITECTURE's CPU budget per call).
_SPANS = (
    "SELECT 0, weekday, opens, closes, CAST(NULL AS DATE), CAST(NULL AS DATE), '' "
    "FROM accounts_openinghours WHERE business_id = %s"
)
_CLOSURES = (
    "SELECT 1, 0, CAST(NULL AS TIME), CAST(NULL AS TIME), first_day, last_day, label FROM rules_closure "
    "WHERE business_id = %s AND last_day >= %s AND (line_id IS NULL OR line_id = %s)"
)


def schedule_of(business, line=None) -> Schedule:
    """The schedule that says when `line` (or the business as a whole) is open: one query."""
    own = line is not None and line.own_hours
    since = timezone.now().date() - timedelta(days=2)  # "today" in every zone, and yesterday's late spans
    closures_args = [business.pk, since, line.pk if line is not None else None]
    query, args = (
        (_CLOSURES, closures_args) if own else (f"{_SPANS} UNION ALL {_CLOSURES}", [business.pk, *closures_args])
    )
    spans, closures = [], []
    for kind, weekday, opens, closes, first, last, label in sql.fetchall(query, args):
        if kind == 0:
            spans.append(Span(weekday, _time(opens), _time(closes)))
        else:
            closures.append(Closure(_date(first), _date(last), label))
    country, subdivision = business.holiday_region
    spans = line_spans(line) if own else spans
    return Schedule(
        tuple(spans), business.time_zone, tuple(sorted(closures, key=lambda c: c.first)), country, subdivision
    )


def _time(value) -> time:
    return value if isinstance(value, time) else time.fromisoformat(value)


def _date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _plain(spans: list[Span], time_zone: str) -> Schedule:
    return Schedule(tuple(spans), time_zone)


def is_open(spans: list[Span], time_zone: str, at: datetime) -> bool:
    return rules.is_open(_plain(spans, time_zone), at)


def next_opening(spans: list[Span], time_zone: str, at: datetime) -> datetime:
    """`at` itself when open then; else the next moment the weekly spans open (`at` when they never do)."""
    return rules.next_opening(_plain(spans, time_zone), at) or at


def after_open_time(spans: list[Span], time_zone: str, start: datetime, seconds: float) -> datetime:
    return rules.after_open_time(_plain(spans, time_zone), start, seconds)
