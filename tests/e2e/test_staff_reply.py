"""A staff reply through real HTTP against `textback serve`: a person answers a missed caller from the
conversation page, the worker hands the text to Twilio (the local stub) from the business line, Twilio's
delivery report reaches the page, and a double submit of the form sends once."""

import re

import pytest

from tests.e2e.conftest import logged_in
from tests.e2e.test_missed_call_loop import Caller, post
from tests.support.harness import wait_until

pytestmark = pytest.mark.e2e


def form_fields(html: str) -> dict:
    return {
        "csrfmiddlewaretoken": re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1),
        "token": re.search(r'name="token" value="([^"]+)"', html).group(1),
    }


def test_a_reply_posted_on_the_page_reaches_the_caller_from_the_business_line(embedded, twilio_stub, staff):
    caller = Caller()
    post(embedded, "voice", caller.fields("voice_incoming"))
    post(embedded, "dial", caller.fields("dial_no_answer"))
    twilio_stub.wait_for(1, to=caller.number)
    assert post(embedded, "sms", caller.fields("sms_incoming", Body="Can you come today?")).status_code == 200
    [(conversation,)] = embedded.database.query(
        "SELECT c.id FROM messaging_conversation c JOIN messaging_contact ct ON ct.id = c.contact_id"
        " WHERE ct.number = %s",
        (caller.number,),
    )
    browser = logged_in(embedded, *staff)
    url = f"/b/alpha/conversations/{conversation}"
    page = browser.get(url)
    assert "Can you come today?" in page.text

    reply = {**form_fields(page.text), "body": "Yes, we can be there at 2.\r\nDana"}
    first = browser.post(f"{url}/reply", data=reply)
    again = browser.post(f"{url}/reply", data=reply)  # the same form sent twice

    assert (first.status_code, again.status_code) == (302, 302)
    sent = twilio_stub.wait_for(2, to=caller.number)
    assert len(sent) == 2
    form = sent[1].form
    assert (form["From"], form["To"]) == (caller.line, caller.number)
    assert form["Body"].startswith("Yes, we can be there at 2.\nDana")
    rows = embedded.database.query(
        "SELECT m.sender_kind, u.username FROM messaging_message m JOIN auth_user u ON u.id = m.sent_by_id"
        " WHERE m.conversation_id = %s AND m.purpose = 'reply'",
        (conversation,),
    )
    assert rows == [("staff", staff[0])]

    sid = next(m["sid"] for m in twilio_stub.messages if m["to"] == caller.number and m["body"].startswith("Yes"))
    query = form["StatusCallback"].split("?", 1)[1]
    delivered = caller.fields("sms_status_delivered", MessageSid=sid, SmsSid=sid, From=caller.line)
    assert post(embedded, "sms-status", delivered, query=query).status_code in (200, 204)

    def shows_delivered():
        live = browser.get(f"{url}/live").text
        bubble = live.split("Yes, we can be there at 2.")[1].split("</li>")[0]
        return '<span class="status s-delivered">Delivered</span>' in bubble

    assert wait_until(shows_delivered, timeout=5)
    assert len(twilio_stub.sent(to=caller.number)) == 2  # still: the second submit sent nothing
