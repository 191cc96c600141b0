"""The open inbox's poll through real HTTP against `textback serve`: while nothing changes the server
answers 304 (inbox/live.py, before Django); a caller's text reaches the polls within Watch.FRESH (the rows
are read ahead of the polls); a session that signed out is sent to the login page; another session's
token gets nothing."""

import re
import time

import pytest

from tests.e2e.conftest import logged_in
from tests.e2e.test_missed_call_loop import Caller, post
from tests.support.harness import wait_until
from textback.inbox.live import Watch

pytestmark = pytest.mark.e2e


def test_an_open_inbox_polls_304_until_a_caller_writes_then_gets_the_fresh_list(embedded, twilio_stub, staff):
    browser = logged_in(embedded, *staff)
    page = browser.get("/b/alpha/")
    etag = re.search(r'data-etag="([^"]+)"', page.text)[1].replace("&quot;", '"')

    for _ in range(3):
        unchanged = browser.get("/b/alpha/live", headers={"If-None-Match": etag})
        assert (unchanged.status_code, unchanged.content, unchanged.headers["ETag"]) == (304, b"", etag)

    caller = Caller()
    post(embedded, "voice", caller.fields("voice_incoming"))
    post(embedded, "dial", caller.fields("dial_no_answer"))
    twilio_stub.wait_for(1, to=caller.number)
    post(embedded, "sms", caller.fields("sms_incoming", Body="Can you look at the boiler on Tuesday?"))
    written = time.monotonic()
    fresh = wait_until(lambda: poll(browser, etag), timeout=5, interval=0.2)  # the tab's poll, sooner

    assert fresh.status_code == 200 and "Can you look at the boiler on Tuesday?" in fresh.text
    assert time.monotonic() - written <= Watch.FRESH + 0.5  # a row read ahead is at most FRESH old
    assert fresh.headers["ETag"] != etag
    assert browser.get("/b/alpha/live", headers={"If-None-Match": fresh.headers["ETag"]}).status_code == 304

    stranger = logged_in(embedded, *staff)  # the same person in another browser: another session
    assert stranger.get("/b/alpha/live", headers={"If-None-Match": fresh.headers["ETag"]}).status_code == 200

    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', browser.get("/b/alpha/").text)[1]
    browser.post("/logout", data={"csrfmiddlewaretoken": token})
    signed_out = wait_until(lambda: poll(browser, fresh.headers["ETag"], expect=401), timeout=5, interval=0.2)
    assert signed_out and signed_out.headers["HX-Redirect"].startswith("/login")


def poll(browser, etag: str, expect: int = 200):
    """The live list for this ETag when the server answers `expect` (None while it answers 304)."""
    response = browser.get("/b/alpha/live", headers={"If-None-Match": etag})
    return response if response.status_code == expect else None
