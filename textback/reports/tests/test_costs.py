"""What textback cost over a period, and the ROI: pure arithmetic on Costs and the period's figures."""

from decimal import Decimal

from textback.reports import costs
from textback.reports.figures import DayFigures
from textback.reports.models import Costs


def priced(**fields) -> Costs:
    return Costs(**{"software_monthly": Decimal("0"), "price_per_segment": Decimal("0"), **fields})


def test_it_charges_software_by_the_period_days_over_a_30_day_month():
    spent = costs.cost(priced(software_monthly=Decimal("49")), DayFigures(), days=15, lines=1)

    assert spent.total == Decimal("24.50")


def test_it_charges_every_segment_sent_and_received():
    figures = DayFigures(segments_out=700, segments_in=300)

    spent = costs.cost(priced(price_per_segment=Decimal("0.0083")), figures, days=30, lines=1)

    assert spent.sms == Decimal("8.3000") and spent.total == Decimal("8.30")


def test_it_charges_each_line_number_monthly_and_each_call():
    figures = DayFigures(calls=120)

    spent = costs.cost(priced(number_monthly=Decimal("1.15"), per_call=Decimal("0.0085")), figures, days=60, lines=3)

    assert spent.numbers == Decimal("6.9") and spent.calls == Decimal("1.02")
    assert spent.total == Decimal("7.92")


def test_roi_is_revenue_over_cost_to_one_decimal():
    spent = costs.cost(priced(software_monthly=Decimal("30")), DayFigures(), days=30, lines=1)

    assert costs.roi(Decimal("1234"), spent) == Decimal("41.1")


def test_roi_is_none_when_nothing_was_spent():
    assert costs.roi(Decimal("500"), costs.cost(priced(), DayFigures(calls=9), days=30, lines=2)) is None


def test_the_default_costs_charge_the_segments_only():
    spent = costs.cost(Costs(), DayFigures(segments_out=100, calls=50), days=30, lines=2)

    assert spent.total == Decimal("0.83")


def test_costs_add_up_across_businesses():
    one = costs.cost(priced(software_monthly=Decimal("30")), DayFigures(), days=30, lines=1)

    assert (one + one + costs.NOTHING).total == Decimal("60.00")
