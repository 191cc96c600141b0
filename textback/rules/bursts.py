"""A caller who rings again and again in a few minutes is one missed call to staff, not five.

The text-back side needs no rule of its own: the per-caller cool-down (calls/decide.py) already texts
a burst once. Alerts have no cool-down, so a missed call within BURST of the same caller's previous
missed call alerts nobody; the burst goes on as long as the calls keep coming within BURST of each other.
"""

from datetime import datetime, timedelta

BURST = timedelta(minutes=10)


def same_burst(previous_missed_at: datetime | None, now: datetime) -> bool:
    return previous_missed_at is not None and timedelta(0) <= now - previous_missed_at < BURST
