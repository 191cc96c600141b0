"""Quiet hours: when a later, automated text (a follow-up) may reach a person. Pure functions of values.

A follow-up may go only when it is daytime everywhere the recipient might be and where the business is:
8:00–21:00 local (47 CFR 64.1200(c)(1)) in every time zone the number may be in (a US number can map to
several, a country's mobile range to all of the country's) and in the business's own zone, all at once.
A business may choose a narrower window (e.g. 9:00–20:00); it applies in every one of those zones.

Some states' telemarketing laws are stricter (telephony-facts §6.1): 8:00–20:00, and in Florida, Oklahoma
and Maryland at most 3 such texts in 24 hours. Where the recipient is decided by the number's area code
(Florida's statute presumes exactly that); a US number whose state cannot be told may be in one of them,
so it gets the strict rules too.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import PhoneNumberType
from phonenumbers import timezone as number_zones

EARLIEST, LATEST = time(8), time(21)  # the federal window, in the recipient's local time
STRICT_LATEST = time(20)
STRICT_DAILY_LIMIT = 3  # messages in any 24 hours, in the states that cap them
DAILY_LIMIT_STATES = frozenset({"Florida", "Oklahoma", "Maryland"})
EVENING_STATES = DAILY_LIMIT_STATES | {"Washington"}  # 8 p.m. at the latest
# The area codes of the states above (NANPA's assignments). A table rather than phonenumbers' geocoder:
# loading its data costs about 150 MB in every process, for four states.
STATE_AREA_CODES = {
    "Florida": "239 305 321 324 352 386 407 448 561 645 656 689 727 728 754 772 786 813 850 863 904 941 954",
    "Oklahoma": "405 539 572 580 918",
    "Maryland": "227 240 301 410 443 667",
    "Washington": "206 253 360 425 509 564",
}
_STATE_OF = {code: state for state, codes in STATE_AREA_CODES.items() for code in codes.split()}
# Numbers of these types belong to a place (an area code of some state); any other US number may be anywhere.
_PLACED = frozenset({PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})
HORIZON = timedelta(days=14)  # next_allowed looks this far ahead before giving up

ALLOWED = "allowed"
TOO_EARLY = "too_early"  # before the window opens somewhere the recipient may be
TOO_LATE = "too_late"
NEVER = "no_common_window"  # the zones are so far apart that no hour is daytime in all of them

REASONS = {
    ALLOWED: "Daytime wherever the recipient may be and at the business",
    TOO_EARLY: "Too early in {zone} (texts may go from {start})",
    TOO_LATE: "Too late in {zone} (texts may go until {end})",
    NEVER: "No hour of the day is within the allowed window in every time zone the number may be in",
}


@dataclass(frozen=True)
class Recipient:
    """Where a number may be, as far as the number tells."""

    zones: tuple[str, ...]  # IANA names; empty when the number says nothing (the business's zone then decides)
    state: str = ""  # the strict US state of its area code ('' elsewhere, when unknown, or not in the US)
    evening_limit: bool = False  # the window ends at 8 p.m.
    daily_limit: int | None = None  # at most this many automated texts in 24 hours


@dataclass(frozen=True)
class BusinessWindow:
    """The business's time zone and the window it chose (clamped to 8:00–21:00)."""

    time_zone: str
    start: time = EARLIEST
    end: time = LATEST


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    zone: str = ""
    start: time = EARLIEST
    end: time = LATEST

    @property
    def explanation(self) -> str:
        return REASONS[self.reason].format(zone=self.zone, start=_clock(self.start), end=_clock(self.end))


def _clock(at: time) -> str:
    return at.strftime("%H:%M")


@lru_cache(maxsize=10_000)
def recipient(e164: str) -> Recipient:
    """The zones and state rules for a number (cached: the tables are large and numbers repeat)."""
    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return Recipient(zones=())
    zones = tuple(z for z in number_zones.time_zones_for_number(number) if z != number_zones.UNKNOWN_TIMEZONE)
    if phonenumbers.region_code_for_number(number) != "US":
        return Recipient(zones=zones)
    state = _STATE_OF.get(str(number.national_number)[:3], "")
    unknown = not state and phonenumbers.number_type(number) not in _PLACED
    return Recipient(
        zones=zones,
        state=state,
        evening_limit=unknown or state in EVENING_STATES,
        daily_limit=STRICT_DAILY_LIMIT if unknown or state in DAILY_LIMIT_STATES else None,
    )


def window(number: Recipient, business: BusinessWindow) -> tuple[time, time]:
    """The local window that applies in every zone: the business's, within the law's."""
    latest = STRICT_LATEST if number.evening_limit else LATEST
    return max(business.start, EARLIEST), min(business.end, latest)


def _zones(number: Recipient, business: BusinessWindow) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*number.zones, business.time_zone)))


def allowed(number: Recipient, business: BusinessWindow, at: datetime) -> Decision:
    """Whether a follow-up may reach this number at `at` (an aware datetime), and if not, where it is too early or late."""
    start, end = window(number, business)
    if start >= end:
        return Decision(False, NEVER, start=start, end=end)
    for name in _zones(number, business):
        local = at.astimezone(ZoneInfo(name)).time()
        if local < start:
            return Decision(False, TOO_EARLY, name, start, end)
        if local >= end:
            return Decision(False, TOO_LATE, name, start, end)
    return Decision(True, ALLOWED, start=start, end=end)


def next_allowed(
    number: Recipient, business: BusinessWindow, at: datetime, horizon: timedelta = HORIZON
) -> datetime | None:
    """The first moment at or after `at` when `allowed` says yes; None when none comes within `horizon`.

    The allowed moments are where every zone's daily window overlaps, so the first of them is `at` itself
    or the moment a window opens in one of the zones: those are the only candidates to try."""
    if allowed(number, business, at).allowed:
        return at
    start, end = window(number, business)
    if start >= end:
        return None
    until = at + horizon
    for candidate in sorted(_openings(_zones(number, business), start, at, until)):
        if allowed(number, business, candidate).allowed:
            return candidate
    return None


def _openings(zones: tuple[str, ...], start: time, after: datetime, until: datetime):
    """Every moment in (after, until] when the local clock reaches `start` in one of the zones."""
    for name in zones:
        zone = ZoneInfo(name)
        day = after.astimezone(zone).date() - timedelta(days=1)
        while (opening := _opening(day, start, zone)) <= until:
            if opening > after:
                yield opening
            day += timedelta(days=1)


def _opening(day, start: time, zone: ZoneInfo) -> datetime:
    """When the local clock shows `start` on `day`. Clocks change at night (never between 8:00 and 21:00
    in any zone), so `start` exists once on every day."""
    return datetime.combine(day, start, tzinfo=zone).astimezone(UTC)
