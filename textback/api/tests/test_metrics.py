"""/api/v1/metrics against hand-built days (reports/funnel.py is tested with recorded history on its own)."""

from collections import Counter
from datetime import date

import pytest

from textback.reports.figures import DayFigures

FIRST = date(2026, 11, 2)


def day(**figures) -> DayFigures:
    made = DayFigures()
    for name, value in figures.items():
        setattr(made, name, value)
    return made


@pytest.fixture
def asked(monkeypatch):
    """funnel.days replaced by two known days on two lines; records what it was asked."""
    seen = []

    def days(business, period, line_id=None):
        seen.append((business.slug, period.first, period.last, line_id))
        found = {d: {} for d in period.dates()}
        if FIRST in found:
            found[FIRST] = {
                1: day(calls=10, answered=4, missed=Counter(no_answer=5, voicemail=1), measured_calls=10,
                       measured_missed=6, texted=6, skipped=Counter(opted_out=0), delivered=5, replied=3, booked=1,
                       revenue_cents=35000, textback_seconds=Counter({2: 5, 30: 1}), segments_out=7, heat=Counter({9: 6})),
                2: day(calls=2, missed=Counter(busy=2), texted=2, replied=1, booked=1, revenue_cents=12050,
                       answer_seconds=Counter({60: 1, 600: 1}), breach_list=[{"conversation": 9, "at": "x", "waited": 900}]),
            }  # fmt: skip
        return found

    monkeypatch.setattr("textback.reports.funnel.days", days)
    return seen


def test_it_gives_every_figure_and_rate_of_the_period(api, alpha_read, asked, alpha):
    response = api.get("/metrics", alpha_read, **{"from": "2026-11-01", "to": "2026-11-07"})
    assert response.status_code == 200
    m = response.json()
    assert asked == [("alpha", date(2026, 11, 1), date(2026, 11, 7), None)]
    assert m["period"] == {"from": "2026-11-01", "to": "2026-11-07", "days": 7}
    assert m["time_zone"] == alpha.time_zone
    assert (m["calls"], m["answered"], m["missed_total"], m["texted"], m["replied"], m["booked"]) == (12, 4, 8, 8, 4, 2)
    assert m["missed"] == {"busy": 2, "no_answer": 5, "voicemail": 1}
    assert m["skipped"] == {}
    assert m["revenue"] == "470.50"
    assert (m["miss_rate"], m["miss_rate_note"]) == (0.6, None)
    assert (m["recovery_rate"], m["booking_rate"]) == (0.5, 0.5)
    assert m["textback_seconds"] == {"count": 6, "p50": 2, "p90": 30}
    assert m["answer_seconds"] == {"count": 2, "p50": 60, "p90": 600}
    assert m["heat"] == {"9": 6}
    assert m["breach_list"] == [{"conversation": 9, "at": "x", "waited": 900}]
    assert m["daily"] is None


def test_it_says_the_miss_rate_is_not_measured_where_no_line_sees_answered_calls(api, alpha_read, monkeypatch):
    monkeypatch.setattr(
        "textback.reports.funnel.days",
        lambda business, period, line_id=None: {period.first: {1: day(calls=3, missed=Counter(no_answer=3))}},
    )
    m = api.get("/metrics", alpha_read, period="7d").json()
    assert m["miss_rate"] is None
    assert m["miss_rate_note"].startswith("not measured in this mode")
    assert m["recovery_rate"] is None and m["booking_rate"] is None
    assert m["textback_seconds"] == {"count": 0, "p50": None, "p90": None}


def test_it_gives_one_row_per_local_day_when_asked(api, alpha_read, asked, alpha_line):
    m = api.get("/metrics", alpha_read, **{"from": "2026-11-01", "to": "2026-11-03", "daily": "true"}).json()
    assert [(d["date"], d["calls"]) for d in m["daily"]] == [("2026-11-01", 0), ("2026-11-02", 12), ("2026-11-03", 0)]
    api.get("/metrics", alpha_read, **{"from": "2026-11-01", "to": "2026-11-03", "line": alpha_line.pk})
    assert asked[-1][3] == alpha_line.pk


@pytest.mark.parametrize(
    "params",
    [{"from": "2026-11-01"}, {"from": "2026-11-05", "to": "2026-11-01"}, {"from": "nov", "to": "dec"},
     {"period": "2y"}, {"from": "2020-01-01", "to": "2026-01-01"}],
)  # fmt: skip
def test_it_refuses_a_period_it_cannot_read(api, alpha_read, asked, params):
    response = api.get("/metrics", alpha_read, **params)
    assert response.status_code == 400
    assert response.json()["detail"].startswith("period:")
    assert asked == []


def test_it_reads_the_recorded_funnel(api, alpha_read, alpha_line):
    from textback.testing import a_missed_call

    a_missed_call(alpha_line)
    m = api.get("/metrics", alpha_read, period="7d", daily="true").json()
    assert (m["calls"], m["missed_total"], m["missed"]) == (1, 1, {"no_answer": 1})
    assert m["miss_rate"] == 1.0  # a forward-and-screen line sees answered calls: the rate is measured
    assert sum(d["calls"] for d in m["daily"]) == 1 and len(m["daily"]) == 7


def test_it_gives_the_periods_cost_and_roi_as_the_report_counts_them(api, alpha_read, asked, alpha, alpha_line):
    from decimal import Decimal

    from textback.reports.costs import do_set_costs

    do_set_costs(alpha, software_monthly=Decimal("60"), price_per_segment=Decimal("0.01"))

    m = api.get("/metrics", alpha_read, **{"from": "2026-11-01", "to": "2026-11-15"}).json()

    # software 60 × 15 ÷ 30 = 30.00; SMS 7 segments × 0.01 = 0.07; ROI 470.50 ÷ 30.07 = 15.6
    assert m["cost"] == {"software": "30.00", "sms": "0.07", "numbers": "0.00", "calls": "0.00", "total": "30.07"}
    assert m["roi"] == "15.6"


def test_it_gives_no_roi_when_nothing_was_spent(api, alpha_read, asked, alpha):
    from decimal import Decimal

    from textback.reports.costs import do_set_costs

    do_set_costs(alpha, price_per_segment=Decimal("0"))

    m = api.get("/metrics", alpha_read, **{"from": "2026-11-01", "to": "2026-11-07"}).json()
    assert (m["cost"]["total"], m["roi"]) == ("0.00", None)
