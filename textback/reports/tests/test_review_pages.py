"""Review of issue 8: the report pages' costs and the agency page's cost in queries."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from textback.accounts.models import Business, Membership
from textback.providers.models import SANDBOX, Line, ProviderAccount
from textback.reports.costs import do_set_costs
from textback.testing import a_missed_call, an_inbound_text

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


# The agency page reads the memberships, every business's costs and every business's kept days in one query
# each (funnel.read_kept); what it does not batch is funnel.days over each business's recent days, figured afresh
# from the rows: its first call and first text (two index reads; a GROUP BY over every business's
# year of calls would cost more than they do), the outcome changes it guards its keeping with, the lines, the
# calls, the texts, the keyword texts and the opening hours.
PER_BUSINESS = 8
FIXED = 5  # session, user, memberships (active lines counted), costs, kept days


def _agency_queries(client) -> int:
    with CaptureQueriesContext(connection) as seen:
        assert client.get("/reports/").status_code == 200
    return len(seen)


def _more_businesses(alice, n: int, first: int = 0) -> None:
    """n more businesses alice manages, each with a line and, two days ago, a missed call whose caller replied."""
    for i in range(first, first + n):
        business = Business.objects.create(name=f"Client {i:02d}", slug=f"client-{i}", time_zone="America/Denver")
        Membership.objects.create(user=alice, business=business, role=Membership.MANAGER)
        account = ProviderAccount.objects.create(business=business, provider=SANDBOX, label="demo")
        line = Line.objects.create(business=business, account=account, number=f"+1512555{7000 + i}",
                                   forward_to=["+15125550999"], staff_name="Mike", keyword_replies=Line.OURS)  # fmt: skip
        caller = f"+1512444{1000 + i}"
        with time_machine.travel(NOW - timedelta(days=2), tick=False):
            a_missed_call(line, caller)
        with time_machine.travel(NOW - timedelta(days=2) + timedelta(minutes=2), tick=False):
            an_inbound_text(line, "Can you come today?", caller)


def test_the_agency_pages_queries_grow_by_one_recent_funnel_read_per_business(as_alice, alice, alpha_line):
    """Found: every query once per business. The review asked for no growth at all, which only a funnel that
    figures many businesses' recent days at once could give (funnel.py is the lead's); the page batches the rest,
    so it grows by funnel.days over the recent days only."""
    _more_businesses(alice, 1)
    as_alice.get("/reports/")
    two = _agency_queries(as_alice)
    _more_businesses(alice, 10, first=1)
    as_alice.get("/reports/")  # the settled days kept

    twelve = _agency_queries(as_alice)

    assert twelve <= two + 10 * PER_BUSINESS, f"{two} queries for 2 businesses, {twelve} for 12"


def test_five_businesses_cost_a_fixed_few_queries_plus_one_recent_day_read_each(as_alice, alice, alpha_line):
    _more_businesses(alice, 5)
    Membership.objects.filter(user=alice, business__slug="alpha").delete()
    as_alice.get("/reports/")  # the settled days kept

    five = _agency_queries(as_alice)

    assert five == FIXED + 5 * PER_BUSINESS, f"{five} queries for 5 businesses"
