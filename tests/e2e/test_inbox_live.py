"""The open inbox's poll through real HTTP against `textback serve`: while nothing changes the server
answers 304 (inbox/live.py, before Django); a caller's text makes the next poll bring the fresh list;
a session that signed out is sent to the login page; another person's token gets nothing."""

import re

import pytest

from tests.e2e.conftest import logged_in
from tests.e2e.test_missed_call_loop import Caller, post

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
    post(embedded, "sms", caller.fields("sms_incoming", Body="The basement is flooding"))
    fresh = browser.get("/b/alpha/live", headers={"If-None-Match": etag})

    assert fresh.status_code == 200 and "The basement is flooding" in fresh.text
    assert fresh.headers["ETag"] != etag
    assert browser.get("/b/alpha/live", headers={"If-None-Match": fresh.headers["ETag"]}).status_code == 304

    stranger = logged_in(embedded, *staff)  # the same person in another browser: another session
    assert stranger.get("/b/alpha/live", headers={"If-None-Match": fresh.headers["ETag"]}).status_code == 200

    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', browser.get("/b/alpha/").text)[1]
    browser.post("/logout", data={"csrfmiddlewaretoken": token})
    signed_out = browser.get("/b/alpha/live", headers={"If-None-Match": fresh.headers["ETag"]})
    assert signed_out.status_code == 401 and signed_out.headers["HX-Redirect"].startswith("/login")
