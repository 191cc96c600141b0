"""A caller's texts in a row reach a person as few alerts, each saying how many texts it reports; and an
alert is checked against the person's quiet time when it goes, not only when it was queued."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from textback.accounts.models import Membership
from textback.alerts import coalesce
from textback.alerts.models import Alert
from textback.messaging.conversations import do_mark_read
from textback.messaging.models import Contact, Conversation
from textback.outbox.models import OutboxItem
from textback.testing import CALLER, a_staff_phone, a_staff_reply, an_inbound_text

pytestmark = pytest.mark.django_db

BOB_PHONE = "+15125550181"
CHICAGO = ZoneInfo("America/Chicago")
TEN_AM = datetime(2026, 3, 11, 10, 0, tzinfo=CHICAGO)


@pytest.fixture
def bob_by_text(bob, alpha_line):
    a_staff_phone(bob, BOB_PHONE, alert_email=False, alert_sms=True)
    Contact.objects.create(business=alpha_line.business, number=CALLER, name="Jane Doe")
    return bob


def texts_to_bob(twilio_api) -> list[str]:
    return [request.form["Body"] for request in twilio_api.sent(to=BOB_PHONE)]


def at(minutes: float):
    return time_machine.travel(TEN_AM + timedelta(minutes=minutes), tick=False)


def test_a_burst_of_texts_does_not_send_one_staff_sms_each(twilio_api, bob_by_text, alpha_line, run_outbox):
    for n in range(10):
        with at(n * 0.5):
            an_inbound_text(alpha_line, f"text number {n}")
            run_outbox()  # a worker sends whatever is due at once
    with at(11):
        run_outbox()

    sent = texts_to_bob(twilio_api)
    assert len(sent) <= 2
    assert sent[0].startswith('New text from Jane Doe (512) 555-0147: "text number 0"')
    assert sent[1].startswith('9 new texts from Jane Doe (512) 555-0147: "text number 9"')


def test_texts_that_come_before_the_alert_goes_join_it(twilio_api, bob_by_text, alpha_line, run_outbox):
    with at(0):
        for n in range(3):
            an_inbound_text(alpha_line, f"text number {n}")
        run_outbox()

    (sent,) = texts_to_bob(twilio_api)
    code = Alert.objects.get(channel=Alert.SMS).code
    assert (
        sent
        == f'3 new texts from Jane Doe (512) 555-0147: "text number 2" - reply to this text to answer Jane. #{code}'
    )


def test_a_text_arriving_after_the_staff_member_answered_does_alert_again(
    twilio_api, bob_by_text, alpha_line, run_outbox
):
    with at(0):
        message = an_inbound_text(alpha_line, "is anyone there?")
        run_outbox()
    with at(1):
        a_staff_reply(Conversation.objects.get(pk=message.conversation_id), bob_by_text, "Yes, Bob here.")
        run_outbox()
    with at(2):
        an_inbound_text(alpha_line, "great, can you come at 3?")
        run_outbox()

    assert texts_to_bob(twilio_api)[-1].startswith('New text from Jane Doe (512) 555-0147: "great, can you come at 3?"')
    assert len(texts_to_bob(twilio_api)) == 2


def test_a_summary_is_not_sent_when_someone_read_the_texts_first(twilio_api, bob_by_text, alice, alpha_line,
                                                                   run_outbox):  # fmt: skip
    with at(0):
        message = an_inbound_text(alpha_line, "first")
        run_outbox()
    with at(1):
        an_inbound_text(alpha_line, "second")
    with at(2):
        do_mark_read(Conversation.objects.get(pk=message.conversation_id), alice)
    with at(11):
        run_outbox()

    assert len(texts_to_bob(twilio_api)) == 1
    summary = Alert.objects.filter(channel=Alert.SMS).latest("created_at")
    assert (summary.status, summary.error) == (
        Alert.CANCELED,
        "not sent: the texts were read or answered before it went",
    )


def test_email_alerts_coalesce_too(smtp, alice, bob, mary, alpha_line, run_outbox):
    for n in range(8):
        with at(n * 0.25):
            an_inbound_text(alpha_line, f"text number {n}")
            run_outbox()
    with at(11):
        run_outbox()

    mails = [m for m in smtp.wait_for(6) if "text" in m.subject]  # not the escalations to alice and mary
    assert len(mails) == 6  # a first alert and one summary for each of three people, not 24
    assert (
        sorted(m.subject for m in mails)
        == ["7 new texts from (512) 555-0147"] * 3 + ["New text from (512) 555-0147"] * 3
    )


@pytest.mark.parametrize(
    "earlier, seen, expected",
    [
        (None, None, "now"),
        (coalesce.Earlier(TEN_AM, pending=True, sent_at=None), None, "covered"),
        (coalesce.Earlier(TEN_AM, pending=False, sent_at=TEN_AM), None, "summary"),
        (coalesce.Earlier(TEN_AM, pending=False, sent_at=TEN_AM), TEN_AM + timedelta(minutes=1), "now"),
        (coalesce.Earlier(TEN_AM, pending=True, sent_at=None), TEN_AM + timedelta(minutes=1), "now"),
        (coalesce.Earlier(TEN_AM - timedelta(minutes=11), pending=False, sent_at=TEN_AM - timedelta(minutes=11)),
         None, "now"),
    ],
)  # fmt: skip
def test_when_a_reply_alert_goes(earlier, seen, expected):
    now = TEN_AM + timedelta(minutes=2)
    when = coalesce.when_to_alert(earlier, seen, now)

    named = {now: "now", None: "covered", TEN_AM + coalesce.COALESCE_FOR: "summary"}
    assert named.get(when, when) == expected


# --- quiet time, checked again when an alert goes ----------------------------------------------------------

NINE_58_PM = datetime(2026, 3, 11, 21, 58, tzinfo=CHICAGO)


def test_an_email_retried_into_quiet_time_waits_for_its_end(smtp, bob, alpha_line, run_outbox):
    Membership.objects.filter(user=bob).update(quiet_start=time(22), quiet_end=time(6))
    smtp.busy = True
    with time_machine.travel(NINE_58_PM, tick=False):
        an_inbound_text(alpha_line, "are you open tomorrow?")
        run_outbox()  # the mail server says "try later"
    smtp.busy = False
    with time_machine.travel(NINE_58_PM + timedelta(minutes=5), tick=False):
        OutboxItem.objects.filter(kind="alert_email").update(due_at=NINE_58_PM + timedelta(minutes=5))
        run_outbox()
        assert smtp.received == []

    item = OutboxItem.objects.get(kind="alert_email")
    assert (item.status, item.due_at, item.attempts) == (
        OutboxItem.PENDING,
        datetime(2026, 3, 12, 6, tzinfo=CHICAGO),
        1,
    )
    with time_machine.travel(datetime(2026, 3, 12, 6, 0, 1, tzinfo=CHICAGO), tick=False):
        run_outbox()
    assert len(smtp.wait_for(1)) == 1


def test_a_staff_text_that_would_wait_past_its_validity_is_not_sent_and_says_why(
    twilio_api, bob_by_text, alpha_line, run_outbox
):
    Membership.objects.filter(user=bob_by_text).update(quiet_start=time(22), quiet_end=time(6))
    twilio_api.failures.append((500, {"code": 20500, "message": "Internal", "status": 500}))
    with time_machine.travel(NINE_58_PM, tick=False):
        an_inbound_text(alpha_line, "are you open tomorrow?")
        run_outbox()
    with time_machine.travel(NINE_58_PM + timedelta(minutes=5), tick=False):
        OutboxItem.objects.filter(kind="alert_sms").update(due_at=NINE_58_PM + timedelta(minutes=5))
        run_outbox()

    alert = Alert.objects.get(channel=Alert.SMS)
    assert (alert.status, alert.error) == (Alert.CANCELED, "not sent: quiet time until 6:00 am, too late by then")
    assert len(twilio_api.sent(to=BOB_PHONE)) == 1  # the failed attempt only
