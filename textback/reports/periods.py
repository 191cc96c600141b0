"""Report periods in a business's own days: a period is a run of whole local dates, first to last inclusive.

A local day runs from one local midnight to the next, read in the business's time zone, so the day the
clocks go forward has 23 hours and the day they go back 25; `bounds` turns a period into the UTC instants
a query compares `started_at` with. Weeks start on Monday (ISO)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_DAYS = 3 * 366  # the longest period a page or the API is asked for
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)  # what a person may ask for
OLDEST = date(1900, 1, 1)  # what a previous period may reach back to

PRESETS = {"7d": 7, "30d": 30, "90d": 90, "365d": 365}
DEFAULT = "30d"


class BadPeriod(ValueError):
    """A period the user asked for that cannot be read; the message says what to fix."""


@dataclass(frozen=True)
class Period:
    first: date
    last: date  # inclusive

    def __post_init__(self) -> None:
        if self.first < OLDEST or self.last > LATEST:
            raise BadPeriod(f"dates must be between {EARLIEST} and {LATEST}")
        if self.last < self.first:
            raise BadPeriod("the period ends before it starts")
        if self.days > MAX_DAYS:
            raise BadPeriod(f"a period is at most {MAX_DAYS} days")

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def dates(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range(self.days)]

    def previous(self) -> Period:
        """The period of the same length just before this one (what trends compare with)."""
        return Period(self.first - timedelta(days=self.days), self.first - timedelta(days=1))

    def bounds(self, time_zone: str) -> tuple[datetime, datetime]:
        """[start, end) in UTC: the first day's local midnight to the midnight after the last day."""
        return day_start(self.first, time_zone), day_start(self.last + timedelta(days=1), time_zone)

    def __str__(self) -> str:
        return f"{self.first:%b %-d, %Y} – {self.last:%b %-d, %Y}"


def check_date(day: date) -> date:
    """A date a person asked for, if it is one a report can be about (BadPeriod says what to fix)."""
    if not EARLIEST <= day <= LATEST:
        raise BadPeriod(f"dates must be between {EARLIEST} and {LATEST}")
    return day


def day_start(day: date, time_zone: str) -> datetime:
    """The UTC instant of a local date's first moment (midnight; 01:00 where the clocks skip midnight)."""
    zone = ZoneInfo(time_zone)
    local = datetime.combine(day, time(0), tzinfo=zone)
    # A midnight that does not exist (clocks jump at 00:00, e.g. America/Santiago) reads as the hour after.
    round_trip = local.astimezone(UTC).astimezone(zone)
    if round_trip.replace(tzinfo=None) != local.replace(tzinfo=None):
        local = round_trip
    return local.astimezone(UTC)


def local_date(moment: datetime, time_zone: str) -> date:
    return moment.astimezone(ZoneInfo(time_zone)).date()


def today(time_zone: str, now: datetime | None = None) -> date:
    return local_date(now or datetime.now(UTC), time_zone)


def last_days(n: int, time_zone: str, now: datetime | None = None) -> Period:
    """The n local days ending today (today included)."""
    end = today(time_zone, now)
    return Period(end - timedelta(days=n - 1), end)


def week_of(day: date) -> date:
    """The Monday of the week `day` is in."""
    return day - timedelta(days=day.weekday())


def last_full_week(time_zone: str, now: datetime | None = None) -> Period:
    """Monday to Sunday of the week before this one (the weekly email's week)."""
    monday = week_of(today(time_zone, now)) - timedelta(days=7)
    return Period(monday, monday + timedelta(days=6))


def parse(params, time_zone: str, now: datetime | None = None) -> Period:
    """A period from request parameters: `period` (7d, 30d, 90d, 365d; default 30d), or `from` and `to`
    (YYYY-MM-DD, local dates, inclusive). Raises BadPeriod with what to fix."""
    first, last = (params.get("from") or "").strip(), (params.get("to") or "").strip()
    if first or last:
        if not (first and last):
            raise BadPeriod("give both from and to (YYYY-MM-DD), or neither")
        try:
            return Period(check_date(date.fromisoformat(first)), check_date(date.fromisoformat(last)))
        except ValueError as error:
            if isinstance(error, BadPeriod):
                raise
            raise BadPeriod("from and to must be dates written YYYY-MM-DD, e.g. 2026-11-30") from None
    preset = (params.get("period") or DEFAULT).strip()
    if preset not in PRESETS:
        raise BadPeriod(f"period must be one of {', '.join(PRESETS)}")
    return last_days(PRESETS[preset], time_zone, now)
