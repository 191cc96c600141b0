"""A newcomer's first minute: the owner invites them, the mail arrives in the sandbox mailbox, its link signs them up."""

import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.test_phone_simulator import log_in

pytestmark = pytest.mark.browser
NEWCOMER = "nina@alphaplumbing.example"


def invitation_in_mailbox(page, timeout: float = 10.0):
    """The invitation's mail on the mailbox page, once the worker has delivered it."""
    deadline = time.monotonic() + timeout
    while True:
        mail = page.locator("article.mail").filter(has_text=NEWCOMER)
        if mail.count() or time.monotonic() > deadline:
            return mail.first
        time.sleep(0.2)
        page.reload()


def test_an_invitation_in_the_sandbox_mailbox_sets_a_password_and_signs_the_new_person_in(page, demo):
    log_in(page, demo)
    page.get_by_role("link", name="Settings", exact=True).click()
    page.get_by_role("link", name="Staff").click()
    page.get_by_label("Email address").fill(NEWCOMER)
    page.get_by_label("Role").select_option("manager")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.locator(".flash")).to_contain_text(f"Invitation sent to {NEWCOMER}")

    page.get_by_role("link", name="Mailbox").click()
    mail = invitation_in_mailbox(page)
    expect(mail).to_contain_text("You're invited to AlphaPlumbing on textback")
    link = mail.locator('.mail-body a[href*="/invite/"]')
    href = link.get_attribute("href")

    page.get_by_role("button", name=re.compile("^Log out")).click()  # the newcomer takes over this browser
    page.goto(href)
    expect(page.get_by_role("heading", name="Join AlphaPlumbing")).to_be_visible()
    page.get_by_label("Your name").fill("Nina Reyes")
    page.get_by_label("Password", exact=True).fill("nina-passphrase-42")
    page.get_by_label("The password again").fill("nina-passphrase-42")
    page.get_by_role("button", name="Join AlphaPlumbing").click()

    expect(page.locator(".flash")).to_contain_text("Welcome to AlphaPlumbing, Nina")
    expect(page.get_by_role("button", name=f"Log out {NEWCOMER}")).to_be_visible()
    page.goto(href)
    expect(page.get_by_role("heading", name="This link cannot be used")).to_be_visible()
