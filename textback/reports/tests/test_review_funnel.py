"""Review of issue 8: ways to make the funnel lie (each test states what an honest report would show)."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine

from textback.messaging.conversations import do_set_outcome
from textback.messaging.models import Conversation, Message
from textback.reports import funnel
from textback.reports.models import RollupDay
from textback.reports.periods import Period
from textback.reports.tests.test_funnel import CST, A, at, handed, textback_of
from textback.testing import a_missed_call, a_staff_reply, an_inbound_text

pytestmark = pytest.mark.django_db
LATER = at(2026, 11, 30, 12, 0, CST)


def test_a_days_answer_figures_do_not_depend_on_the_period_asked_for(alpha, alice, alpha_line):
    """The SLA clock of a caller who wrote 3 days before: the texts window (start − ANSWER_WINDOW) hides the first
    message when the period starts later, so the second message starts a clock of its own."""
    with time_machine.travel(at(2026, 11, 9, 10, 0, CST), tick=False):
        an_inbound_text(alpha_line, "Do you service tankless heaters?", A)
    with time_machine.travel(at(2026, 11, 12, 10, 0, CST), tick=False):
        an_inbound_text(alpha_line, "Hello? Anyone?", A)
    with time_machine.travel(at(2026, 11, 12, 10, 30, CST), tick=False):
        a_staff_reply(Conversation.objects.get(line=alpha_line), alice)
    now = at(2026, 11, 13, 12, 0, CST)  # not settled: figured afresh on every read
    day = date(2026, 11, 12)

    alone = funnel.total(alpha, Period(day, day), now=now)
    within_a_longer_period = funnel.summed({day: funnel.days(alpha, Period(date(2026, 11, 9), day), now=now)[day]})

    assert (alone.answer_seconds, alone.unanswered, alone.breaches) == (
        within_a_longer_period.answer_seconds,
        within_a_longer_period.unanswered,
        within_a_longer_period.breaches,
    )


def test_a_text_back_never_sent_does_not_swallow_the_booking_of_the_one_the_caller_replied_to(alpha, alice, alpha_line):
    with time_machine.travel(at(2026, 11, 9, 9, 0, CST), tick=False):
        first = a_missed_call(alpha_line, A)
        handed(textback_of(first), 1)
        an_inbound_text(alpha_line, "Yes please, the boiler is out", A)
    with time_machine.travel(at(2026, 11, 10, 12, 0, CST), tick=False):  # past the 24 h cool-down: calls again
        second = a_missed_call(alpha_line, A)
        # never handed to the provider: canceled in the outbox (a person answered the thread first)
        Message.objects.filter(pk=textback_of(second).pk).update(status="canceled")
    with time_machine.travel(at(2026, 11, 10, 12, 30, CST), tick=False):
        do_set_outcome(Conversation.objects.get(line=alpha_line), alice, Conversation.BOOKED, value="400")

    f = funnel.total(alpha, Period(date(2026, 11, 9), date(2026, 11, 10)), now=LATER)

    assert (f.texted, f.replied) == (1, 1)
    assert (f.booked, f.revenue) == (1, Decimal("400"))  # found: (0, 0): the job vanished from the report


def test_a_later_booking_in_the_same_conversation_does_not_erase_an_earlier_months_revenue(alpha, alice, alpha_line):
    with time_machine.travel(at(2026, 10, 5, 9, 0, CST), tick=False):
        first = a_missed_call(alpha_line, A)
        handed(textback_of(first), 1)
        an_inbound_text(alpha_line, "Need a plumber", A)
        do_set_outcome(Conversation.objects.get(line=alpha_line), alice, Conversation.BOOKED, value="300")
    october = Period(date(2026, 10, 1), date(2026, 10, 31))
    assert funnel.total(alpha, october, now=LATER).revenue == Decimal("300")  # (a weekly email said so too)

    with time_machine.travel(at(2026, 11, 20, 9, 0, CST), tick=False):  # a new job, same caller, same line
        second = a_missed_call(alpha_line, A)
        handed(textback_of(second), 1)
        an_inbound_text(alpha_line, "Another leak, different bathroom", A)
        do_set_outcome(Conversation.objects.get(line=alpha_line), alice, Conversation.BOOKED, value="500")

    assert funnel.total(alpha, october, now=LATER).revenue == Decimal("300")  # found: 0


def test_a_reader_figuring_a_day_while_an_outcome_changes_cannot_keep_stale_figures(alpha, alice, alpha_line):
    """The interleaving of two requests under READ COMMITTED: a report figures a settled day from rows read before
    the outcome's transaction commits, the outcome's `forget` deletes the (not yet written) kept day, the report then
    writes its stale figures (bulk_create ignore_conflicts); the day stays wrong for ever."""
    with time_machine.travel(at(2026, 11, 9, 9, 0, CST), tick=False):
        call = a_missed_call(alpha_line, A)
        handed(textback_of(call), 1)
        an_inbound_text(alpha_line, "Yes please", A)
    day = date(2026, 11, 9)
    read_before_commit = funnel._figure(alpha, day, day, LATER)  # the report's reads

    with time_machine.travel(at(2026, 11, 25, 9, 0, CST), tick=False):  # the outcome's transaction
        do_set_outcome(Conversation.objects.get(line=alpha_line), alice, Conversation.BOOKED, value="250")

    funnel._keep(alpha, read_before_commit, LATER)  # the report's write, after the commit
    assert funnel.total(alpha, Period(day, day), now=LATER).booked == 1  # found: 0, kept


def test_a_read_token_cannot_make_the_server_write_a_thousand_kept_days_per_request(client, alpha, alice):
    from textback.api import tokens
    from textback.api.models import ApiToken

    token = tokens.do_create(alpha, "t", ApiToken.READ, alice).plain
    for year in (2000, 2003, 2006):  # each request: a new 3-year period of nothing, each day written as kept
        response = client.get(
            "/api/v1/metrics",
            {"from": f"{year}-01-01", "to": f"{year + 2}-12-31"},
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        assert response.status_code == 200
    assert RollupDay.objects.filter(business=alpha).count() < 100  # found: 3,288 rows (and 120 requests a minute)


def test_a_breach_that_falls_due_after_the_day_settled_is_counted(alpha, alpha_line):
    """Closed for a two-week holiday: a caller's text on its first day breaches when the business reopens, after the
    day has settled (SETTLE_DAYS) and was kept with breaches 0 — time passing changes a settled day after all."""
    from datetime import time

    from textback.accounts.models import OpeningHours
    from textback.rules.models import Closure

    for weekday in range(5):
        OpeningHours.objects.create(business=alpha, weekday=weekday, opens=time(8), closes=time(17))
    Closure.objects.create(business=alpha, first_day=date(2026, 12, 21), last_day=date(2027, 1, 3), label="Holidays")
    with time_machine.travel(at(2026, 12, 21, 10, 0, CST), tick=False):
        an_inbound_text(alpha_line, "Pipe burst, please call", A)
    day = Period(date(2026, 12, 21), date(2026, 12, 21))

    funnel.total(alpha, day, now=at(2026, 12, 30, 12, 0, CST))  # a report read during the holidays keeps the day
    after = funnel.total(alpha, day, now=at(2027, 1, 10, 12, 0, CST))  # reopened Jan 4; nobody ever answered

    assert after.breaches == 1  # found: 0
