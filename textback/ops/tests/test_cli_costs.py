"""`textback business costs`: what the costs page sets, from a shell, with the page's checks."""

from decimal import Decimal

import pytest

from textback.reports.models import Costs

pytestmark = pytest.mark.django_db


def test_it_sets_the_costs_and_trade(textback, acme):
    result = textback("business", "costs", "acme", "--software-monthly", "99", "--trade", "hvac",
                      "--average-ticket", "400")  # fmt: skip
    assert result.code == 0, result.err
    costs = Costs.objects.get(business=acme)
    assert (costs.software_monthly, costs.trade, costs.average_ticket) == (Decimal("99"), "hvac", Decimal("400"))
    assert "software monthly: 99" in result.out


def test_a_negative_cost_is_refused_with_the_flag_named(textback, acme):
    result = textback("business", "costs", "acme", "--per-call", "-1")
    assert result.code != 0 and "--per-call: “Each inbound call ($)” cannot be negative." in result.err
    assert not Costs.objects.exists()


def test_without_flags_it_shows_the_costs(textback, acme):
    result = textback("business", "costs", "acme")
    assert result.code == 0 and "trade: other" in result.out and not Costs.objects.exists()
