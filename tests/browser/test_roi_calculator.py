# ruff: noqa: F811  (the cast is imported as fixtures, then named as test arguments)
"""The ROI calculator in chromium: the page's script gives the server's answers as you type, the costs page,
and the weekly email's HTML. Screenshots at phone and desktop widths land in /work/shots/roi/ (or
TEXTBACK_SHOTS)."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from playwright.sync_api import expect

from textback.calls import outcomes
from textback.conftest import alice, alpha, alpha_line, alpha_twilio  # noqa: F401  (the cast, as fixtures)
from textback.messaging.conversations import do_set_outcome
from textback.messaging.models import Conversation, Message
from textback.reports import periods, weekly
from textback.reports.figures import DayFigures
from textback.reports.models import Costs
from textback.testing import a_missed_call, an_inbound_text, delivery_reports

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(os.environ.get("TEXTBACK_SHOTS", "/work/shots/roi"))
OUTPUTS = ("missed", "replies", "booked", "revenue", "cost", "roi")
INPUTS = [
    {"monthly_calls": "600", "miss_rate": "35", "reply_rate": "60", "booking_rate": "30", "average_ticket": "350",
     "software_monthly": "99"},
    {"monthly_calls": "137", "miss_rate": "27.5", "reply_rate": "41.3", "booking_rate": "22.2",
     "average_ticket": "1234.56", "software_monthly": "0"},
    {"monthly_calls": "1", "miss_rate": "100", "reply_rate": "50", "booking_rate": "50", "average_ticket": "10",
     "software_monthly": "5"},
    {"monthly_calls": "999999", "miss_rate": "0.1", "reply_rate": "99.9", "booking_rate": "0.5",
     "average_ticket": "80", "software_monthly": "300"},
]  # fmt: skip


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} is wider than {width} px"


@pytest.fixture(autouse=True)
def _orm_beside_playwright(monkeypatch):
    """Playwright's sync API keeps an event loop in this thread; the test's own ORM calls are still sync."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")


@pytest.fixture
def own_browser(transactional_db, live_server):
    """Chromium of this test alone, started after the database and stopped before it is emptied: Playwright's
    sync API runs an event loop in this thread, and Django refuses to set up or flush a database beside one."""
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(own_browser, live_server, client, alice):  # the database before the live server, so it outlives it
    browser = own_browser
    client.force_login(alice)
    context = browser.new_context(base_url=live_server.url)
    cookie = client.cookies["sessionid"]
    context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = []  # a script the policy refused, or one that failed (a 4xx page is what the test asked for)
    page.on(
        "console", lambda m: errors.append(m.text) if m.type == "error" and "Failed to load" not in m.text else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, errors


def outputs(page) -> dict:
    return {name: page.locator(f"#out-{name}").inner_text() for name in OUTPUTS}


def test_the_script_gives_the_servers_answers_as_you_type(page, alpha, alpha_line):
    Costs.objects.create(business=alpha, trade="hvac", number_monthly="1.15", per_call="0.0085")
    page.goto("/b/alpha/reports/roi")
    expect(page.locator("#basis")).to_contain_text("industry benchmarks for HVAC")
    shoot(page, "roi-benchmarks")
    for values in INPUTS:
        page.goto("/b/alpha/reports/roi")
        for name, value in values.items():
            page.locator(f"[name={name}]").fill(value)
        live = outputs(page)
        page.get_by_role("button", name="Calculate").click()
        page.wait_for_load_state()
        assert outputs(page) == live, values  # the page after the server answered shows what the script showed
    page.locator("[name=miss_rate]").fill("")
    expect(page.locator("#out-revenue")).to_have_text("—")


def test_the_measured_calculator_and_the_costs_page(page, alpha, alice, alpha_line):
    now = timezone.now()
    for n, days_ago in enumerate((35, 12, 11, 10, 3)):
        with time_machine.travel(now - timedelta(days=days_ago), tick=False):
            call = a_missed_call(alpha_line, f"+1512555011{n}")
            with transaction.atomic():  # as the status webhook runs it (this test is not inside one)
                delivery_reports(Message.objects.get(call=call, purpose=Message.TEXTBACK), "delivered")
            a_missed_call(alpha_line, f"+1512555012{n}", outcomes.ANSWERED)
        if n % 2:
            with time_machine.travel(now - timedelta(days=days_ago, minutes=-5), tick=False):
                an_inbound_text(alpha_line, "Yes please", f"+1512555011{n}")
                convo = Conversation.objects.get(contact__number=f"+1512555011{n}")
                with transaction.atomic():  # as the outcome view runs it
                    do_set_outcome(convo, alice, "booked", value="450")
    page.goto("/b/alpha/reports/roi")
    expect(page.locator("#basis")).to_contain_text("your own figures over the last 30 full days")
    expect(page.locator(".start.measured").first).to_contain_text("measured: last 30 days")
    shoot(page, "roi-measured")

    page.goto("/b/alpha/settings/costs")
    page.get_by_label("Trade").select_option("plumbing")
    page.get_by_label("Software, a month ($)").fill("-4")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".errorlist")).to_contain_text("cannot be negative")
    shoot(page, "costs-refused")
    page.get_by_label("Software, a month ($)").fill("99")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash")).to_contain_text("Saved your costs and trade.")
    shoot(page, "costs")

    page.goto("/b/alpha/reports/exports")
    shoot(page, "exports")
    with page.expect_download() as download:
        page.locator("form[action$='calls.csv'] button").click()
    assert download.value.suggested_filename.startswith("calls-alpha-")


def test_the_weekly_emails_html_reads_on_a_phone_and_a_desk(page, alpha):
    this, before = DayFigures(calls=48, measured_calls=40, measured_missed=14, texted=19, replied=11, booked=4,
                              revenue_cents=162500), DayFigures(calls=41, texted=15, replied=6, booked=2,
                                                                revenue_cents=70000)  # fmt: skip
    this.missed.update({"no_answer": 12, "voicemail": 7})
    before.missed.update({"no_answer": 13})
    _, _, html = weekly.compose(alpha, periods.last_full_week(alpha.time_zone), this, before)
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / "weekly-email.html"
    path.write_text(html)
    page.goto(path.as_uri())
    expect(page.get_by_role("heading")).to_have_text("$1,625.00 recovered")
    shoot(page, "weekly-email")
