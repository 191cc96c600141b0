"""An owner switches follow-ups on, a caller misses the business, and an agent cancels the follow-ups from the
conversation page. Screenshots of both pages at phone and desktop widths land in /tmp/shots-followups/."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_conversation_page import conversation_url
from tests.browser.test_phone_simulator import log_in, place_call

pytestmark = pytest.mark.browser

SLUG = "alphaplumbing"
SHOTS = Path("/tmp/shots-followups")
CALLER = "+15125550163"


def shoot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)


def test_an_owner_switches_follow_ups_on_and_staff_cancel_them_on_the_conversation(page, demo):
    log_in(page, demo)
    page.goto(f"/b/{SLUG}/settings/")
    page.get_by_role("link", name="Follow-ups").click()
    expect(page.locator("#followups-state")).to_contain_text("off (the default)")
    shoot(page, "settings-off")

    page.get_by_label("Send follow-ups to callers who have not replied").check()
    page.get_by_label("Not before").fill("08:00")
    page.get_by_label("Not after").fill("21:00")
    page.get_by_role("button", name="Save follow-ups").click()
    expect(page.locator(".flash")).to_contain_text("Follow-ups are on.")
    expect(page.locator("#followups-state")).to_contain_text("on")
    shoot(page, "settings-on")

    place_call(page, "(512) 555-0163", "Nobody answers")
    expect(page.locator(".flash")).to_contain_text("text-back queued")
    page.goto(conversation_url(demo, CALLER))
    box = page.locator("#followups")
    expect(box).to_contain_text("Follow-ups waiting")
    expect(box.locator("li")).to_have_count(2)
    shoot(page, "conversation-waiting")

    page.get_by_role("button", name="Cancel the follow-ups").click()
    expect(page.locator(".flash")).to_contain_text("Canceled 2 follow-up(s).")
    expect(page.locator("#followups")).to_have_count(0)
    expect(page.locator("#timeline")).to_contain_text("canceled the pending follow-ups (2)")
    shoot(page, "conversation-canceled")
