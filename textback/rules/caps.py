"""Caps on a business's automatic texts: which hour and which day a moment counts in.

A cap protects a business from a flood (a robocall campaign, a misrouted trunk) texting thousands of
strangers on its account. Windows are fixed, not sliding, so "the cap was hit" happens once per window
and the owner hears about it once: the hour is the clock hour (UTC hours are clock hours in every zone
but the few with half-hour offsets), the day is the business's own calendar day, from its midnight,
however long DST makes that day.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Windows:
    hour: datetime  # the first moment of the clock hour, in UTC
    day: datetime  # the business's midnight, in UTC


def hour_of(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def day_of(now: datetime, time_zone: str) -> datetime:
    """The first moment of the business's calendar day that `now` falls in, in UTC.

    Where midnight does not exist (a DST jump at 00:00), the day starts at the first moment that does."""
    zone = ZoneInfo(time_zone)
    midnight = datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone)
    return midnight.astimezone(UTC)


def next_day(day: datetime, time_zone: str) -> datetime:
    """The first moment of the next calendar day (23, 24 or 25 hours later)."""
    zone = ZoneInfo(time_zone)
    return day_of(datetime.combine(day.astimezone(zone).date() + timedelta(days=1), time(12), tzinfo=zone), time_zone)


def windows(now: datetime, time_zone: str) -> Windows:
    return Windows(hour=hour_of(now), day=day_of(now, time_zone))


def first_skip(skipped_in_window: int) -> bool:
    """The owner is alerted when a cap first stops a call in its window, not for each call after it."""
    return skipped_in_window == 1
