"""The costs and trade settings: an owner sets them, bad figures are refused with words, others cannot."""

from decimal import Decimal

import pytest
from django.test import Client

from textback.reports.costs import costs_of
from textback.reports.models import Costs
from textback.testing import flashed, page_text

pytestmark = pytest.mark.django_db
GOOD = {"trade": "hvac", "software_monthly": "99", "price_per_segment": "0.0079", "number_monthly": "1.15",
        "per_call": "0.0085", "average_ticket": ""}  # fmt: skip


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_owner_sets_the_costs_and_trade(alice, alpha):
    response = signed_in(alice).post("/b/alpha/settings/costs", GOOD, follow=True)
    assert "Saved your costs and trade." in flashed(response)
    costs = Costs.objects.get(business=alpha)
    assert (costs.trade, costs.software_monthly, costs.price_per_segment) == ("hvac", Decimal("99"), Decimal("0.0079"))
    assert costs.average_ticket is None


def test_reading_the_page_writes_no_row(alice, alpha):
    assert signed_in(alice).get("/b/alpha/settings/costs").status_code == 200
    assert not Costs.objects.exists() and costs_of(alpha).trade == "other"


@pytest.mark.parametrize(
    "field, value, words",
    [
        ("software_monthly", "-1", "“Software, a month ($)” cannot be negative."),
        ("price_per_segment", "5", "“Price per SMS segment ($)” must be 1 or less."),
        ("price_per_segment", "0.00001", "takes at most 4 digits after the point"),
        ("average_ticket", "$300", "Give “Average ticket ($)” as a number"),
        ("trade", "astrology", "Choose one of the options for “Trade”."),
    ],
)
def test_a_bad_figure_is_refused_and_nothing_is_saved(alice, alpha, field, value, words):
    response = signed_in(alice).post("/b/alpha/settings/costs", {**GOOD, field: value})
    assert response.status_code == 400 and words in page_text(response)
    assert not Costs.objects.exists()


def test_a_manager_may_not_change_the_costs(mary, alpha):
    assert signed_in(mary).post("/b/alpha/settings/costs", GOOD).status_code == 403
    assert not Costs.objects.exists()


def test_the_settings_hub_links_the_costs_page(alice, alpha):
    assert 'href="/b/alpha/settings/costs"' in page_text(signed_in(alice).get("/b/alpha/settings/"))


@pytest.mark.cross_tenant("settings-costs")
def test_another_business_costs_are_not_found(alice, beta):
    assert signed_in(alice).post("/b/beta/settings/costs", GOOD).status_code == 404
    assert not Costs.objects.exists()
