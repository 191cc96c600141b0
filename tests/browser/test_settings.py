"""An owner at the keyboard changes the opening hours and a line's text-back, and sees the change take effect."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_phone_simulator import handset, log_in, place_call

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots-settings")
SLUG = "alphaplumbing"


def test_an_owner_sets_the_opening_hours_and_sees_them_saved(page, demo):
    log_in(page, demo)
    page.get_by_role("link", name="Settings", exact=True).click()
    page.get_by_role("link", name="Opening hours").click()

    page.get_by_label("Open these hours").check()
    page.locator("#id_d5_closed").uncheck()  # the demo is closed at weekends; open on Saturday mornings
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"):
        page.get_by_label(f"{day} span 1 opens").fill("08:00")
        page.get_by_label(f"{day} span 1 closes").fill("17:00")
    page.get_by_label("Saturday span 1 opens").fill("09:00")
    page.get_by_label("Saturday span 1 closes").fill("09:00")  # a mistake: closes when it opens
    page.locator("#id_d6_closed").check()
    page.get_by_role("button", name="Save opening hours").click()

    expect(page.locator(".span-row.has-error")).to_contain_text("Opens and closes at the same time")
    page.goto(page.url)  # nothing was saved: Saturday is still closed
    expect(page.locator("#id_d5_closed")).to_be_checked()
    page.locator("#id_d5_closed").uncheck()
    page.get_by_label("Saturday span 1 opens").fill("09:00")

    page.get_by_label("Saturday span 1 closes").fill("13:00")
    page.get_by_role("button", name="Save opening hours").click()

    expect(page.locator(".flash")).to_contain_text("Saved the opening hours.")
    expect(page.locator("#hours-summary")).to_contain_text("now.")
    expect(page.get_by_label("Monday span 1 opens")).to_have_value("08:00")
    expect(page.get_by_label("Saturday span 1 closes")).to_have_value("13:00")
    expect(page.locator("#id_d6_closed")).to_be_checked()


def test_an_owner_edits_the_text_back_watching_the_segment_counter_and_a_caller_gets_it(page, demo):
    log_in(page, demo)
    page.goto(f"/b/{SLUG}/settings/lines/")
    page.get_by_role("link", name="Main line").click()
    template = page.get_by_label("Text-back", exact=True)
    counter = page.locator("#previews .counter").first

    expect(counter).to_contain_text("GSM-7")
    template.fill("Hi {first_name|there} 👋 sorry we missed you!")
    expect(counter).to_contain_text("UCS-2")
    expect(page.locator("#previews")).to_contain_text("because of 👋")

    template.fill("Hi {first_name|there}, Mike at {business} here. What can we do for you?")
    expect(counter).to_contain_text("GSM-7")
    expect(page.locator("#previews .sms").first).to_contain_text("Hi Jane, Mike at AlphaPlumbing here.")
    for situation in ("Text after hours", "Text on a public holiday or closure"):  # blank: the text-back, at any hour
        page.get_by_label(situation, exact=True).fill("")
    page.get_by_role("button", name="Save line").click()

    expect(page.locator(".flash")).to_contain_text("Saved the line (737) 555-0100.")
    expect(template).to_have_value("Hi {first_name|there}, Mike at {business} here. What can we do for you?")

    place_call(page, "(512) 555-0161", "Nobody answers")
    expect(handset(page).locator(".bubble.mt").first).to_contain_text("Mike at AlphaPlumbing here", timeout=5_000)


def test_screenshots_of_the_settings_and_contact_pages(page, demo):
    SHOTS.mkdir(exist_ok=True)
    log_in(page, demo)
    place_call(page, "(512) 555-0162", "Nobody answers")
    expect(handset(page).locator(".bubble.mt")).to_have_count(1, timeout=5_000)
    page.goto(f"/b/{SLUG}/contacts/")
    page.get_by_role("link", name="(no name)").first.click()
    contact = page.url
    page.get_by_label("Name").fill("Jane Doe")
    page.get_by_label("Tags").fill("commercial, warranty")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash")).to_contain_text("Saved Jane Doe.")
    page.goto(f"/b/{SLUG}/settings/lines/")
    page.get_by_role("link", name="Main line").click()
    line = page.url

    pages = {
        "hub": f"/b/{SLUG}/settings/",
        "profile": f"/b/{SLUG}/settings/profile",
        "hours": f"/b/{SLUG}/settings/hours",
        "line": line,
        "contacts": f"/b/{SLUG}/contacts/",
        "contact": contact,
    }
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        for name, url in pages.items():
            page.goto(url)
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{name} is wider than a {width}-px screen by {overflow} px"
            page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
            height = page.evaluate("document.documentElement.scrollHeight")
            for part, top in enumerate(range(0, height, 1100) if width == 375 and height > 1500 else []):
                clip = {"x": 0, "y": top, "width": width, "height": min(1100, height - top)}
                page.screenshot(path=str(SHOTS / f"{name}-{width}-part{part + 1}.png"), full_page=True, clip=clip)


def test_a_person_verifies_their_phone_with_the_code_the_simulated_handset_gets(page, demo):
    SHOTS.mkdir(exist_ok=True)
    log_in(page, demo)
    page.goto(f"/b/{SLUG}/me")
    page.get_by_label("My phone", exact=True).fill("(512) 555-0166")
    page.get_by_label("Text message to my phone").check()
    page.get_by_role("button", name="Save my settings").click()

    expect(page.locator(".flash")).to_contain_text("We texted a code to (512) 555-0166")
    verify = page.locator("#verify-phone")
    expect(verify).to_contain_text("Text alerts and answering callers by text start once you type back the code")
    page.get_by_label("6-digit code").fill("000000")
    page.get_by_role("button", name="Verify").click()
    expect(verify.locator(".errorlist")).to_contain_text("That is not the code we texted to (512) 555-0166.")
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
        page.screenshot(path=str(SHOTS / f"my-settings-verify-{width}.png"), full_page=True)

    verify.get_by_role("link", name="the phone simulator").click()
    code_text = handset(page).locator(".bubble.mt").filter(has_text="is your code")
    expect(code_text).to_contain_text("AlphaPlumbing: ", timeout=5_000)
    code = re.search(r"\b(\d{6})\b", code_text.inner_text()).group(1)
    page.goto(f"/b/{SLUG}/me")
    page.get_by_label("6-digit code").fill(code)
    page.get_by_role("button", name="Verify").click()

    expect(page.locator(".flash")).to_contain_text(
        "Your phone (512) 555-0166 is verified: text alerts and answering callers by text are on."
    )
    expect(page.locator("#verify-phone")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("Verified on")
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"my-settings-verified-{width}.png"), full_page=True)


def test_an_owner_switches_escalation_off_with_0_and_it_stays_off(page, demo):
    shots = Path("/tmp/shots-alerts")
    shots.mkdir(exist_ok=True)
    log_in(page, demo)
    page.goto(f"/b/{SLUG}/settings/profile")
    field = page.get_by_label("Alert managers after (minutes)")
    expect(page.locator(".field", has=field)).to_contain_text("0: never alert anyone")

    field.fill("0")
    page.get_by_role("button", name="Save profile").click()

    expect(page.locator(".flash")).to_contain_text("Saved the business profile.")
    expect(page.get_by_label("Alert managers after (minutes)")).to_have_value("0")
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"/b/{SLUG}/settings/profile")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the profile page is wider than a {width}-px screen by {overflow} px"
        page.locator(".field", has=page.get_by_label("Alert managers after (minutes)")).screenshot(
            path=str(shots / f"escalation-field-{width}.png")
        )
        page.screenshot(path=str(shots / f"profile-{width}.png"), full_page=True)
