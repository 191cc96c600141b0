"""Review of issue 8: bad dates that crash the report, the API and the CSV exports (each should be a 400)."""

from datetime import UTC, datetime

import pytest
import time_machine

from textback.api import tokens
from textback.api.models import ApiToken

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _the_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.parametrize("first,last", [("0001-01-01", "0001-01-02"), ("9999-12-30", "9999-12-31")])
def test_the_dashboard_answers_a_period_at_the_calendars_edge_with_a_400_not_a_500(as_alice, alpha_line, first, last):
    # 0001-01-01: Period.previous() underflows date.min; 9999-12-31: day_start(last + 1 day) overflows.
    response = as_alice.get("/b/alpha/reports/", {"period": "custom", "from": first, "to": last})
    assert response.status_code == 400


@pytest.mark.parametrize("first,last", [("0001-01-01", "0001-01-02"), ("9999-12-30", "9999-12-31")])
def test_the_funnel_csv_answers_an_edge_period_with_a_400(as_alice, alpha_line, first, last):
    try:
        response = as_alice.get("/b/alpha/reports/funnel.csv", {"from": first, "to": last})
        body = b"".join(response.streaming_content) if response.streaming else response.content
    except OverflowError as exc:  # raised while streaming: the client gets a cut-off 200
        pytest.fail(f"the export crashed mid-stream: {exc!r}")
    assert response.status_code == 400, body[:200]


@pytest.mark.parametrize(
    "params", [{"from": "9999-12-31", "to": "9999-12-31"}, {"from": "0001-01-01", "to": "0001-01-01"}]
)
def test_api_metrics_answers_an_edge_period_with_a_4xx(client, alpha, alice, params):
    token = tokens.do_create(alpha, "t", ApiToken.READ, alice).plain
    response = client.get("/api/v1/metrics", params, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert 400 <= response.status_code < 500, response.content[:200]


@pytest.mark.parametrize("params", [{"to": "9999-12-31"}, {"from": "9999-12-31"}])
def test_api_calls_answers_an_edge_date_with_a_4xx(client, alpha, alice, params):
    token = tokens.do_create(alpha, "t", ApiToken.READ, alice).plain
    response = client.get("/api/v1/calls", params, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert 400 <= response.status_code < 500, response.content[:200]


@pytest.mark.parametrize("path", ["/reports/", "/b/alpha/reports/calls.csv", "/b/alpha/reports/conversations.csv"])
def test_the_agency_page_and_the_other_exports_answer_an_edge_period_with_a_400(as_alice, alpha_line, path):
    try:
        response = as_alice.get(path, {"period": "custom", "from": "9999-12-31", "to": "9999-12-31"})
        if response.streaming:
            b"".join(response.streaming_content)
    except OverflowError as exc:
        pytest.fail(f"crashed: {exc!r}")
    assert response.status_code == 400
