"""An owner makes an API token in the settings, copies it (shown once), uses it, and revokes it."""

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.test_phone_simulator import log_in

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots-api")


@pytest.mark.parametrize("width", [375, 1280])
def test_an_owner_makes_uses_and_revokes_a_token(page, demo, width):
    SHOTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, demo)
    page.goto("/b/alphaplumbing/settings/")
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Name").fill(f"CRM sync {width}")
    page.get_by_label("Scope").select_option("read_write")
    page.get_by_role("button", name="Make token").click()

    plain = page.locator(".token-plain").inner_text()
    assert plain.startswith("tbk_")
    page.screenshot(path=str(SHOTS / f"api-tokens-made-{width}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing runs off the page
    answer = httpx.get(f"{demo.url}/api/v1/contacts", headers={"Authorization": f"Bearer {plain}"})
    assert answer.status_code == 200

    page.goto(page.url)  # shown once: not on the next visit
    expect(page.locator(".token-plain")).to_have_count(0)
    row = page.locator(".api-tokens li", has_text=f"CRM sync {width}")
    row.get_by_role("button", name="Revoke").click()
    expect(page.locator(".api-tokens li", has_text=f"CRM sync {width}")).to_contain_text("Revoked")
    page.screenshot(path=str(SHOTS / f"api-tokens-revoked-{width}.png"), full_page=True)
    assert httpx.get(f"{demo.url}/api/v1/contacts", headers={"Authorization": f"Bearer {plain}"}).status_code == 401
