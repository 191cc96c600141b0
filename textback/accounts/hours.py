"""Opening hours: whether a business is open at a moment, and when it next opens.

Spans are weekday + local opening and closing times in the business's time zone; a span whose
closing time is not after its opening time runs past midnight into the next day. A business with
no spans at all has not said, and counts as always open. Times are computed on local wall clocks
with zoneinfo, so a DST change moves opening time with the clock, as people expect.
"""

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta


@dataclass(frozen=True)
class Span:
    weekday: int  # 0 = Monday
    opens: time
    closes: time


def spans_of(business) -> list[Span]:
    return [Span(h.weekday, h.opens, h.closes) for h in business.opening_hours.all()]


def _intervals_around(spans: list[Span], tz: zoneinfo.ZoneInfo, day: datetime) -> list[tuple[datetime, datetime]]:
    """The opening intervals that start on the local days from `day` - 1 to `day` + 7, in UTC (aware
    datetimes sharing one zoneinfo subtract as wall clocks, which is wrong across a DST change)."""
    found = []
    start = day.astimezone(tz).date() - timedelta(days=1)
    for offset in range(9):
        date = start + timedelta(days=offset)
        for span in spans:
            if span.weekday != date.weekday():
                continue
            opens = datetime.combine(date, span.opens, tzinfo=tz)
            closes_date = date if span.closes > span.opens else date + timedelta(days=1)
            closes = datetime.combine(closes_date, span.closes, tzinfo=tz)
            found.append((opens.astimezone(UTC), closes.astimezone(UTC)))
    return sorted(found)


def is_open(spans: list[Span], time_zone: str, at: datetime) -> bool:
    if not spans:
        return True
    tz = zoneinfo.ZoneInfo(time_zone)
    return any(opens <= at < closes for opens, closes in _intervals_around(spans, tz, at))


def next_opening(spans: list[Span], time_zone: str, at: datetime) -> datetime:
    """`at` itself when open then; else the next moment the business opens (within a week; `at` when it never does)."""
    if not spans or is_open(spans, time_zone, at):
        return at
    tz = zoneinfo.ZoneInfo(time_zone)
    later = [opens for opens, _ in _intervals_around(spans, tz, at) if opens > at]
    return later[0] if later else at


def after_open_time(spans: list[Span], time_zone: str, start: datetime, seconds: float) -> datetime:
    """The moment `seconds` of opening time have passed since `start` (the clock stops while closed):
    when an SLA clock started at `start` breaches. With no hours set, simply start + seconds."""
    if not spans:
        return start + timedelta(seconds=seconds)
    tz = zoneinfo.ZoneInfo(time_zone)
    cursor, left = start.astimezone(UTC), seconds
    for _ in range(60):  # at most 60 weeks of looking; a business always open a few minutes a week gets there
        for opens, closes in _intervals_around(spans, tz, cursor):
            if closes <= cursor:
                continue
            lo = max(opens, cursor)
            room = (closes - lo).total_seconds()
            if room >= left:
                return lo + timedelta(seconds=left)
            left -= room
            cursor = closes
        next_day = (cursor.astimezone(tz) + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        cursor = max(cursor, next_day.astimezone(UTC))
    return start + timedelta(seconds=seconds)
