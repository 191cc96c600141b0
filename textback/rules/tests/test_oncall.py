"""Who is on call at a moment: the weekly slots in the business's time zone, the on-call order, the owners."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import assume, given
from hypothesis import strategies as st

from textback.rules.oncall import Schedule, Slot, on_call, steps

CHICAGO = "America/Chicago"
MIKE, JANE, SAM, OWNER = 1, 2, 3, 9
# Mon-Fri 17:00-08:00 Mike, the weekend (Sat 00:00 - Mon 08:00) Jane.
WEEKNIGHTS = tuple(Slot(day, time(17), time(8), MIKE) for day in range(5))
WEEKEND = (Slot(5, time(0), time(0), JANE), Slot(6, time(0), time(0), JANE), Slot(0, time(0), time(8), JANE))
SCHEDULE = Schedule(CHICAGO, WEEKNIGHTS + WEEKEND, order=(SAM, MIKE, JANE), owners=(OWNER,))


def local(*args) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(CHICAGO))


def test_the_person_whose_slot_covers_the_moment_is_paged_first():
    assert on_call(SCHEDULE, local(2026, 12, 8, 22, 0)) == [MIKE, SAM, JANE, OWNER]  # a Tuesday night


def test_a_slot_past_midnight_covers_the_next_morning():
    assert on_call(SCHEDULE, local(2026, 12, 9, 7, 59))[0] == MIKE  # Wednesday 7:59 am
    assert on_call(SCHEDULE, local(2026, 12, 9, 8, 0))[0] == SAM  # 8:00: nobody's slot; the list's first


def test_weekends_are_janes():
    assert on_call(SCHEDULE, local(2026, 12, 12, 13, 0))[0] == JANE  # Saturday
    assert on_call(SCHEDULE, local(2026, 12, 14, 7, 0))[0] == JANE  # Monday 7 am, before Mike's week starts


def test_with_nothing_configured_the_owners_are_paged():
    assert on_call(Schedule(CHICAGO, owners=(OWNER, 10)), local(2026, 12, 8, 3)) == [OWNER, 10]


def test_the_owners_left_at_the_end_are_paged_together():
    assert steps([MIKE, SAM, OWNER, 10], (OWNER, 10)) == [[MIKE], [SAM], [OWNER, 10]]
    assert steps([OWNER], (OWNER,)) == [[OWNER]]
    assert steps([], ()) == []


def test_a_slot_follows_the_wall_clock_across_the_dst_change():
    # Sunday 8 March 2026: clocks jump from 2:00 to 3:00 in Chicago; a Sunday 01:00-04:00 slot is 2 real hours.
    night = Schedule(CHICAGO, (Slot(6, time(1), time(4), SAM),), owners=(OWNER,))
    start = local(2026, 3, 8, 1, 0).astimezone(UTC)
    covered = [m for m in range(0, 240, 5) if on_call(night, start + timedelta(minutes=m))[0] == SAM]
    assert covered == list(range(0, 120, 5))


@given(
    at=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)),
    zone=st.sampled_from(["America/Chicago", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]),
)
def test_everyone_is_listed_once_slot_holders_first_owners_last(at, zone):
    schedule = Schedule(zone, WEEKNIGHTS + WEEKEND, order=(SAM, MIKE, JANE), owners=(OWNER, MIKE))
    people = on_call(schedule, at)
    assert sorted(people) == [MIKE, JANE, SAM, OWNER]
    local_at = at.astimezone(ZoneInfo(zone))
    weekday, hour = local_at.weekday(), local_at.hour
    mikes = (weekday < 5 and hour >= 17) or (1 <= weekday <= 5 and hour < 8)
    janes = weekday in (5, 6) or (weekday == 0 and hour < 8)
    # Saturday before 8 both are on (Mike's Friday night, Jane's weekend): the on-call order puts Mike first.
    expected_first = MIKE if mikes else JANE if janes else SAM
    assert people[0] == expected_first
    assert people[-1] == OWNER


def covered_by_the_wall_clock(slot: Slot, local: datetime) -> bool:
    """The slot as a person reads it off the wall clock (the oracle): on its day from its start; past
    midnight into the next day until its end."""
    day, clock = local.weekday(), local.time().replace(tzinfo=None)
    if slot.ends > slot.starts:
        return day == slot.weekday and slot.starts <= clock < slot.ends
    return (day == slot.weekday and clock >= slot.starts) or (day == (slot.weekday + 1) % 7 and clock < slot.ends)


@given(
    at=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)),
    zone=st.sampled_from(["America/Chicago", "America/St_Johns", "Europe/Berlin", "Australia/Lord_Howe", "UTC"]),
    weekday=st.integers(0, 6),
    starts=st.times(),
    ends=st.times(),
)
def test_a_slot_covers_exactly_what_the_wall_clock_says_away_from_a_clock_change(at, zone, weekday, starts, ends):
    tz = ZoneInfo(zone)
    hours = timedelta(hours=3)
    assume((at - hours).astimezone(tz).utcoffset() == (at + hours).astimezone(tz).utcoffset())
    slot = Slot(weekday, starts, ends, MIKE)
    first = on_call(Schedule(zone, (slot,), owners=(OWNER,)), at)[0]
    assert (first == MIKE) == covered_by_the_wall_clock(slot, at.astimezone(tz))
