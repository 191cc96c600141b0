"""Every page works under the Content-Security-Policy: chromium reports no violation anywhere.

Every page loaded must also carry the policy, or an empty list of violations would prove nothing.

Violations are collected twice over: the console messages chromium writes ("Refused to execute
inline script because it violates the following Content Security Policy directive …") and the
`securitypolicyviolation` events the page itself receives. The first test shows the collector
catches what the policy forbids, so an empty list means something.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_phone_simulator import log_in, place_call
from textback.inbox.middleware import CONTENT_SECURITY_POLICY

pytestmark = pytest.mark.browser

OPERATOR = ("operator@textback.example", "operator-passphrase-123")
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} in ${e.documentURI}`);
});
"""


@pytest.fixture(scope="module")
def operator(demo):
    """A superuser for the admin, made the way an operator would (`textback createsuperuser`)."""
    username, password = OPERATOR
    demo.cli(
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model;"
        f"get_user_model().objects.create_superuser({username!r}, {username!r}, {password!r})",
    )
    return OPERATOR


class Violations:
    """Every violation in a browser context: its pages, and the popups they open."""

    def __init__(self, context):
        self.context = context
        self.console = []
        context.add_init_script(RECORD_VIOLATIONS)
        context.on("console", self._console)
        context.on("weberror", lambda error: self.console.append(f"page error: {error.error}"))
        context.on("response", self._response)

    def _response(self, response):
        """A page without the policy would show no violations at all: that counts as one."""
        if response.request.resource_type == "document":
            if response.headers.get("content-security-policy") != CONTENT_SECURITY_POLICY:
                self.console.append(f"no Content-Security-Policy on {response.url}")

    def _console(self, message):
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.console.append(message.text)

    def all(self) -> list[str]:
        events = []
        for page in self.context.pages:
            try:
                events += page.evaluate("window.__violations || []")
            except Exception:  # the page is navigating or closed; its console messages are in already
                pass
        return self.console + events


@pytest.fixture
def violations(page):
    collected = Violations(page.context)
    yield collected
    assert collected.all() == []


def test_the_collector_catches_inline_script_inline_style_and_javascript_urls(browser, demo):
    context = browser.new_context(base_url=demo.url)
    collected = Violations(context)
    page = context.new_page()
    probe = (
        "<!doctype html><title>probe</title><script>document.title = 'ran'</script>"
        "<p style='color: red'>styled</p><a id=js href=\"javascript:document.title='ran'\">link</a>"
    )
    page.route(
        "**/csp-probe",
        lambda route: route.fulfill(
            status=200,
            body=probe,
            headers={"Content-Type": "text/html", "Content-Security-Policy": CONTENT_SECURITY_POLICY},
        ),
    )

    page.goto("/csp-probe")
    page.click("#js")
    page.wait_for_timeout(300)

    found, title = collected.all(), page.title()
    context.close()
    assert title == "probe"  # neither the inline script nor the javascript: link ran
    assert any("style-src" in v for v in found), found
    assert sum("script-src" in v for v in found) >= 2, found  # the inline script and the javascript: link


def test_the_staff_pages_and_the_phone_simulator_run_without_violations(page, demo, violations):
    log_in(page, demo)
    place_call(page, "+15125550160", "Nobody answers")
    expect(page.locator("#screen .bubble.mt").first).to_contain_text("delivered", timeout=5_000)  # handset.js
    page.get_by_label("Text message").fill("Is 3pm ok?")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#screen .bubble.mo")).to_contain_text("Is 3pm ok?")

    page.goto("/b/alphaplumbing/")
    expect(page.locator("li.convo", has_text="(512) 555-0160")).to_contain_text("Is 3pm ok?")
    page.wait_for_timeout(2_500)  # inbox.js and the htmx poller run
    page.goto("/b/alphaplumbing/calls")
    page.wait_for_timeout(3_500)  # refresh.js swaps <main> every 3 s
    page.locator("table.calls tbody tr", has_text="(512) 555-0160").get_by_role("link").click()
    expect(page.get_by_role("heading", name="Call from (512) 555-0160")).to_be_visible()
    page.get_by_role("link", name=re.compile("sorry we missed your call", re.I)).click()
    expect(page.locator("#timeline")).to_contain_text("Is 3pm ok?")
    page.get_by_label(re.compile("Reply to")).fill("Yes, 3pm works 🙂")  # gsm7.js and conversation.js
    expect(page.locator("#reply-counter")).to_contain_text("UCS-2")
    page.goto("/b/alphaplumbing/consent")
    expect(page.get_by_role("heading", name=re.compile("Consent"))).to_be_visible()
    page.goto("/sandbox/alphaplumbing/?handset=%00")
    expect(page.get_by_role("heading", name="Bad request")).to_be_visible()
    page.goto("/no-such-page")
    page.goto("/")
    page.get_by_role("button", name=re.compile("Log out")).click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def test_the_admin_and_its_change_forms_run_without_violations(page, demo, operator, violations):
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(operator[0])
    page.get_by_label("Password").fill(operator[1])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()

    page.get_by_role("link", name="Businesses").first.click()
    page.get_by_role("link", name="AlphaPlumbing").click()
    expect(page.get_by_role("heading", name="Change business")).to_be_visible()
    # The inline formset script tags the rows and then adds its "Add another" link: count once it has run.
    expect(page.locator(".add-row a")).to_be_visible()
    rows = page.locator(".dynamic-memberships").count()  # the demo's owner and colleagues
    page.locator(".add-row a").click()  # the inline formset script adds a row
    expect(page.locator(".dynamic-memberships")).to_have_count(rows + 1)
    page.locator(".dynamic-memberships").last.locator(".select2").click()  # the user autocomplete
    expect(page.locator(".select2-results")).to_contain_text("mike@alphaplumbing.example")
    page.keyboard.press("Escape")
    page.locator(".dynamic-memberships").last.locator(".inline-deletelink").click()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    for path in ["/admin/providers/line/", "/admin/providers/line/add/", "/admin/providers/provideraccount/add/"]:
        page.goto(path)
        expect(page.locator("#content")).to_be_visible()
    page.goto("/admin/providers/line/")
    page.get_by_role("link", name=re.compile(r"\+17375550100")).click()
    expect(page.get_by_role("heading", name="Change line")).to_be_visible()
    with page.expect_popup() as popup:
        page.locator("#add_id_business").click()  # "add another" opens a popup window
    expect(popup.value.get_by_role("heading", name="Add business")).to_be_visible()
    for path in ["/admin/calls/call/", "/admin/messaging/message/", "/admin/outbox/outboxitem/"]:
        page.goto(path)
        expect(page.locator("#changelist")).to_be_visible()


@pytest.mark.parametrize("width", [375, 1280])
def test_the_login_page_normal_and_locked_out_fits_the_screen(browser, demo, width, tmp_path_factory):
    context = browser.new_context(base_url=demo.url, viewport={"width": width, "height": 800})
    collected = Violations(context)
    page = context.new_page()
    shots = tmp_path_factory.getbasetemp() / "screenshots"
    shots.mkdir(exist_ok=True)
    username = f"someone-{width}@alphaplumbing.example"  # not the demo owner: other tests log in as her

    page.goto("/login")
    fits(page)
    page.screenshot(path=shots / f"login-{width}.png", full_page=True)
    for _ in range(10):
        page.get_by_label("Email or username").fill(username)
        page.get_by_label("Password").fill("wrong password")
        page.get_by_role("button", name="Log in").click()
        expect(page.locator(".errorlist")).to_contain_text("do not match an account here")
    page.get_by_label("Password").fill("wrong password")
    with page.expect_response(re.compile(r"/login$")) as locked:
        page.get_by_role("button", name="Log in").click()

    assert locked.value.status == 429
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Logging in as this user is locked for 15 minutes")
    expect(alert).to_be_in_viewport()
    expect(page.get_by_label("Email or username")).to_have_value(username)
    fits(page)
    page.screenshot(path=shots / f"login-locked-{width}.png", full_page=True)
    found = collected.all()
    context.close()
    assert found == []


def fits(page) -> None:
    """Nothing wider than the screen: no sideways scrolling on a phone."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
