"""Schedules: whether a business (or one of its lines) is open at a moment, when it next opens, and
what its hours are on a day.

A `Schedule` is built once from the rows (weekly spans, closures by date, public holidays) and the
functions here are pure. The rules:

- Spans are weekday + local opening and closing times in the schedule's time zone; a span whose
  closing time is not after its opening time runs past midnight into the next day.
- A closure (a dated range the business wrote, e.g. "Staff training") or a public holiday closes the
  spans that *open* on that local date; a span opening the evening before still runs past midnight.
- A schedule with no spans has not said, and counts as always open; public holidays do not close it
  (someone who never set hours may well answer on Christmas), but a closure they wrote does, for
  the whole local day.
- Times are computed on local wall clocks with zoneinfo (fold 0 for a time that happens twice), so a
  DST change moves opening time with the clock, as people expect.
"""

import functools
import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import holidays as holiday_calendars

MIDNIGHT = time(0, 0)
WEEKDAY_NAMES = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")


@dataclass(frozen=True)
class Span:
    weekday: int  # 0 = Monday
    opens: time
    closes: time


@dataclass(frozen=True)
class Closure:
    first: date
    last: date
    label: str = ""

    def covers(self, day: date) -> bool:
        return self.first <= day <= self.last


ALWAYS = tuple(Span(d, MIDNIGHT, MIDNIGHT) for d in range(7))  # no hours set: open around the clock


@dataclass(frozen=True)
class Schedule:
    """Everything that says when a business (or a line) is open; hashable, so results can be cached."""

    spans: tuple[Span, ...]
    time_zone: str = "UTC"
    closures: tuple[Closure, ...] = ()
    holiday_country: str = ""  # "" = public holidays off
    holiday_subdivision: str = ""
    tz: zoneinfo.ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "spans", tuple(self.spans))
        object.__setattr__(self, "closures", tuple(self.closures))
        object.__setattr__(self, "tz", zoneinfo.ZoneInfo(self.time_zone))

    @property
    def hours_set(self) -> bool:
        return bool(self.spans)

    def closure_on(self, day: date) -> Closure | None:
        return next((c for c in self.closures if c.covers(day)), None)

    def holiday_on(self, day: date) -> str:
        """The public holiday that closes this day ("Christmas Day"), or "" (none, or no hours set)."""
        if self.spans and self.holiday_country:
            return holiday_name(self.holiday_country, self.holiday_subdivision, day)
        return ""

    def closed_for(self, day: date) -> str:
        """Why the whole local day is closed (a closure's label, "closed", a holiday's name), or ""."""
        if closure := self.closure_on(day):
            return closure.label or "closed"
        return self.holiday_on(day)

    def _weekly(self) -> tuple[Span, ...]:
        return self.spans or ALWAYS


@functools.lru_cache(maxsize=512)
def _holidays_of(country: str, subdivision: str, year: int) -> dict[date, str]:
    try:
        found = holiday_calendars.country_holidays(country, subdiv=subdivision or None, years=year)
    except (NotImplementedError, KeyError):  # a country or region the package does not know: none
        return {}
    return dict(found)


def holiday_name(country: str, subdivision: str, day: date) -> str:
    """The public holiday's name on that day ("Christmas Day"), or ""."""
    return _holidays_of(country.upper(), subdivision.upper(), day.year).get(day, "")


def is_known_region(country: str, subdivision: str = "") -> bool:
    """Whether the holidays package knows this country (and region of it)."""
    try:
        holiday_calendars.country_holidays(country.upper(), subdiv=subdivision.upper() or None, years=2026)
    except (NotImplementedError, KeyError):
        return False
    return True


def _interval(day: date, span: Span, tz: zoneinfo.ZoneInfo) -> tuple[datetime, datetime]:
    opens = datetime.combine(day, span.opens, tzinfo=tz)
    closes_day = day if span.closes > span.opens else day + timedelta(days=1)
    closes = datetime.combine(closes_day, span.closes, tzinfo=tz)
    return opens.astimezone(UTC), closes.astimezone(UTC)


def _intervals(schedule: Schedule, first: date, days: int) -> list[tuple[datetime, datetime]]:
    """The opening intervals (UTC) of the spans that open on the local days first … first + days - 1.
    Aware datetimes sharing one zoneinfo subtract as wall clocks, so everything is compared in UTC."""
    found = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        if schedule.closed_for(day):
            continue
        found += [_interval(day, s, schedule.tz) for s in schedule._weekly() if s.weekday == day.weekday()]
    return sorted(i for i in found if i[0] < i[1])


def opening_intervals(schedule: Schedule, first: date, days: int) -> list[tuple[datetime, datetime]]:
    """The opening intervals (UTC, sorted) of the spans that open on the local days first … first + days - 1."""
    return _intervals(schedule, first, days)


def _local_day(schedule: Schedule, at: datetime) -> date:
    return at.astimezone(schedule.tz).date()


def is_open(schedule: Schedule, at: datetime) -> bool:
    at = at.astimezone(UTC)
    return any(lo <= at < hi for lo, hi in _intervals(schedule, _local_day(schedule, at) - timedelta(days=1), 2))


def next_opening(schedule: Schedule, at: datetime, *, weeks: int = 6) -> datetime | None:
    """`at` itself when open then; else the next moment it opens (None when it does not within `weeks`)."""
    at = at.astimezone(UTC)
    start = _local_day(schedule, at) - timedelta(days=1)
    for week in range(weeks):
        for lo, hi in _intervals(schedule, start + timedelta(days=7 * week), 7):
            if hi > at:
                return max(lo, at)
    return None


def hours_on(schedule: Schedule, day: date) -> list[tuple[time, time]]:
    """The (opens, closes) spans that open on this local day, in order; [] when closed all day."""
    if schedule.closed_for(day):
        return []
    return sorted((s.opens, s.closes) for s in schedule._weekly() if s.weekday == day.weekday())


def after_open_time(schedule: Schedule, start: datetime, seconds: float) -> datetime:
    """The moment `seconds` of opening time have passed since `start` (the clock stops while closed,
    on closures and holidays too): when an SLA clock started at `start` breaches. With no hours set and no
    closures, simply start + seconds; when the schedule never opens again within a year, the same."""
    cursor, left = start.astimezone(UTC), seconds
    if not schedule.spans and not schedule.closures:
        return cursor + timedelta(seconds=seconds)
    day = _local_day(schedule, cursor) - timedelta(days=1)
    for _ in range(53):
        for lo, hi in _intervals(schedule, day, 7):
            if hi <= cursor:
                continue
            lo = max(lo, cursor)
            room = (hi - lo).total_seconds()
            if room >= left:
                return lo + timedelta(seconds=left)
            left -= room
            cursor = hi
        day += timedelta(days=7)
    return start + timedelta(seconds=seconds)


# --- words for people ------------------------------------------------------------------------------


def clock(t: time) -> str:
    """8 AM, 1:30 PM, noon, midnight."""
    if t == MIDNIGHT:
        return "midnight"
    if t == time(12, 0):
        return "noon"
    hour = t.hour % 12 or 12
    minutes = f":{t.minute:02d}" if t.minute else ""
    return f"{hour}{minutes} {'AM' if t.hour < 12 else 'PM'}"


def hours_today(schedule: Schedule, at: datetime) -> str:
    """ "8 AM–5 PM", "8 AM–noon, 1 PM–5 PM", "open 24 hours", or "closed" for the local day of `at`."""
    spans = hours_on(schedule, _local_day(schedule, at))
    if not spans:
        return "closed"
    if spans == [(MIDNIGHT, MIDNIGHT)]:
        return "open 24 hours"
    return ", ".join(f"{clock(a)}\N{EN DASH}{clock(b)}" for a, b in spans)


def next_open_words(schedule: Schedule, at: datetime) -> str:
    """When it next opens, as a caller reads it: "at 1 PM", "tomorrow at 8 AM", "Monday at 8 AM",
    "on Dec 28 at 8 AM"; "now" when open; "" when it does not open within six weeks."""
    opening = next_opening(schedule, at)
    if opening is None:
        return ""
    if opening <= at:
        return "now"
    local, today = opening.astimezone(schedule.tz), at.astimezone(schedule.tz).date()
    days = (local.date() - today).days
    when = clock(local.time().replace(second=0, microsecond=0))
    if days == 0:
        return f"at {when}"
    if days == 1:
        return f"tomorrow at {when}"
    if days < 7:
        return f"{local:%A} at {when}"
    return f"on {local:%b} {local.day} at {when}"


def call_time_words(at: datetime, time_zone: str) -> str:
    """When a call came, as said minutes later: "this morning", "this afternoon", "this evening",
    "tonight", "last night" (midnight to 5 AM: the caller has not slept yet, or has)."""
    hour = at.astimezone(zoneinfo.ZoneInfo(time_zone)).hour
    if hour < 5:
        return "last night"
    if hour < 12:
        return "this morning"
    if hour < 17:
        return "this afternoon"
    return "this evening" if hour < 22 else "tonight"


# --- weekly spans as people type them ----------------------------------------------------------------

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class SpanSyntaxError(ValueError):
    """A line of typed hours that cannot be read; the message says which and how to write it."""


def _day(word: str, line: str) -> int:
    key = word.strip().lower()[:3]
    if key not in DAY_NAMES:
        raise SpanSyntaxError(f"“{line}”: “{word.strip()}” is not a day; write Mon, Tue, Wed, Thu, Fri, Sat or Sun")
    return DAY_NAMES.index(key)


def _clock_time(word: str, line: str) -> time:
    try:
        return time.fromisoformat(word.strip().zfill(5))
    except ValueError:
        raise SpanSyntaxError(f"“{line}”: “{word.strip()}” is not a time; write 24-hour times such as 08:00") from None


def parse_spans(text: str) -> list[Span]:
    """ "Mon-Fri 08:00-17:00" and "Sat 09:00-12:00", one a line (or separated by ";"), into spans."""
    found = []
    for raw in text.replace(";", "\n").splitlines():
        line = raw.strip()
        if not line:
            continue
        days_part, _, times_part = line.partition(" ")
        opens, dash, closes = times_part.strip().partition("-")
        if not dash:
            raise SpanSyntaxError(f"“{line}”: write a day or days, then opening-closing, e.g. Mon-Fri 08:00-17:00")
        first, _, last = days_part.partition("-")
        lo, hi = _day(first, line), _day(last or first, line)
        days = range(lo, hi + 1) if lo <= hi else [*range(lo, 7), *range(0, hi + 1)]
        a, b = _clock_time(opens, line), _clock_time(closes, line)
        found += [Span(d, a, b) for d in days]
    return found


def format_spans(spans) -> str:
    """The spans one a line, as parse_spans reads them back."""
    return "\n".join(
        f"{DAY_NAMES[s.weekday].title()} {s.opens:%H:%M}-{s.closes:%H:%M}"
        for s in sorted(spans, key=lambda s: (s.weekday, s.opens))
    )
