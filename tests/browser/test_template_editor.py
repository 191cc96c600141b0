"""The line page's template editor in a real browser: under each situation's template, as the owner types,
the counter of the example a first-time caller would read, its encoding (naming the character that forces
UCS-2) and its segments (warning above 2). The page's counter (template-editor.js on gsm7.js) and the
server's preview (templating.render, with_first_text_additions, lib/gsm7.py) are held to the same answers
over tricky templates. Screenshots of the line and hours pages land in /tmp/shots-hours/."""

from pathlib import Path
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from tests.browser.test_phone_simulator import log_in, place_call
from textback.inbox.setup import EXAMPLE_NAME, EXAMPLE_TIMES
from textback.lib import gsm7, phone
from textback.messaging.actions import with_first_text_additions
from textback.messaging.templating import render

pytestmark = pytest.mark.browser

SLUG = "alphaplumbing"
SHOTS = Path("/tmp/shots-hours")
TRICKY = [
    "{business}: closed, back {next_open}. What's up?",
    "Hi {first_name|thére}, ça va? {call_time}",
    "Book {booking_link|at Ωmega}",
    "It’s “fine” – really… {hours_today}",
    "Sorry 😀 {business}",
    "€[]{{}}^~|\\ {staff|the team}",
    "€" * 80,
    "a" * 120,
    "a" * 200 + " {next_open}",
    "alphaplumbing rocks. Reply STOP to opt out.",
    "zero\u200bwidth and no\u00a0break {line}",
    "  padded  {first_name}  ",
    "line one\nline two {business}",
    "ж" * 60,
]


def expected_shape(template: str, staff: str) -> gsm7.SmsShape:
    """What the server sends a first-time caller for this template with the editor's sample values."""
    values = {"business": "AlphaPlumbing", "staff": staff, "first_name": EXAMPLE_NAME,
              "line": phone.pretty("+17375550100"), "booking_link": "", **EXAMPLE_TIMES}  # fmt: skip
    business = SimpleNamespace(name="AlphaPlumbing")
    return gsm7.shape(with_first_text_additions(business, None, render(template, values), first_text=True))


def live(page, name: str) -> dict:
    return page.locator(f"#live-{name} .counter").evaluate(
        "el => ({encoding: el.dataset.encoding, units: el.dataset.units, segments: el.dataset.segments,"
        " first: el.dataset.first})"
    )


def open_line(page, demo) -> None:
    log_in(page, demo)
    page.goto(f"/b/{SLUG}/settings/lines/")
    page.get_by_role("link", name="Main line").click()


def test_the_editor_counts_as_you_type_names_the_ucs2_character_and_warns_above_two_segments(page, demo):
    open_line(page, demo)
    after_hours = page.get_by_label("Text after hours", exact=True)
    counter, warning = (
        page.locator("#live-after_hours_template .counter"),
        page.locator("#live-after_hours_template .warning"),
    )
    expect(counter).to_contain_text("GSM-7")  # the default after-hours text

    after_hours.fill("")
    after_hours.press_sequentially("{business}: back {next_open} 👍")
    expect(counter).to_contain_text("UCS-2")
    expect(warning).to_contain_text("because of “👍”")

    after_hours.fill("{business}: back {next_open}. " + "Long words here. " * 17)
    expect(counter).to_contain_text("3 segments")
    expect(warning).to_contain_text("This example takes 3 segments")
    expect(page.locator('#previews .preview[data-title="After hours"]')).to_contain_text(
        "This example takes 3 segments"
    )

    after_hours.fill("{nope}")
    expect(counter).to_contain_text("This cannot be sent: unknown field {nope}.")


def test_the_page_s_counter_and_the_server_s_preview_agree_on_tricky_templates(page, demo):
    open_line(page, demo)
    template = page.get_by_label("Text after hours", exact=True)
    server = page.locator('#previews .preview[data-title="After hours"] .counter')
    staff = page.get_by_label("Staff name").input_value()
    for text in TRICKY:
        template.fill(text)
        truth = expected_shape(text, staff)
        first = truth.non_gsm[0] if truth.non_gsm else ""
        shown = live(page, "after_hours_template")
        assert shown == {"encoding": truth.encoding, "units": str(truth.units), "segments": str(truth.segments),
                         "first": first}, repr(text)  # fmt: skip
        expect(server).to_have_attribute("data-units", str(truth.units))  # the htmx preview caught up
        expect(server).to_have_attribute("data-segments", str(truth.segments))
        expect(server).to_have_attribute("data-encoding", truth.encoding)
        expect(server).to_have_attribute("data-first", first)


def test_screenshots_of_the_line_hours_and_call_pages(page, demo):
    SHOTS.mkdir(exist_ok=True)
    log_in(page, demo)
    place_call(page, "(512) 555-0163", "Nobody answers")
    page.goto(f"/b/{SLUG}/calls")
    page.locator("table.calls a").first.click()
    expect(page.locator("dd.variant")).not_to_be_empty()  # "business hours — open", "after hours — …", …
    call = page.url
    page.goto(f"/b/{SLUG}/settings/lines/")
    page.get_by_role("link", name="Main line").click()
    page.get_by_label("Text on a public holiday or closure", exact=True).fill("{business}: closed today. Ça va? 🎄")
    line = page.url
    page.goto(f"/b/{SLUG}/settings/hours")
    page.get_by_label("First day closed").fill("2026-12-28")
    page.get_by_label("Why (callers may read it)").fill("Stocktake")
    page.get_by_role("button", name="Add closure").click()
    expect(page.locator(".flash")).to_contain_text("Added the closure")
    expect(page.locator("#closures")).to_contain_text("Stocktake")
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        for name, url in {"line": line, "hours": f"/b/{SLUG}/settings/hours", "call": call}.items():
            page.goto(url)
            if name == "line":
                page.get_by_label("Text on a public holiday or closure", exact=True).fill("Closed today. Ça va? 🎄")
                expect(page.locator("#live-holiday_template .warning")).to_contain_text("because of")
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{name} is wider than a {width}-px screen by {overflow} px"
            page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
