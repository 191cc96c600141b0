"""The alert webhooks settings page in a real browser: add one (a bad address is explained), send a test,
see the delivery; screenshots at phone and desktop widths."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_phone_simulator import log_in
from tests.support.webhook_receiver import WebhookReceiver, verify

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots-alerts")


@pytest.fixture
def receiver():
    server = WebhookReceiver().start()
    yield server
    server.stop()


def test_an_owner_adds_a_signed_webhook_and_its_test_arrives(page, demo, receiver):
    log_in(page, demo)
    page.goto("/b/alphaplumbing/settings/webhooks")
    expect(page.get_by_role("heading", name="Alert webhooks")).to_be_visible()

    page.get_by_label("Name").fill("Dispatch CRM")
    page.get_by_label("Signed JSON (your own system)").check()
    page.get_by_label("Web address").fill("ftp://crm.example.com/in")
    page.get_by_role("button", name="Add webhook").click()
    expect(page.get_by_text("must be a web address starting with https://")).to_be_visible()

    page.get_by_label("Web address").fill(receiver.url)
    page.get_by_label("Every missed call").check()
    page.get_by_role("button", name="Add webhook").click()
    expect(page.get_by_text("Added the webhook Dispatch CRM")).to_be_visible()

    page.get_by_role("button", name="Send a test").click()
    expect(page.get_by_text("A test alert is on its way")).to_be_visible()
    (delivery,) = receiver.wait_for(1)
    page.get_by_text("Show", exact=True).click()
    secret = page.locator("code.secret").inner_text().strip()
    assert verify(secret, delivery) and delivery.json()["event"] == "test"
    page.reload()
    expect(page.locator("table.deliveries .status.sent")).to_have_count(1)

    SHOTS.mkdir(exist_ok=True)
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=SHOTS / f"webhooks-{width}.png", full_page=True)
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= width, f"the page is wider than the screen at {width} px"
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Web address").fill("mailto:ops@example.com")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("must be a web address starting with https://")).to_be_visible()
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=SHOTS / f"webhook-edit-{width}.png", full_page=True)
