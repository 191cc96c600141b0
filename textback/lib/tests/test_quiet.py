"""Quiet hours for follow-ups: daytime in every zone the number may be in and at the business."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from textback.lib import quiet
from textback.lib.quiet import BusinessWindow, Recipient

AUSTIN = "+15125550147"  # Texas, Central time
MIAMI = "+13055550100"  # Florida
TORONTO = "+14165550100"
AUSTRALIAN_MOBILE = "+61412345678"  # any of Australia's zones, Perth to Lord Howe
CHICAGO = BusinessWindow("America/Chicago")


def central(*args) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo("America/Chicago"))


def test_a_texas_number_may_be_texted_in_the_afternoon():
    assert quiet.allowed(quiet.recipient(AUSTIN), CHICAGO, central(2026, 3, 4, 15, 0)).allowed


def test_it_does_not_text_before_eight_in_the_recipients_zone():
    decision = quiet.allowed(quiet.recipient(AUSTIN), CHICAGO, central(2026, 3, 4, 7, 59))
    assert (decision.allowed, decision.reason, decision.zone) == (False, quiet.TOO_EARLY, "America/Chicago")
    assert decision.explanation == "Too early in America/Chicago (texts may go from 08:00)"


def test_it_does_not_text_at_nine_in_the_evening():
    assert quiet.allowed(quiet.recipient(AUSTIN), CHICAGO, central(2026, 3, 4, 21, 0)).reason == quiet.TOO_LATE


def test_a_business_in_the_west_waits_for_eight_at_the_business_too():
    # 8:30 in Miami is 5:30 in Los Angeles, where the business is.
    business = BusinessWindow("America/Los_Angeles")
    at = datetime(2026, 3, 4, 8, 30, tzinfo=ZoneInfo("America/New_York"))
    decision = quiet.allowed(quiet.recipient(MIAMI), business, at)
    assert (decision.reason, decision.zone) == (quiet.TOO_EARLY, "America/Los_Angeles")
    assert quiet.next_allowed(quiet.recipient(MIAMI), business, at) == datetime(
        2026, 3, 4, 8, tzinfo=ZoneInfo("America/Los_Angeles")
    )


def test_a_florida_number_gets_the_eight_pm_limit_and_the_daily_cap():
    miami = quiet.recipient(MIAMI)
    assert (miami.state, miami.evening_limit, miami.daily_limit) == ("Florida", True, 3)
    at = datetime(2026, 3, 4, 20, 15, tzinfo=ZoneInfo("America/New_York"))
    assert quiet.allowed(miami, BusinessWindow("America/New_York"), at).reason == quiet.TOO_LATE
    assert quiet.allowed(quiet.recipient("+12125550100"), BusinessWindow("America/New_York"), at).allowed


def test_oklahoma_and_maryland_numbers_are_strict_too_but_texas_is_not():
    assert quiet.recipient("+14055550100").daily_limit == 3  # Oklahoma City
    assert quiet.recipient("+14105550100").daily_limit == 3  # Baltimore
    assert quiet.recipient(AUSTIN).daily_limit is None


def test_a_us_number_whose_state_is_unknown_may_be_in_florida():
    toll_free = quiet.recipient("+18005550100")
    assert toll_free.evening_limit and toll_free.daily_limit == 3


def test_a_stricter_business_window_applies():
    nine_to_eight = BusinessWindow("America/Chicago", time(9), time(20))
    assert quiet.allowed(quiet.recipient(AUSTIN), nine_to_eight, central(2026, 3, 4, 8, 30)).reason == quiet.TOO_EARLY
    assert quiet.next_allowed(quiet.recipient(AUSTIN), nine_to_eight, central(2026, 3, 4, 20, 0)) == central(
        2026, 3, 5, 9
    )


def test_a_wider_business_window_cannot_widen_the_law():
    wide = BusinessWindow("America/Chicago", time(6), time(23))
    assert quiet.window(quiet.recipient(AUSTIN), wide) == (time(8), time(21))


def test_a_number_with_zones_too_far_apart_never_gets_a_follow_up():
    # No hour of the day is between 8:00 and 21:00 in London, Kolkata, Auckland and Chicago at once.
    everywhere = Recipient(zones=("Europe/London", "Asia/Kolkata", "Pacific/Auckland"))
    assert quiet.next_allowed(everywhere, CHICAGO, central(2026, 3, 4, 12)) is None
    assert quiet.allowed(everywhere, CHICAGO, central(2026, 3, 4, 12)).allowed is False


def test_a_toll_free_number_waits_for_the_hours_that_are_daytime_from_guam_to_honolulu():
    toll_free = quiet.recipient("+18005550100")
    assert not quiet.allowed(toll_free, CHICAGO, central(2026, 3, 4, 12)).allowed
    assert quiet.next_allowed(toll_free, CHICAGO, central(2026, 3, 4, 12)) == datetime(2026, 3, 4, 22, tzinfo=UTC)


def test_a_number_that_says_nothing_follows_the_business_zone():
    assert quiet.recipient("+15555550100").zones == ()
    assert quiet.allowed(quiet.recipient("+15555550100"), CHICAGO, central(2026, 3, 4, 12)).allowed


def test_after_hours_it_waits_for_the_next_morning():
    assert quiet.next_allowed(quiet.recipient(AUSTIN), CHICAGO, central(2026, 3, 4, 22, 10)) == central(2026, 3, 5, 8)


def test_the_morning_after_spring_forward_is_eight_local_time():
    # 2026-03-08: US clocks go forward at 2:00.
    assert quiet.next_allowed(quiet.recipient(AUSTIN), CHICAGO, central(2026, 3, 7, 23)) == central(2026, 3, 8, 8)
    assert central(2026, 3, 8, 8).utcoffset() == timedelta(hours=-5)


ZONES = [
    "America/Chicago", "America/New_York", "America/Los_Angeles", "America/Phoenix", "America/Anchorage",
    "Pacific/Honolulu", "America/St_Johns", "Europe/London", "Europe/Berlin", "Australia/Adelaide",
    "Australia/Lord_Howe", "Asia/Kolkata", "Asia/Kathmandu", "Pacific/Auckland", "America/Santiago",
]  # fmt: skip
NUMBERS = [AUSTIN, MIAMI, TORONTO, AUSTRALIAN_MOBILE, "+447700900123", "+18005550100", "+14055550100"]
# Around the DST changes of 2026 in both hemispheres, and any moment of the years around it.
MOMENTS = st.one_of(
    st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 1, 1), timezones=st.just(UTC)),
    st.sampled_from([datetime(2026, 3, 8, 7), datetime(2026, 11, 1, 6), datetime(2026, 3, 29, 0),
                     datetime(2026, 4, 4, 15), datetime(2026, 10, 3, 15), datetime(2026, 9, 26, 13)])
    .flatmap(lambda base: st.integers(-36 * 60, 36 * 60).map(lambda m: (base + timedelta(minutes=m)).replace(tzinfo=UTC))),
)  # fmt: skip
RECIPIENTS = st.one_of(
    st.sampled_from(NUMBERS).map(quiet.recipient),
    st.builds(
        Recipient,
        zones=st.lists(st.sampled_from(ZONES), min_size=1, max_size=3, unique=True).map(tuple),
        evening_limit=st.booleans(),
    ),
)
WINDOWS = st.builds(
    BusinessWindow,
    time_zone=st.sampled_from(ZONES),
    start=st.sampled_from([time(8), time(9), time(8, 30), time(10)]),
    end=st.sampled_from([time(21), time(20), time(18), time(20, 30)]),
)


@settings(max_examples=300, deadline=None)
@given(number=RECIPIENTS, business=WINDOWS, at=MOMENTS)
def test_next_allowed_is_allowed_and_not_before_at(number, business, at):
    found = quiet.next_allowed(number, business, at)
    if found is not None:
        assert found >= at
        assert quiet.allowed(number, business, found).allowed


@settings(max_examples=300, deadline=None)
@given(number=RECIPIENTS, business=WINDOWS, at=MOMENTS, fraction=st.floats(0, 1, exclude_max=True))
def test_nothing_between_at_and_next_allowed_is_allowed(number, business, at, fraction):
    found = quiet.next_allowed(number, business, at)
    end = found if found is not None else at + quiet.HORIZON
    between = at + (end - at) * fraction
    assert not (between < end and quiet.allowed(number, business, between).allowed)
    if found is not None and found > at:
        assert not quiet.allowed(number, business, found - timedelta(microseconds=1)).allowed


@settings(max_examples=200, deadline=None)
@given(number=RECIPIENTS, business=WINDOWS, at=MOMENTS)
def test_an_allowed_moment_is_daytime_in_every_zone(number, business, at):
    decision = quiet.allowed(number, business, at)
    if decision.allowed:
        for name in (*number.zones, business.time_zone):
            local = at.astimezone(ZoneInfo(name)).time()
            assert decision.start <= local < decision.end


def test_a_washington_number_stops_at_eight_pm_without_a_daily_cap():
    seattle = quiet.recipient("+12065550100")
    assert (seattle.state, seattle.evening_limit, seattle.daily_limit) == ("Washington", True, None)


def test_telling_the_state_loads_no_geocoder_data():
    """phonenumbers' geocoder data is about 150 MB in every process; the area-code table is enough."""
    import subprocess
    import sys

    code = (
        "import sys, textback.lib.quiet as q; q.recipient('+13055550100'); print('phonenumbers.geodata' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"
