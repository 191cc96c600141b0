"""A person at the keyboard: log in with what `textback demo` printed, play a caller, watch the handset."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def log_in(page, demo) -> None:
    match = re.search(r"as (\S+) with password: (\S+)", demo.demo_output)
    assert match, demo.demo_output
    page.goto("/login")
    page.get_by_label("Email or username").fill(match.group(1))
    page.get_by_label("Password").fill(match.group(2))
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="AlphaPlumbing")).to_be_visible()


def place_call(page, caller: str, scenario: str, voicemail: int = 0) -> None:
    page.goto("/sandbox/alphaplumbing/")
    page.get_by_label("Caller's number").fill(caller)
    page.get_by_label(scenario).check()
    page.get_by_label("Voicemail left after the missed call").fill(str(voicemail))
    page.get_by_role("button", name="Call", exact=True).click()


def text_from_handset(page, body: str) -> None:
    page.get_by_label("Text message").fill(body)
    page.get_by_role("button", name="Send").click()


def handset(page):
    return page.locator("#screen")


def test_a_missed_call_is_texted_back_on_the_handset_within_seconds(page, demo):
    log_in(page, demo)
    place_call(page, "(512) 555-0147", "Nobody answers")

    expect(page.locator(".flash")).to_contain_text("text-back queued")
    bubble = handset(page).locator(".bubble.mt").first
    expect(bubble).to_contain_text("sorry we missed your call", timeout=5_000)
    expect(bubble).to_contain_text("Reply STOP to opt out")
    expect(bubble).to_contain_text("delivered", timeout=5_000)


def test_stop_start_and_help_from_the_handset(page, demo):
    log_in(page, demo)
    place_call(page, "+15125550148", "The line is busy")
    expect(handset(page).locator(".bubble.mt")).to_have_count(1, timeout=5_000)

    text_from_handset(page, "STOP")
    expect(handset(page)).to_contain_text("You are unsubscribed", timeout=5_000)
    text_from_handset(page, "help")
    expect(handset(page)).to_contain_text("Msg & data rates may apply", timeout=5_000)
    text_from_handset(page, "Start")
    expect(handset(page)).to_contain_text("You are resubscribed", timeout=5_000)

    page.goto("/b/alphaplumbing/consent")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("Opted back in")


def test_an_opted_out_caller_is_not_texted_after_the_next_missed_call(page, demo):
    log_in(page, demo)
    place_call(page, "+15125550149", "Nobody answers")
    expect(handset(page).locator(".bubble.mt")).to_have_count(1, timeout=5_000)
    text_from_handset(page, "stop")
    expect(handset(page)).to_contain_text("You are unsubscribed", timeout=5_000)

    place_call(page, "+15125550149", "The line is busy")
    expect(page.locator(".flash")).to_contain_text("not texted")
    expect(page.locator("#recent-calls")).to_contain_text("opted out")


def test_an_answered_call_gets_no_text_and_every_decision_is_on_the_staff_page(page, demo):
    log_in(page, demo)
    place_call(page, "+15125550150", "Someone answers and presses 1")
    expect(page.locator(".flash")).to_contain_text("not texted")

    page.goto("/b/alphaplumbing/calls")
    row = page.locator("table.calls tbody tr", has_text="(512) 555-0150")
    expect(row).to_contain_text("Answered")
    expect(row).to_contain_text("Not texted")
    expect(row).to_contain_text("does not text for this call outcome")


def test_a_cell_voicemail_pickup_and_a_voicemail_left_both_text_back(page, demo):
    log_in(page, demo)
    place_call(page, "+15125550151", "A phone picks up, nobody presses 1 (a cell's voicemail)", voicemail=12)

    bubble = handset(page).locator(".bubble.mt").first
    expect(bubble).to_contain_text("We got your voicemail", timeout=5_000)
