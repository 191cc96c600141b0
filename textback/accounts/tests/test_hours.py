"""Opening hours in the business's own time zone, DST changes included."""

from datetime import UTC, datetime, time

from textback.accounts.hours import Span, after_open_time, is_open, next_opening

CHICAGO = "America/Chicago"
WEEKDAYS_8_TO_5 = [Span(day, time(8), time(17)) for day in range(5)]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_a_business_with_no_hours_is_always_open():
    assert is_open([], CHICAGO, at("2026-12-06T03:00:00-06:00"))
    assert after_open_time([], CHICAGO, at("2026-12-06T03:00:00-06:00"), 300) == at("2026-12-06T03:05:00-06:00")


def test_it_is_open_in_its_own_time_zone_not_utc():
    assert is_open(WEEKDAYS_8_TO_5, CHICAGO, at("2026-12-01T08:30:00-06:00"))  # 14:30 UTC
    assert not is_open(WEEKDAYS_8_TO_5, CHICAGO, at("2026-12-01T07:59:00-06:00"))
    assert not is_open(WEEKDAYS_8_TO_5, CHICAGO, at("2026-12-01T17:00:00-06:00"))
    assert not is_open(WEEKDAYS_8_TO_5, CHICAGO, at("2026-12-05T10:00:00-06:00"))  # a Saturday


def test_friday_evening_next_opens_on_monday_morning():
    assert next_opening(WEEKDAYS_8_TO_5, CHICAGO, at("2026-12-04T18:00:00-06:00")) == at("2026-12-07T08:00:00-06:00")


def test_a_span_past_midnight_belongs_to_the_day_it_opens():
    late = [Span(4, time(20), time(2))]  # Friday 20:00 to Saturday 02:00
    assert is_open(late, CHICAGO, at("2026-12-05T01:30:00-06:00"))
    assert not is_open(late, CHICAGO, at("2026-12-05T02:30:00-06:00"))


def test_the_sla_clock_stops_overnight():
    # 4:58 PM on a Tuesday, a 5-minute clock: 2 minutes today, 3 tomorrow from 8:00.
    assert after_open_time(WEEKDAYS_8_TO_5, CHICAGO, at("2026-12-01T16:58:00-06:00"), 300) == at(
        "2026-12-02T08:03:00-06:00"
    )


def test_the_sla_clock_counts_real_minutes_across_the_spring_dst_change():
    # Open all day Sunday 8 March 2026, the night the clocks jump from 2:00 to 3:00.
    all_day = [Span(6, time(0), time(0))]
    start = at("2026-03-08T01:30:00-06:00")
    assert after_open_time(all_day, CHICAGO, start, 3600) == at("2026-03-08T03:30:00-05:00")
    assert next_opening([Span(0, time(8), time(17))], CHICAGO, start) == at("2026-03-09T08:00:00-05:00")
