"""The inbox's source and outcome filters in a real browser: chosen from the list's own controls, they narrow
the rows, keep the tags readable, and fit a phone and a desk."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_content_security_policy import Violations
from tests.browser.test_phone_simulator import log_in

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots-filters")
INBOX = "/b/alphaplumbing/"

# Two missed calls texted back (one booked), two callers who texted first (one lost, one with no outcome).
SEED = """
from django.contrib.auth import get_user_model
from django.db import transaction
from textback.accounts.models import Business
from textback.messaging import conversations as convo
from textback.messaging.models import Contact, Conversation
from textback.providers.models import Line
from textback.testing import a_missed_call, an_inbound_text
business = Business.objects.get(slug="alphaplumbing")
line = Line.objects.get(business=business)
owner = get_user_model().objects.get(username="mike@alphaplumbing.example")
for number, name in [("+15125550161", "Grace Hopper"), ("+15125550162", "Luis Fernández-García de la Vega")]:
    Contact.objects.update_or_create(business=business, number=number, defaults={"name": name})
    a_missed_call(line, caller=number)
for number, body in [("+15125550163", "Do you service tankless heaters?"), ("+15125550164", "Never mind, fixed it")]:
    an_inbound_text(line, body, caller=number)
with transaction.atomic():
    convo.do_set_outcome(Conversation.objects.get(contact__number="+15125550161"), owner, "booked", value="650")
    convo.do_set_outcome(Conversation.objects.get(contact__number="+15125550164"), owner, "lost", reason="Fixed it")
"""


@pytest.fixture(scope="module")
def seeded(demo):
    demo.cli("shell", "-c", SEED)
    return demo


@pytest.mark.parametrize("width", [375, 1280])
def test_the_source_and_outcome_filters_narrow_the_list_on_a_phone_and_a_desk(browser, seeded, width):
    SHOTS.mkdir(exist_ok=True)
    context = browser.new_context(base_url=seeded.url, viewport={"width": width, "height": 900})
    violations = Violations(context)
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, seeded)
    page.goto(INBOX + "?show=all")
    rows = page.locator("li.convo")
    expect(rows.filter(has_text="Grace Hopper").locator(".tag.source")).to_have_text("MCT-Inbound")
    expect(rows.filter(has_text="Grace Hopper").locator(".tag.outcome")).to_have_text("Booked")
    page.screenshot(path=SHOTS / f"inbox-tags-{width}.png", full_page=True)

    page.get_by_label("Source").select_option("missed_call")
    page.get_by_role("button", name="Search").click()
    expect(rows.filter(has_text="Grace Hopper")).to_have_count(1)
    expect(rows.filter(has_text="tankless")).to_have_count(0)
    page.get_by_label("Outcome").select_option("booked")
    page.get_by_role("button", name="Search").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Grace Hopper")
    page.screenshot(path=SHOTS / f"inbox-filtered-{width}.png", full_page=True)

    page.goto(INBOX + "?show=all&source=inbound_sms&outcome=none")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("tankless")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for right in rows.evaluate_all("rows => rows.map(r => r.getBoundingClientRect().right)"):
        assert right <= width
    page.screenshot(path=SHOTS / f"inbox-sms-no-outcome-{width}.png", full_page=True)

    page.goto(INBOX + "?show=all&source=missed_call&outcome=booked")
    rows.first.locator("a").click()
    expect(page.locator(".source-tag")).to_have_text("MCT-Inbound (a missed call)")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=SHOTS / f"conversation-source-{width}.png", full_page=False)
    assert violations.all() == []
    context.close()
