"""The on-call schedule page in a browser: an owner adds a weeknight slot and a person to the on-call order and
sees them listed; an emergency from the simulated handset shows on the conversation with an Acknowledge button
that takes it. Screenshots at 375 and 1280 px wide, with no sideways scrolling."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_conversation_page import missed_call_and_reply
from tests.browser.test_phone_simulator import handset, log_in

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots-oncall")
SLUG = "alphaplumbing"


def shoot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{name} is wider than a {width}-px screen by {overflow} px"
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)


def test_an_owner_adds_a_weeknight_slot_and_sees_it_in_the_list(page, demo):
    log_in(page, demo)
    page.get_by_role("link", name="Settings", exact=True).click()
    expect(page.locator(".sections")).to_contain_text("Who is paged when a caller's reply is an emergency")
    shoot(page, "settings-hub")
    page.get_by_role("link", name="On call and emergencies").click()
    expect(page.locator("#slots")).to_contain_text("No slots yet.")

    form = page.locator("#add-slot")
    form.get_by_label("Who").select_option(index=0)
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"):
        form.get_by_label(day).check()
    form.get_by_label("From").fill("17:00")
    form.get_by_label("Until").fill("08:00")
    form.get_by_role("button", name="Add slot").click()

    expect(page.locator(".flash")).to_contain_text("is on call in 5 more slots.")
    rows = page.locator("#slot-list li")
    expect(rows).to_have_count(5)
    expect(rows.first).to_contain_text("Monday")
    expect(rows.first).to_contain_text("17:00 – 08:00 (next day)")

    page.locator("#add-person").get_by_role("button", name="Add to the order").click()
    expect(page.locator("#order-list li")).to_have_count(1)
    shoot(page, "on-call")


def test_an_emergency_shows_on_the_conversation_and_acknowledge_takes_it(page, demo):
    log_in(page, demo)
    url = missed_call_and_reply(page, demo, "+15125550163", "EMERGENCY water everywhere")
    expect(handset(page)).to_contain_text("paged our on-call person", timeout=5_000)

    page.goto(url)
    banner = page.locator("#paging")
    expect(banner).to_contain_text("not acknowledged yet")
    expect(page.locator("#timeline")).to_contain_text("Emergency (“water everywhere”): paged")
    shoot(page, "conversation-paging")

    banner.get_by_role("button", name="Acknowledge").click()
    expect(page.locator(".flash")).to_contain_text("Acknowledged: the emergency is yours.")
    expect(page.locator("#paging")).to_have_count(0)
    expect(page.locator("#timeline")).to_contain_text("acknowledged in the app")
