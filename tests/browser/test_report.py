"""The recovery report in a real browser: the charts render as sized SVG at 1280 px and 375 px, nothing is
wider than the screen, and the agency page sums the businesses an owner manages. Screenshots are saved for a
person to look at (TEXTBACK_SHOTS, default /tmp/shots-report)."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_content_security_policy import Violations

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("TEXTBACK_SHOTS", "/tmp/shots-report"))
REPORT = "/b/alphaplumbing/reports/"

# Six weeks of a plumber's calls, made in `textback shell` through the product's own actions with the clock
# moved to each moment (time-machine): missed calls at working hours, text-backs handed and delivered, replies,
# answers from the inbox (some late: SLA breaches), outcomes with job values.
SEED = """
import random
from datetime import timedelta
import time_machine
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from textback.accounts.models import Business
from textback.calls import outcomes
from textback.messaging import conversations as convo
from textback.messaging.models import Conversation, Message
from textback.providers.models import Line
from textback.reports.models import Costs
from textback.testing import a_missed_call, a_staff_reply, an_inbound_text, delivery_reports
business = Business.objects.get(slug="alphaplumbing")
line = Line.objects.get(business=business)
owner = get_user_model().objects.get(username="mike@alphaplumbing.example")
Costs.objects.update_or_create(business=business, defaults={"software_monthly": 49, "number_monthly": "1.15"})
rng = random.Random(8)
now = timezone.now()
kinds = [outcomes.NO_ANSWER] * 5 + [outcomes.BUSY, outcomes.VOICEMAIL, outcomes.CALLER_HUNG_UP, outcomes.ANSWERED]
n = 0
for days_ago in range(42, 0, -1):
    for _ in range(rng.randint(1, 5)):
        n += 1
        moment = (now - timedelta(days=days_ago)).replace(hour=rng.choice([13, 14, 15, 16, 17, 19, 20, 22, 23]),
                                                          minute=rng.randint(0, 59))
        caller = f"+1737{200 + n // 100:03d}{n % 100:02d}{rng.randint(10, 99)}"
        with time_machine.travel(moment, tick=False):
            call = a_missed_call(line, caller, rng.choice(kinds))
        text = Message.objects.filter(call=call, purpose=Message.TEXTBACK).first()
        if text is None:
            continue
        Message.objects.filter(pk=text.pk).update(status="queued", sent_at=moment + timedelta(seconds=rng.choice([1, 2, 3, 4, 7, 12, 40])))
        with transaction.atomic():  # as the status webhook runs it (PostgreSQL refuses its row lock outside one)
            delivery_reports(text, "delivered")
        if rng.random() < 0.55:
            with time_machine.travel(moment + timedelta(minutes=3), tick=False):
                reply = an_inbound_text(line, "Can someone come out today?", caller)
            if rng.random() < 0.8:
                with time_machine.travel(moment + timedelta(minutes=rng.choice([2, 6, 9, 25, 70, 200])), tick=False):
                    with transaction.atomic():
                        a_staff_reply(reply.conversation, owner, "Yes, we can be there at 3.")
                if rng.random() < 0.5:
                    with time_machine.travel(moment + timedelta(hours=5), tick=False):
                        with transaction.atomic():
                            convo.do_set_outcome(Conversation.objects.get(pk=reply.conversation_id), owner,
                                                 Conversation.BOOKED, value=str(rng.choice([180, 240, 350, 480, 1200])))
print("seeded", n)
"""

SECOND_BUSINESS = """
from django.contrib.auth import get_user_model
from textback.accounts.models import Business, Membership
from textback.providers.models import SANDBOX, Line, ProviderAccount
import itertools
from textback import testing
from textback.testing import a_missed_call
testing._ids = itertools.count(10_000)  # the call ids the first seeding used are taken
beta = Business.objects.create(name="BetaHVAC <Dallas>", slug="betahvac", time_zone="America/New_York")
owner = get_user_model().objects.get(username="mike@alphaplumbing.example")
Membership.objects.create(user=owner, business=beta, role=Membership.OWNER)
account = ProviderAccount.objects.create(business=beta, provider=SANDBOX, label="beta")
line = Line.objects.create(business=beta, account=account, number="+12145550100", forward_to=["+12145550199"])
for n in range(4):
    a_missed_call(line, f"+1469555{n:02d}47")
Line.objects.filter(pk=line.pk).update(call_mode=Line.CARRIER_FORWARD)
"""

# What a chart and the page must be: SVGs drawn with a size, nothing wider than the viewport.
MEASURE = """() => ({
  svgs: [...document.querySelectorAll('svg.chart-svg')].map(s => { const r = s.getBoundingClientRect(); return [r.width, r.height, s.querySelectorAll('rect, polyline').length]; }),
  scroll: document.scrollingElement.scrollWidth, inner: window.innerWidth,
  wide: [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.table-scroll') && e.offsetParent !== null).map(e => e.tagName + '.' + e.className).slice(0, 5),
})"""


def log_in(page, demo) -> None:
    match = re.search(r"as (\S+) with password: (\S+)", demo.demo_output)
    assert match, demo.demo_output
    page.goto("/login")
    page.get_by_label("Email or username").fill(match.group(1))
    page.get_by_label("Password").fill(match.group(2))
    page.get_by_role("button", name="Log in").click()


@pytest.fixture(scope="module")
def seeded(demo):
    demo.cli("shell", "-c", SEED)
    return demo


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


@pytest.mark.parametrize("width", [1280, 375])
def test_the_owner_lands_on_the_report_and_its_charts_render_at_any_width(browser, seeded, width):
    context = browser.new_context(base_url=seeded.url, viewport={"width": width, "height": 900})
    violations = Violations(context)
    page = context.new_page()
    page.set_default_timeout(10_000)

    log_in(page, seeded)

    expect(page).to_have_url(re.compile(REPORT + "$"))
    expect(page.get_by_role("heading", name=re.compile("Recovery report"))).to_be_visible()
    page.locator("select[name=period]").select_option("90d")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"period=90d"))
    measured = page.evaluate(MEASURE)
    assert len(measured["svgs"]) == 4, measured  # trend, heat map, two speed histograms
    for svg_width, svg_height, marks in measured["svgs"]:
        assert svg_width > 0 and svg_height > 0 and marks > 0, measured
    assert measured["scroll"] <= measured["inner"], measured
    assert measured["wide"] == [], measured
    expect(page.locator(".funnel")).to_contain_text("Recovery rate")
    shoot(page, f"dashboard-{width}.png")
    for n, card in enumerate(page.locator("section.card").all()):
        card.screenshot(path=str(SHOTS / f"dashboard-{width}-part{n}.png"))
    page.locator(".chart details summary").first.click()
    expect(page.locator(".chart details table").first).to_be_visible()
    assert page.evaluate(MEASURE)["scroll"] <= width  # the open table scrolls in its own box

    page.goto(REPORT + "?period=custom&from=2020-01-01&to=2020-01-31")
    expect(page.locator("main")).to_contain_text("No calls in this period.")
    assert page.evaluate(MEASURE)["scroll"] <= width
    shoot(page, f"dashboard-empty-{width}.png")

    page.goto(REPORT + "?period=12d")
    expect(page.get_by_role("alert")).to_contain_text("period must be one of")
    assert violations.all() == []
    context.close()


@pytest.mark.parametrize("width", [1280, 375])
def test_the_agency_page_sums_the_businesses_an_owner_runs(browser, seeded, width):
    if "betahvac" not in seeded.cli("shell", "-c", "from textback.accounts.models import Business; "
                                    "print(list(Business.objects.values_list('slug', flat=True)))").stdout:  # fmt: skip
        seeded.cli("shell", "-c", SECOND_BUSINESS)
    context = browser.new_context(base_url=seeded.url, viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)

    log_in(page, seeded)

    expect(page).to_have_url(re.compile(r"/reports/$"))  # several businesses: the agency page
    rows = page.locator("table.agency tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text("BetaHVAC <Dallas>")
    expect(rows.nth(1)).to_contain_text("not measured")
    expect(page.locator("table.agency tfoot")).to_contain_text("All businesses")
    assert page.evaluate(MEASURE)["scroll"] <= width
    shoot(page, f"agency-{width}.png")
    context.close()
