"""Revocation in a real browser: a caller's borderline reply from the phone simulator shows the banner on the
conversation, live; the owner confirms it, and the phone gets one confirmation. Then a phrase opt-out from
another caller is confirmed on the phone at once, with nobody on staff involved."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_conversation_page import SLUG, missed_call_and_reply
from tests.browser.test_phone_simulator import handset, log_in, text_from_handset

pytestmark = pytest.mark.browser


def test_a_borderline_reply_shows_the_banner_and_confirming_it_texts_one_confirmation(page, demo):
    log_in(page, demo)
    number = "+15125550181"
    url = missed_call_and_reply(page, demo, number, "who is this?? stop")

    page.goto(url)
    banner = page.locator("#possible-opt-out")
    expect(banner).to_contain_text("who is this?? stop")
    page.get_by_role("button", name="Confirm opt-out").click()
    expect(page.locator(".flash")).to_contain_text("Opt-out recorded")
    expect(banner).to_have_count(0)
    expect(page.locator("#timeline")).to_contain_text("confirmed an opt-out")

    page.goto(f"/sandbox/{SLUG}/?handset={number.replace('+', '%2B')}")
    confirmation = handset(page).locator(".bubble.mt", has_text="You are unsubscribed")
    expect(confirmation).to_have_count(1, timeout=5_000)


def test_a_plain_words_opt_out_is_confirmed_on_the_phone_without_staff(page, demo):
    log_in(page, demo)
    number = "+15125550182"
    missed_call_and_reply(page, demo, number, "Hi, is this the plumber?")

    text_from_handset(page, "no me manden más mensajes")

    confirmation = handset(page).locator(".bubble.mt", has_text="You are unsubscribed")
    expect(confirmation).to_have_count(1, timeout=5_000)
    page.goto(f"/b/{SLUG}/consent")
    expect(page.locator("table.ledger")).to_contain_text("no me manden más mensajes")
