"""The weekly summary email: opt-in per person, one outbox row per business due Monday 08:00 local (DST
included), last week's funnel against the week before, received by a real SMTP server."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from textback.accounts.models import Membership
from textback.calls import outcomes
from textback.messaging.conversations import do_set_outcome
from textback.messaging.models import Conversation, Message
from textback.outbox.models import OutboxItem
from textback.reports import weekly
from textback.reports.figures import DayFigures
from textback.testing import _MY_SETTINGS, a_missed_call, an_inbound_text, delivery_reports, page_text

pytestmark = pytest.mark.django_db
CDT, CST = timedelta(hours=-5), timedelta(hours=-6)


def local(y, mo, d, h, mi, offset) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=UTC) - offset


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def opt_in(user, slug="alpha", on=True):
    data = {**_MY_SETTINGS, "phone": "", "alert_sms": "", **({"weekly_summary": "on"} if on else {})}
    return signed_in(user).post(f"/b/{slug}/me", data)


def pending(business):
    return list(OutboxItem.objects.filter(business=business, kind=weekly.WEEKLY, status=OutboxItem.PENDING))


# --- when ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "now, due",
    [
        # Chicago falls back on Sunday Nov 1, 2026: Monday 08:00 is CST the next day.
        (local(2026, 10, 31, 12, 0, CDT), local(2026, 11, 2, 8, 0, CST)),
        # Spring forward on Sunday Mar 8, 2026: Monday 08:00 is CDT.
        (local(2026, 3, 7, 9, 0, CST), local(2026, 3, 9, 8, 0, CDT)),
        # Monday 08:00 itself: the next one.
        (local(2026, 11, 2, 8, 0, CST), local(2026, 11, 9, 8, 0, CST)),
        (local(2026, 11, 2, 7, 59, CST), local(2026, 11, 2, 8, 0, CST)),
    ],
)
def test_it_is_due_monday_at_8_local_across_a_dst_change(now, due):
    assert weekly.next_run(now, "America/Chicago") == due


def test_another_time_zone_gets_its_own_monday_morning():
    now = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)  # London springs forward on Sunday Mar 29
    assert weekly.next_run(now, "Europe/London") == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)  # 08:00 BST


# --- who ---------------------------------------------------------------------------------------------------


def test_opting_in_queues_one_row_for_the_business(alice, mary, alpha):
    with time_machine.travel(local(2026, 11, 4, 12, 0, CST), tick=False):
        assert opt_in(alice).status_code == 302
        opt_in(mary)
    rows = pending(alpha)
    assert [row.due_at for row in rows] == [local(2026, 11, 9, 8, 0, CST)]
    assert Membership.objects.get(user=alice, business=alpha).weekly_summary


def test_an_agent_is_not_offered_the_summary(bob, alpha):
    assert "weekly_summary" not in page_text(signed_in(bob).get("/b/alpha/me"))
    opt_in(bob)
    assert not Membership.objects.get(user=bob, business=alpha).weekly_summary and not pending(alpha)


def test_nobody_opted_in_finishes_without_sending_and_stops_the_chain(alice, alpha, run_outbox):
    with time_machine.travel(local(2026, 11, 4, 12, 0, CST), tick=False):
        opt_in(alice)
        opt_in(alice, on=False)
    with time_machine.travel(local(2026, 11, 9, 8, 0, CST), tick=False):
        run_outbox()
    row = OutboxItem.objects.get(kind=weekly.WEEKLY)
    assert (row.status, row.result) == (OutboxItem.DONE, "nobody opted in")
    assert not OutboxItem.objects.filter(kind="email").exists() and not pending(alpha)
    with time_machine.travel(local(2026, 11, 10, 9, 0, CST), tick=False):
        opt_in(alice)  # the next opt-in starts it again
    assert [row.due_at for row in pending(alpha)] == [local(2026, 11, 16, 8, 0, CST)]


def test_a_monday_that_fails_for_good_still_queues_the_next(alice, alpha):
    with time_machine.travel(local(2026, 11, 4, 12, 0, CST), tick=False):
        opt_in(alice)
    row = pending(alpha)[0]
    with time_machine.travel(local(2026, 11, 9, 8, 5, CST), tick=False):
        weekly.keep_the_chain(row, "boom")
    assert local(2026, 11, 16, 8, 0, CST) in [r.due_at for r in pending(alpha)]


# --- what --------------------------------------------------------------------------------------------------


@pytest.fixture
def two_weeks(alpha, alice, alpha_line):
    """The week before (Oct 26 - Nov 1): one missed call. Last week (Nov 2 - 8): a missed call texted,
    replied to and booked for $400, and an answered call."""
    with time_machine.travel(local(2026, 10, 28, 9, 0, CDT), tick=False):
        a_missed_call(alpha_line, "+15125550103")
    with time_machine.travel(local(2026, 11, 2, 10, 0, CST), tick=False):
        call = a_missed_call(alpha_line, "+15125550101")
        delivery_reports(Message.objects.get(call=call, purpose=Message.TEXTBACK), "delivered")
        a_missed_call(alpha_line, "+15125550102", outcomes.ANSWERED)
    with time_machine.travel(local(2026, 11, 2, 10, 5, CST), tick=False):
        an_inbound_text(alpha_line, "Yes please, the sink", "+15125550101")
        do_set_outcome(Conversation.objects.get(contact__number="+15125550101"), alice, "booked", value="400")


def test_the_email_is_received_with_last_weeks_figures(smtp, alice, mary, alpha, two_weeks, run_outbox):
    with time_machine.travel(local(2026, 11, 4, 12, 0, CST), tick=False):
        opt_in(alice)
        opt_in(mary)
    with time_machine.travel(local(2026, 11, 9, 8, 0, CST), tick=False):
        run_outbox()  # the Monday row queues the mails
        run_outbox()  # the mails go
    mails = [m for m in smtp.wait_for(2) if "recovered" in m.subject]
    assert sorted(to for m in mails for to in m.rcpt_tos) == ["alice@alpha.example", "mary@alpha.example"]
    mail = mails[0]
    assert mail.subject == "AlphaPlumbing: $400.00 recovered, week of Nov 2"
    text = mail.text()
    assert "Calls: 2 (the week before: 1, +1)" in text
    assert "Missed: 1 (the week before: 1)" in text
    assert "Texted back: 1 (the week before: 0, +1)" in text  # the week before's text never reached a provider
    assert "Replied: 1 (the week before: 0, +1)" in text and "Booked: 1 (the week before: 0, +1)" in text
    assert "Recovered revenue: $400.00 (the week before: $0.00, +$400.00)" in text
    assert "Recovery rate: 100.0 %" in text and "Booking rate: 100.0 %" in text
    assert "https://textback.example.com/b/alpha/" in text
    html = mail.message.get_body(preferencelist=("html",)).get_content()
    assert "$400.00 recovered</h1>" in html
    assert [r.due_at for r in pending(alpha)] == [local(2026, 11, 16, 8, 0, CST)]  # and next Monday's row


def test_the_html_part_escapes_the_business_name(alpha):
    alpha.name = "<b>Alpha</b> & Sons"
    subject, text, html = weekly.compose(alpha, weekly.periods.last_full_week("America/Chicago"), DayFigures(),
                                         DayFigures())  # fmt: skip
    assert "&lt;b&gt;Alpha&lt;/b&gt; &amp; Sons" in html and "<b>Alpha" not in html
    assert "<b>Alpha</b> & Sons: the week of" in text  # plain text stays plain


def test_a_late_run_still_reports_the_week_before_its_monday(smtp, alice, alpha, two_weeks, run_outbox):
    with time_machine.travel(local(2026, 11, 4, 12, 0, CST), tick=False):
        opt_in(alice)
    with time_machine.travel(local(2026, 11, 10, 15, 0, CST), tick=False):  # the worker was down a day
        run_outbox()
        run_outbox()
    assert "week of Nov 2" in [m for m in smtp.wait_for(1) if "recovered" in m.subject][0].subject
