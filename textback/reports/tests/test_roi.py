"""The ROI calculator: the seeds' formula, its benchmarks per trade, and the switch to the business's own rates
once it has 30 days of data."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from textback.calls import outcomes
from textback.messaging.conversations import do_set_outcome
from textback.messaging.models import Conversation, Message
from textback.providers.models import Line
from textback.reports import benchmarks, roi
from textback.reports.figures import DayFigures
from textback.reports.models import Costs
from textback.testing import a_missed_call, an_inbound_text, delivery_reports, page_text

pytestmark = pytest.mark.django_db
CST = timedelta(hours=-6)
FIRST_CALL = datetime(2026, 11, 2, 10, 0, tzinfo=UTC) - CST  # Nov 2, 10:00 in Chicago


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- the formula ------------------------------------------------------------------------------------------


def test_it_multiplies_the_seeds_formula_out():
    result = roi.calculate(600, 35, 60, 30, 350, 99, roi.Extras(price_per_segment=0.01, segments_per_missed_call=3))
    assert (result.missed, round(result.replies, 6), round(result.booked, 6)) == (210, 126, 37.8)
    assert round(result.revenue, 2) == 13230
    assert round(result.monthly_cost, 2) == 99 + 6.30
    assert result.shown() == {"missed": "210", "replies": "126.0", "booked": "37.8", "revenue": "$13,230",
                              "monthly_cost": "$105.30", "roi": "125.6×"}  # fmt: skip


def test_it_counts_numbers_and_per_call_charges_in_the_cost():
    result = roi.calculate(100, 50, 50, 50, 100, 10, roi.Extras(price_per_segment=0, numbers_monthly=2.3, per_call=0.1))
    assert round(result.monthly_cost, 2) == 10 + 2.3 + 10
    assert result.shown()["revenue"] == "$1,250"


def test_it_shows_no_multiple_when_nothing_costs_anything():
    assert roi.calculate(100, 30, 60, 30, 200, 0, roi.Extras(price_per_segment=0)).shown()["roi"] == "—"


def test_it_rounds_half_up_as_the_page_script_does():
    assert roi.round_half_up(2.5) == 3 and roi.round_half_up(0.25, 1) == 0.3


# --- benchmarks -------------------------------------------------------------------------------------------


def test_each_trade_of_the_industry_table_has_its_own_benchmarks():
    dental, roofing = benchmarks.for_trade("dental"), benchmarks.for_trade("roofing")
    assert (dental["average_ticket"].value, dental["monthly_calls"].value, dental["miss_rate"].value) == (
        Decimal("300"), Decimal("800"), Decimal("0.25"))  # fmt: skip
    assert roofing["average_ticket"].value == Decimal("1200")
    assert benchmarks.for_trade("other")["miss_rate"].value == Decimal("0.35")  # the middle of 30–40 %


def test_the_prefill_is_the_middle_of_a_range_and_shows_the_range():
    starts = roi.prefill("plumbing", None, None)
    assert starts["reply_rate"].value == Decimal("60.0") and starts["booking_rate"].value == Decimal("30.0")
    assert starts["reply_rate"].kind == "benchmark" and "50–70 %" in starts["reply_rate"].label
    assert starts["miss_rate"].value == Decimal("35.0") and "industry table" in starts["miss_rate"].label


def test_measured_rates_replace_the_benchmarks_and_say_of_what():
    figures = DayFigures(calls=63, measured_calls=63, measured_missed=41, texted=40, replied=22, booked=7,
                         revenue_cents=245000)  # fmt: skip
    figures.missed["no_answer"] = 41
    starts = roi.prefill("hvac", None, figures)
    assert starts["miss_rate"].value == Decimal("65.1")
    assert starts["miss_rate"].label == "measured: last 30 days (41 of 63 calls missed)"
    assert starts["monthly_calls"].value == 63
    assert starts["reply_rate"].value == Decimal("55.0") and starts["booking_rate"].value == Decimal("31.8")
    assert starts["average_ticket"].value == Decimal("350.00")


def test_a_rate_that_cannot_be_measured_falls_back_to_its_benchmark_and_says_so():
    figures = DayFigures(calls=20, texted=0)
    figures.missed["no_answer"] = 20
    starts = roi.prefill("hvac", None, figures, missed_only=True)
    assert starts["miss_rate"].kind == "benchmark"
    assert "not measured in this mode" in starts["miss_rate"].note
    assert starts["monthly_calls"].kind == "benchmark"
    assert starts["reply_rate"].kind == "benchmark" and "no text-backs" in starts["reply_rate"].note


def test_the_owners_own_ticket_and_software_cost_come_first():
    costs = Costs(trade="hvac", average_ticket=Decimal("420"), software_monthly=Decimal("49"))
    starts = roi.prefill("hvac", costs, None)
    assert (starts["average_ticket"].value, starts["average_ticket"].kind) == (Decimal("420"), "yours")
    assert starts["software_monthly"].value == Decimal("49")


def test_the_software_cost_starts_at_the_owners_costs_even_at_zero_as_the_reports_roi_counts_it():
    starts = roi.prefill("hvac", Costs(trade="hvac"), None)  # nothing entered: textback itself costs nothing
    assert (starts["software_monthly"].value, starts["software_monthly"].kind) == (Decimal("0"), "yours")
    assert "enter what hosting it costs" in starts["software_monthly"].label


# --- the page ---------------------------------------------------------------------------------------------


@pytest.fixture
def month_of_calls(alpha, alice, alpha_line):
    """Nov 2: a missed call texted, replied to and booked ($400), and an answered call (forward-and-screen)."""
    Costs.objects.create(business=alpha, trade="plumbing")
    with time_machine.travel(FIRST_CALL, tick=False):
        call = a_missed_call(alpha_line, "+15125550101")
        text = Message.objects.get(call=call, purpose=Message.TEXTBACK)
        delivery_reports(text, "delivered")
        a_missed_call(alpha_line, "+15125550102", outcomes.ANSWERED)
    with time_machine.travel(FIRST_CALL + timedelta(minutes=5), tick=False):
        an_inbound_text(alpha_line, "Yes please, the sink", "+15125550101")
        do_set_outcome(Conversation.objects.get(contact__number="+15125550101"), alice, "booked", value="400")


def _page(user, **params):
    return signed_in(user).get("/b/alpha/reports/roi", params)


def test_the_prefill_switches_from_benchmarks_to_measured_rates_at_30_days(alice, month_of_calls):
    day_29_end = datetime(2026, 12, 1, 23, 59, tzinfo=UTC) - CST  # Dec 1 local: 29 days after Nov 2
    with time_machine.travel(day_29_end, tick=False):
        before = page_text(_page(alice))
    with time_machine.travel(day_29_end + timedelta(minutes=1), tick=False):  # Dec 2, 00:00 local: 30 days
        after = page_text(_page(alice))
    assert "industry benchmarks for <strong>Plumbing</strong>" in before and "measured:" not in before
    assert "your own figures over the last 30 full days (Nov 2, 2026 – Dec 1, 2026)" in after
    assert "measured: last 30 days (1 of 2 calls missed)" in after
    assert "measured: last 30 days (1 of 1 texted callers replied)" in after
    assert "measured: last 30 days (average of 1 booked jobs)" in after
    assert 'name="miss_rate" value="50.0"' in after and 'name="miss_rate" value="35.0"' in before


def test_the_form_answers_without_javascript(mary, alpha):
    response = _page(mary, monthly_calls="600", miss_rate="35", reply_rate="60", booking_rate="30",
                     average_ticket="350", software_monthly="99")  # fmt: skip
    assert response.status_code == 200
    assert '<dd id="out-revenue" class="big">$13,230</dd>' in page_text(response)


def test_a_figure_out_of_range_is_refused_next_to_its_field(alice, alpha):
    response = _page(alice, monthly_calls="-5", miss_rate="140", reply_rate="60", booking_rate="30",
                     average_ticket="abc", software_monthly="99")  # fmt: skip
    text = page_text(response)
    assert response.status_code == 400
    assert "“Inbound calls a month” cannot be negative." in text
    assert "“Missed-call rate (%)” must be 100 or less." in text
    assert "Give “Average ticket ($)” as a number" in text


def test_an_agent_cannot_see_the_calculator(bob, alpha):
    assert _page(bob).status_code == 403


def test_the_page_runs_only_our_own_script(alice, alpha):
    response = _page(alice)
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert 'src="/static/textback/roi.js"' in page_text(response) and "<script>" not in page_text(response)


def test_carrier_forwarding_says_the_miss_rate_is_not_measured(alice, alpha, alpha_line, month_of_calls):
    Line.objects.filter(business=alpha).update(call_mode=Line.CARRIER_FORWARD)
    with time_machine.travel(FIRST_CALL + timedelta(days=31), tick=False):
        text = page_text(_page(alice))
    assert "miss rate not measured in this mode" in text


@pytest.mark.cross_tenant("reports-roi")
def test_another_business_calculator_is_not_found(alice, beta):
    assert signed_in(alice).get("/b/beta/reports/roi").status_code == 404


def test_a_rate_that_is_not_a_number_is_named_with_its_percent_sign(alice, alpha):
    text = page_text(_page(alice, monthly_calls="1", miss_rate="x", reply_rate="", booking_rate="1e999",
                           average_ticket="1", software_monthly="1"))  # fmt: skip
    assert "Give “Missed-call rate (%)” as a number" in text and "Give “Text-back reply rate (%)” as a number" in text
    assert "%%" not in text
