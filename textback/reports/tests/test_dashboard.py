"""What the dashboard shows, from hand-built days: the rates with their numerator and denominator, the honest
miss rate, the trends against the previous period, the heat map, the speed buckets and the breaches."""

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

from textback.reports import dashboard
from textback.reports.dashboard import LineView
from textback.reports.figures import DayFigures
from textback.reports.models import Costs
from textback.reports.periods import Period

SCREENED = LineView(1, "Main", "forward_screen")
FORWARDED = LineView(2, "Van", "carrier_forward")
PBX = LineView(3, "Office PBX", "generic")
NOV = Period(date(2026, 11, 1), date(2026, 11, 30))


def day(**fields) -> DayFigures:
    return DayFigures(**fields)


def build(days, lines=(SCREENED,), previous=None, period=NOV, costs=None):
    return dashboard.build(days, previous or DayFigures(), period, list(lines), costs or Costs(), "America/Chicago")


def test_each_rate_shows_its_numerator_and_denominator():
    board = build({date(2026, 11, 2): {1: day(texted=63, replied=41, booked=12, delivered=60)}})

    assert str(board.recovery_rate) == "41 of 63" and board.recovery_rate.percent == "65%"
    assert str(board.booking_rate) == "12 of 41" and board.booking_rate.percent == "29%"
    assert str(board.delivery_rate) == "60 of 63"


def test_the_miss_rate_is_not_measured_where_no_line_sees_answered_calls():
    days = {date(2026, 11, 2): {2: day(calls=10, missed=Counter(no_answer=10))}}

    board = build(days, lines=[FORWARDED, PBX])

    assert board.miss_rate is None
    assert board.miss_rate_note.startswith("Miss rate not measured in this mode")


def test_with_mixed_lines_it_says_which_lines_the_miss_rate_covers():
    days = {date(2026, 11, 2): {1: day(calls=8, answered=5, missed=Counter(busy=3), measured_calls=8,
                                       measured_missed=3), 2: day(calls=4, missed=Counter(no_answer=4))}}  # fmt: skip

    board = build(days, lines=[SCREENED, FORWARDED])

    assert str(board.miss_rate) == "3 of 8"  # never 7 of 12: the forwarded calls were all missed by definition
    assert board.miss_rate_note == "The miss rate covers Main only: the other lines never see answered calls."


def test_on_screened_lines_alone_the_miss_rate_needs_no_note():
    days = {date(2026, 11, 2): {1: day(calls=4, measured_calls=4, measured_missed=1, missed=Counter(busy=1))}}

    assert build(days).miss_rate_note == ""


def test_missed_and_skipped_are_listed_by_outcome_and_reason_in_words():
    days = {date(2026, 11, 2): {1: day(missed=Counter(no_answer=3, voicemail=1),
                                       skipped=Counter(opted_out=1, expired=2, pending=1))}}  # fmt: skip

    board = build(days)

    assert board.missed == [("No answer", 3), ("Voicemail left", 1)]
    assert board.skipped == [
        ("Expired: too late to be worth sending", 2),
        ("The caller has opted out (STOP)", 1),
        ("Waiting to be sent", 1),
    ]


def test_trends_are_daily_up_to_90_days_and_weekly_beyond():
    daily = build({date(2026, 11, 3): {1: day(missed=Counter(busy=2))}})
    year = Period(date(2025, 12, 1), date(2026, 11, 30))
    weekly = build({date(2026, 11, 3): {1: day(missed=Counter(busy=2))}, date(2026, 11, 5): {1: day(texted=1)}},
                   period=year)  # fmt: skip

    assert len(daily.trend.rows) == 30 and daily.trend.rows[2] == ["Nov 3", 2, 0, 0, 0]
    assert weekly.trend.title == "By week" and ["wk Nov 2", 2, 1, 0, 0] in weekly.trend.rows


def test_each_trend_figure_is_compared_with_the_previous_period():
    board = build({date(2026, 11, 2): {1: day(missed=Counter(busy=12), texted=10, revenue_cents=50000)}},
                  previous=day(missed=Counter(busy=8), texted=0, revenue_cents=40000))  # fmt: skip

    changes = {c["name"]: c for c in board.changes}
    assert (changes["Missed"]["now"], changes["Missed"]["before"], changes["Missed"]["change"]) == (12, 8, 50)
    assert changes["Texted"]["change"] is None  # nothing to compare with
    assert changes["Revenue"]["change"] == 25 and changes["Revenue"]["now"] == Decimal("500")


def test_the_heat_map_reads_the_weekday_from_the_date():
    days = {date(2026, 11, 2): {1: day(heat=Counter({9: 2}))}, date(2026, 11, 9): {1: day(heat=Counter({9: 1}))},
            date(2026, 11, 7): {1: day(heat=Counter({22: 1}))}}  # fmt: skip

    rows = build(days).heat.rows

    assert rows[0][0] == "Mon" and rows[0][1 + 9] == 3  # both Mondays at 09:00
    assert rows[5][0] == "Sat" and rows[5][1 + 22] == 1


def test_speeds_fall_into_buckets_that_read_well_with_their_percentiles():
    seconds = Counter({2: 5, 4: 3, 7: 1, 40: 1, 1000: 1})

    board = build({date(2026, 11, 2): {1: day(textback_seconds=seconds)}})

    histogram = board.histograms[0]
    assert histogram.rows[:4] == [["0–5 s", 8], ["5–15 s", 1], ["15–30 s", 0], ["30–60 s", 1]]
    assert histogram.rows[-1] == ["15 min +", 1]
    assert board.speed["textback"] == {"p50": 4, "p90": 40, "n": 11}  # the 6th of 11 is 4 s
    assert "half within 4 s, nine in ten within 40 s" in histogram.summary


def test_durations_read_as_people_write_them():
    assert [dashboard.duration(s) for s in (None, 42, 185, 900, 7800, 3600, 97200)] == [
        "—", "42 s", "3 min 5 s", "15 min", "2 h 10 min", "1 h", "1 d 3 h",
    ]  # fmt: skip


def test_the_breaches_are_the_newest_fifty_with_local_times():
    start = date(2026, 11, 1)
    days = {
        start + timedelta(days=n): {1: day(breach_list=[{"conversation": n, "at": f"2026-11-{n + 1:02d}T15:00:00+00:00",
                                                         "waited": 1800 if n % 2 else None}])}
        for n in range(30)
    }  # fmt: skip
    days[start] = {1: day(breach_list=[{"conversation": 100 + k, "at": "2026-11-01T12:00:00+00:00", "waited": 60}
                                       for k in range(30)])}  # fmt: skip

    breaches = build(days).breaches

    assert len(breaches) == 50
    assert breaches[0]["conversation"] == 29 and breaches[0]["at"].hour == 9  # 15:00 UTC is 09:00 in Chicago
    assert breaches[0]["waited"] == "30 min" and breaches[1]["waited"] == "not answered"


def test_roi_uses_the_business_costs_over_the_period():
    costs = Costs(software_monthly=Decimal("30"), price_per_segment=Decimal("0"))

    board = build({date(2026, 11, 2): {1: day(revenue_cents=120000, booked=3)}}, costs=costs)

    assert board.cost.total == Decimal("30.00") and board.roi == Decimal("40.0")


def test_a_period_without_calls_is_empty():
    board = build({date(2026, 11, 2): {}})

    assert board.empty and board.trend.svg is None and board.heat.svg is None
    assert board.recovery_rate is None and board.roi is None


def test_a_quiet_period_on_a_screened_line_is_no_reason_to_say_not_measured():
    board = build({date(2026, 11, 2): {}}, lines=[SCREENED, FORWARDED])

    assert board.miss_rate is None
    assert board.miss_rate_note == "No calls in this period on the lines that measure the miss rate (Main)."
