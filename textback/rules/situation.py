"""Which first text a missed caller gets: the situation of the call, and a reason a person can read.

Precedence (the first that applies wins), and why:

1. `emergency_triage`: the business is closed and the line asks after-hours callers whether it is an
   emergency. A burst pipe matters more than anything else we could say.
2. `voicemail`: the caller left a message; the text says we have it (whatever the hour).
3. `weekend_holiday`: closed all day for a public holiday or a closure the business wrote.
4. `after_hours`: closed now (a weekday with no hours, before opening, after closing, a lunch break).
5. `repeat_caller`: open, and the caller is someone the business called or texted before.
6. `business_hours`: open, a new caller.

A repeat caller after hours gets the after-hours text: when we will be back matters more to them than
being recognised. The reason says both ("after hours: opens at 8 AM; a repeat caller").

Each situation's template may be blank on the line; `template_for` falls back along
weekend_holiday → after_hours → business_hours, emergency_triage → after_hours, repeat_caller →
business_hours, voicemail → business_hours.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from textback.lib import hours

BUSINESS_HOURS = "business_hours"
AFTER_HOURS = "after_hours"
WEEKEND_HOLIDAY = "weekend_holiday"
VOICEMAIL = "voicemail"
REPEAT_CALLER = "repeat_caller"
EMERGENCY_TRIAGE = "emergency_triage"

LABELS = {
    BUSINESS_HOURS: "business hours",
    AFTER_HOURS: "after hours",
    WEEKEND_HOLIDAY: "holiday or closure",
    VOICEMAIL: "voicemail",
    REPEAT_CALLER: "repeat caller",
    EMERGENCY_TRIAGE: "emergency triage",
}
FALLBACK = {
    WEEKEND_HOLIDAY: AFTER_HOURS,
    EMERGENCY_TRIAGE: AFTER_HOURS,
    AFTER_HOURS: BUSINESS_HOURS,
    REPEAT_CALLER: BUSINESS_HOURS,
    VOICEMAIL: BUSINESS_HOURS,
}
TEMPLATE_FIELD = {
    BUSINESS_HOURS: "textback_template",
    AFTER_HOURS: "after_hours_template",
    WEEKEND_HOLIDAY: "holiday_template",
    VOICEMAIL: "voicemail_template",
    REPEAT_CALLER: "repeat_caller_template",
    EMERGENCY_TRIAGE: "emergency_template",
}
NEEDS_SCHEDULE = frozenset({AFTER_HOURS, WEEKEND_HOLIDAY, EMERGENCY_TRIAGE})


@dataclass(frozen=True)
class CallSituation:
    """What we know about the call when choosing its text."""

    ended_at: datetime
    voicemail: bool = False
    known_caller: bool = False  # called or texted by the business before
    emergency_triage: bool = False  # the line's switch


@dataclass(frozen=True)
class Situation:
    variant: str
    reason: str

    @property
    def label(self) -> str:
        return LABELS[self.variant]


def choose(call: CallSituation, schedule: hours.Schedule | None) -> Situation:
    """The situation of the call; `schedule` None means the business set no hours (always open)."""
    closed = _closed_reason(schedule, call.ended_at) if schedule is not None else None
    repeat = "; a repeat caller" if call.known_caller else ""
    if closed and call.emergency_triage:
        return Situation(EMERGENCY_TRIAGE, f"{closed[1]}; emergency triage is on{repeat}")
    if call.voicemail:
        return Situation(VOICEMAIL, f"the caller left a voicemail{' (' + closed[1] + ')' if closed else ''}{repeat}")
    if closed:
        return Situation(closed[0], closed[1] + repeat)
    if call.known_caller:
        return Situation(REPEAT_CALLER, "open, and the business called or texted this caller before")
    return Situation(BUSINESS_HOURS, "open" if schedule is not None and schedule.hours_set else "no hours set")


def _closed_reason(schedule: hours.Schedule, at: datetime) -> tuple[str, str] | None:
    """(variant, reason) when closed at `at`: (weekend_holiday, "holiday: Christmas Day"), (weekend_holiday,
    "closed: Staff training"), (after_hours, "after hours: closed Sundays"), (after_hours, "after hours: opens
    at 8 AM"); None when open."""
    if hours.is_open(schedule, at):
        return None
    day = at.astimezone(schedule.tz).date()
    if closure := schedule.closure_on(day):
        return WEEKEND_HOLIDAY, f"closed: {closure.label}" if closure.label else "closed today"
    if holiday := schedule.holiday_on(day):
        return WEEKEND_HOLIDAY, f"holiday: {holiday}"
    if not hours.hours_on(schedule, day) and not _runs_over(schedule, at):
        return AFTER_HOURS, f"after hours: closed {hours.WEEKDAY_NAMES[day.weekday()]}"
    nxt = hours.next_open_words(schedule, at)
    return AFTER_HOURS, f"after hours: opens {nxt}" if nxt else "after hours: not open in the coming weeks"


def _runs_over(schedule: hours.Schedule, at: datetime) -> bool:
    """Whether yesterday's span ran past midnight into today (then 'closed Sundays' would be wrong)."""
    yesterday = at.astimezone(schedule.tz).date() - timedelta(days=1)
    return any(closes <= opens for opens, closes in hours.hours_on(schedule, yesterday))


def template_for(line, variant: str) -> tuple[str, str]:
    """(the variant whose template is used, its text): the situation's own, or its fallback's when blank."""
    while True:
        text = getattr(line, TEMPLATE_FIELD[variant])
        if text.strip() or variant == BUSINESS_HOURS:
            return variant, text
        variant = FALLBACK[variant]
