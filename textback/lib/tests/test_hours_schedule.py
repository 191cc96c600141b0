"""Schedules: weekly spans, closures by date and public holidays, in the schedule's own time zone.

The examples say what a business owner expects; the properties hold the arithmetic to its definition
across DST changes (New York, London, Sydney), spans past midnight, holidays and closures.
"""

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from textback.lib.hours import (
    Closure,
    Schedule,
    Span,
    after_open_time,
    call_time_words,
    hours_on,
    hours_today,
    is_open,
    next_open_words,
    next_opening,
)

NEW_YORK, LONDON, SYDNEY = "America/New_York", "Europe/London", "Australia/Sydney"
WEEKDAYS_8_TO_5 = tuple(Span(day, time(8), time(17)) for day in range(5))


def local(text: str, zone: str = NEW_YORK) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zoneinfo.ZoneInfo(zone)).astimezone(UTC)


def weekdays(zone: str = NEW_YORK, **kwargs) -> Schedule:
    return Schedule(WEEKDAYS_8_TO_5, zone, **kwargs)


# --- examples ---------------------------------------------------------------------------------------


def test_a_public_holiday_closes_the_business_all_day():
    christmas = weekdays(holiday_country="US")
    assert not is_open(christmas, local("2026-12-25T10:00"))  # a Friday
    assert hours_on(christmas, date(2026, 12, 25)) == []
    assert next_opening(christmas, local("2026-12-25T10:00")) == local("2026-12-28T08:00")


def test_public_holidays_switched_off_leave_the_weekly_hours():
    assert is_open(weekdays(), local("2026-12-25T10:00"))


def test_regional_holidays_follow_the_subdivision():
    texas = weekdays("America/Chicago", holiday_country="US", holiday_subdivision="TX")
    ohio = weekdays("America/Chicago", holiday_country="US", holiday_subdivision="OH")
    texas_independence_day = local("2027-03-02T10:00", "America/Chicago")  # a Tuesday, a Texas state holiday
    assert not is_open(texas, texas_independence_day)
    assert is_open(ohio, texas_independence_day)


def test_a_closure_closes_every_day_of_its_range_and_says_why():
    schedule = weekdays(closures=(Closure(date(2026, 12, 8), date(2026, 12, 9), "Staff training"),))
    assert not is_open(schedule, local("2026-12-08T10:00"))
    assert not is_open(schedule, local("2026-12-09T16:00"))
    assert is_open(schedule, local("2026-12-10T08:00"))
    assert schedule.closed_for(date(2026, 12, 9)) == "Staff training"


def test_a_closure_closes_a_business_that_never_set_hours_and_holidays_do_not():
    schedule = Schedule((), NEW_YORK, (Closure(date(2026, 12, 8), date(2026, 12, 8), "Moving"),), "US")
    assert not is_open(schedule, local("2026-12-08T12:00"))
    assert is_open(schedule, local("2026-12-25T12:00"))


def test_a_closure_on_the_day_after_a_late_span_leaves_the_span_running_past_midnight():
    late = Schedule((Span(4, time(20), time(2)),), NEW_YORK, (Closure(date(2026, 12, 5), date(2026, 12, 5)),))
    assert is_open(late, local("2026-12-05T01:00"))  # Friday's span, on the closed Saturday


def test_hours_on_a_dst_change_day_follow_the_wall_clock():
    spring = local("2026-03-09T08:00")  # Monday after the change: 8 AM EDT is 12:00 UTC
    assert next_opening(weekdays(), local("2026-03-09T06:00")) == spring
    assert spring == datetime(2026, 3, 9, 12, tzinfo=UTC)


def test_words_for_today_and_the_next_opening():
    schedule = Schedule((*WEEKDAYS_8_TO_5, Span(5, time(9), time(12)), Span(5, time(13), time(15))), NEW_YORK)
    assert hours_today(schedule, local("2026-12-07T10:00")) == "8 AM\N{EN DASH}5 PM"
    assert hours_today(schedule, local("2026-12-12T10:00")) == "9 AM\N{EN DASH}noon, 1 PM\N{EN DASH}3 PM"
    assert hours_today(schedule, local("2026-12-13T10:00")) == "closed"
    assert next_open_words(schedule, local("2026-12-07T07:00")) == "at 8 AM"
    assert next_open_words(schedule, local("2026-12-12T12:30")) == "at 1 PM"
    assert next_open_words(schedule, local("2026-12-07T18:00")) == "tomorrow at 8 AM"
    assert next_open_words(schedule, local("2026-12-12T16:00")) == "Monday at 8 AM"
    assert next_open_words(schedule, local("2026-12-07T10:00")) == "now"


def test_a_schedule_that_never_opens_has_no_next_opening():
    shut = weekdays(closures=(Closure(date(2026, 1, 1), date(2027, 12, 31), "Sold"),))
    assert next_opening(shut, local("2026-06-01T10:00")) is None
    assert next_open_words(shut, local("2026-06-01T10:00")) == ""


def test_the_sla_clock_waits_over_a_holiday():
    # Thursday Dec 24, 4:58 PM: 2 minutes that day, Christmas Friday closed, the rest Monday.
    schedule = weekdays(holiday_country="US")
    assert after_open_time(schedule, local("2026-12-24T16:58"), 300) == local("2026-12-28T08:03")


def test_the_call_time_in_words():
    assert call_time_words(local("2026-12-07T09:00"), NEW_YORK) == "this morning"
    assert call_time_words(local("2026-12-07T14:00"), NEW_YORK) == "this afternoon"
    assert call_time_words(local("2026-12-07T19:00"), NEW_YORK) == "this evening"
    assert call_time_words(local("2026-12-07T23:00"), NEW_YORK) == "tonight"
    assert call_time_words(local("2026-12-08T02:00"), NEW_YORK) == "last night"


# --- properties -------------------------------------------------------------------------------------

ZONES = {NEW_YORK: ("US", "NY"), LONDON: ("GB", "SCT"), SYDNEY: ("AU", "NSW")}
# DST changes of 2026: New York Mar 8 / Nov 1, London Mar 29 / Oct 25, Sydney Apr 5 / Oct 4; holidays; and
# midsummer and midwinter, far from any change, where a wrong offset would show on every span.
CHANGES = [date(2026, 3, 8), date(2026, 11, 1), date(2026, 3, 29), date(2026, 10, 25), date(2026, 4, 5),
           date(2026, 10, 4), date(2026, 12, 25), date(2026, 12, 31), date(2026, 7, 3), date(2026, 1, 26)]  # fmt: skip

clock_times = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))
spans = st.lists(st.builds(Span, st.integers(0, 6), clock_times, clock_times), max_size=6)


@st.composite
def schedules(draw) -> Schedule:
    zone = draw(st.sampled_from(sorted(ZONES)))
    country, region = ZONES[zone]
    closures = []
    for _ in range(draw(st.integers(0, 2))):
        first = draw(st.sampled_from(CHANGES)) + timedelta(days=draw(st.integers(-3, 3)))
        closures.append(Closure(first, first + timedelta(days=draw(st.integers(0, 2))), "closed"))
    holidays = draw(st.booleans())
    return Schedule(tuple(draw(spans)), zone, tuple(closures), country if holidays else "", region if holidays else "")


@st.composite
def moments(draw) -> datetime:
    """Instants near the DST changes and holidays (where the arithmetic is hard), to the minute."""
    day = draw(st.sampled_from(CHANGES))
    minutes = draw(st.integers(-3 * 24 * 60, 3 * 24 * 60))
    return datetime.combine(day, time(12), tzinfo=UTC) + timedelta(minutes=minutes)


def around_a_boundary(data, schedule: Schedule) -> datetime:
    """An instant near where the schedule opens or closes (where a wrong offset or day shows), or any moment."""
    if not schedule.spans or data.draw(st.booleans()):
        return data.draw(moments())
    span = data.draw(st.sampled_from(schedule.spans))
    near = data.draw(st.sampled_from(CHANGES)) + timedelta(days=data.draw(st.integers(-3, 3)))
    day = near + timedelta(days=(span.weekday - near.weekday()) % 7)
    edge = datetime.combine(day, data.draw(st.sampled_from([span.opens, span.closes])), tzinfo=schedule.tz)
    return (edge + timedelta(minutes=data.draw(st.integers(-90, 90)))).astimezone(UTC)


def wall_clock_open(schedule: Schedule, at: datetime) -> bool:
    """The definition: a span that opened today (or yesterday and runs past midnight) covers the local
    time, and the day it opened on is not closed."""
    here = at.astimezone(schedule.tz)
    today, now = here.date(), here.time()
    spans = schedule.spans or tuple(Span(d, time(0), time(0)) for d in range(7))
    for day in (today, today - timedelta(days=1)):
        if schedule.closed_for(day):
            continue
        for span in (s for s in spans if s.weekday == day.weekday()):
            wraps = span.closes <= span.opens
            if day == today and span.opens <= now and (wraps or now < span.closes):
                return True
            if day != today and wraps and now < span.closes:
                return True
    return False


def no_dst_change_near(schedule: Schedule, at: datetime) -> bool:
    offsets = {(at + timedelta(hours=h)).astimezone(schedule.tz).utcoffset() for h in range(-50, 50)}
    return len(offsets) == 1


@settings(max_examples=300, deadline=None)
@given(schedules(), st.data())
def test_is_open_agrees_with_the_spans_on_the_wall_clock(schedule, data):
    at = around_a_boundary(data, schedule)
    assume(no_dst_change_near(schedule, at))
    assert is_open(schedule, at) == wall_clock_open(schedule, at)


@settings(max_examples=200, deadline=None)
@given(schedules(), st.data())
def test_the_next_opening_is_open_and_nothing_before_it_is(schedule, data):
    at = around_a_boundary(data, schedule)
    opening = next_opening(schedule, at)
    if opening is None:
        return
    assert opening >= at and is_open(schedule, opening)
    assert (opening == at) == is_open(schedule, at)
    step = max((opening - at) / 200, timedelta(minutes=1))
    moment = at
    while moment < opening:
        assert not is_open(schedule, moment)
        moment += step
    assert opening == at or not is_open(schedule, opening - timedelta(seconds=1))


@settings(max_examples=150, deadline=None)
@given(schedules(), moments(), st.integers(1, 600))
def test_the_sla_clock_counts_only_open_minutes(schedule, at, minutes):
    breach = after_open_time(schedule, at, minutes * 60)
    assert breach >= at + timedelta(minutes=minutes)  # the clock never runs faster than real time
    if next_opening(schedule, at) is not None:
        assert is_open(schedule, breach - timedelta(seconds=1))  # the last second counted was an open one
    if all(is_open(schedule, at + timedelta(minutes=m)) for m in range(minutes)):  # whole minutes: no gap missed
        assert breach == at + timedelta(minutes=minutes)  # open throughout: the clock ran like a watch


@settings(max_examples=150, deadline=None)
@given(schedules(), moments())
def test_a_closed_day_has_no_hours_and_an_open_day_lists_its_spans(schedule, at):
    day = at.astimezone(schedule.tz).date()
    listed = hours_on(schedule, day)
    if schedule.closed_for(day):
        assert listed == []
    elif schedule.spans:
        assert listed == sorted((s.opens, s.closes) for s in schedule.spans if s.weekday == day.weekday())
