"""The funnel from a known history: every figure asserted exactly, across a DST change and two time zones.

The history is made through the product's own actions (a missed call is decided and texted back by the rules,
a reply comes in through the inbound path, a person answers from the inbox, an outcome is set), with the clock
moved to each moment; only the provider's part (accepting and delivering a text) is played by hand, as the
worker and the status callbacks would."""

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from textback.calls import outcomes
from textback.messaging.conversations import do_set_outcome
from textback.messaging.models import Conversation, ExcludedNumber, Message
from textback.providers.models import Line
from textback.reports import funnel
from textback.reports.figures import DayFigures, percentile
from textback.reports.models import RollupDay
from textback.reports.periods import Period
from textback.testing import a_missed_call, a_staff_reply, an_inbound_text, delivery_reports

A, B, C, D, STAFF_CELL = "+15125550101", "+15125550102", "+15125550103", "+15125550104", "+15125550188"
CDT, CST = timedelta(hours=-5), timedelta(hours=-6)


def at(y, mo, d, h, mi, offset):
    """A wall time in Chicago, given with its offset (the DST night has 01:30 twice)."""
    return datetime(y, mo, d, h, mi, tzinfo=UTC) - offset


def handed(message: Message, after: int, *reports: str) -> None:
    """The worker handed the text to the provider `after` seconds after it was written; then delivery reports."""
    Message.objects.filter(pk=message.pk).update(status="queued", sent_at=message.created_at + timedelta(seconds=after))
    message.refresh_from_db()
    delivery_reports(message, *reports)


def textback_of(call) -> Message:
    return Message.objects.get(call=call, purpose=Message.TEXTBACK)


@pytest.fixture
def forwarded(alpha, alpha_sandbox_line):
    """alpha's second number: the business forwards missed calls to it from its own (carrier forwarding)."""
    Line.objects.filter(pk=alpha_sandbox_line.pk).update(call_mode=Line.CARRIER_FORWARD, label="Forwarded")
    alpha_sandbox_line.refresh_from_db()
    return alpha_sandbox_line


@pytest.fixture
def history(alpha, alice, alpha_line, forwarded):
    """Six calls to AlphaPlumbing (America/Chicago) from Oct 31 to Nov 2, 2026; clocks go back on Nov 1."""
    ExcludedNumber.objects.create(business=alpha, number=STAFF_CELL, label="Mike's cell")
    made = {}
    with time_machine.travel(at(2026, 10, 31, 23, 30, CDT), tick=False):  # Oct 31 local, Nov 1 in UTC
        made["one"] = call = a_missed_call(alpha_line, A)
        handed(textback_of(call), 3, "delivered")
    with time_machine.travel(at(2026, 10, 31, 23, 32, CDT), tick=False):
        an_inbound_text(alpha_line, "Water heater leaking, can you come today?", A)
    with time_machine.travel(at(2026, 10, 31, 23, 36, CDT), tick=False):
        conversation = Conversation.objects.get(line=alpha_line, contact__number=A)
        handed(a_staff_reply(conversation, alice), 1)
    with time_machine.travel(at(2026, 11, 1, 1, 30, CDT), tick=False):  # the first 01:30
        a_missed_call(alpha_line, B, outcomes.ANSWERED)
    with time_machine.travel(at(2026, 11, 1, 1, 30, CST), tick=False):  # the second 01:30, an hour later
        made["three"] = call = a_missed_call(alpha_line, C, outcomes.BUSY)
        handed(textback_of(call), 5, "undelivered")
    with time_machine.travel(at(2026, 11, 1, 23, 30, CST), tick=False):
        made["four"] = call = a_missed_call(forwarded, D, outcomes.VOICEMAIL)
        handed(textback_of(call), 2, "delivered")
    with time_machine.travel(at(2026, 11, 1, 23, 40, CST), tick=False):
        an_inbound_text(forwarded, "STOP", D)  # an opt-out is not a reply
    with time_machine.travel(at(2026, 11, 2, 10, 0, CST), tick=False):  # A again, on the other number
        made["five"] = call = a_missed_call(forwarded, A)
        handed(textback_of(call), 4)
    with time_machine.travel(at(2026, 11, 2, 10, 10, CST), tick=False):
        an_inbound_text(forwarded, "Still need someone for the heater", A)  # nobody answers this one
    with time_machine.travel(at(2026, 11, 2, 12, 0, CST), tick=False):
        a_missed_call(alpha_line, STAFF_CELL)  # excluded: never texted
    with time_machine.travel(at(2026, 11, 3, 9, 0, CST), tick=False):
        do_set_outcome(conversation, alice, Conversation.BOOKED, value="350")
        lost = Conversation.objects.get(line=forwarded, contact__number=A)
        do_set_outcome(lost, alice, Conversation.LOST, reason="went with another company")
    return made


LATER = at(2026, 11, 20, 12, 0, CST)
PERIOD = Period(date(2026, 10, 31), date(2026, 11, 2))


def test_every_figure_of_the_funnel_comes_from_the_history(alpha, history):
    f = funnel.total(alpha, PERIOD, now=LATER)

    assert (f.calls, f.answered) == (6, 1)
    assert f.missed == Counter({outcomes.NO_ANSWER: 3, outcomes.BUSY: 1, outcomes.VOICEMAIL: 1})
    assert (f.texted, dict(f.skipped)) == (4, {"excluded": 1})
    assert (f.delivered, f.failed) == (2, 1)
    assert (f.replied, f.booked, f.revenue) == (2, 1, Decimal("350"))
    assert f.textback_seconds == Counter({3: 1, 5: 1, 2: 1, 4: 1})
    assert f.answer_seconds == Counter({240: 1})  # the reply at 23:32, answered at 23:36
    assert f.answer_seconds_open == Counter({240: 1})  # no hours set: always open
    assert (f.unanswered, f.breaches) == (1, 1)  # the reply of Nov 2 nobody answered
    assert [b["waited"] for b in f.breach_list] == [None]
    assert f.segments_in == 3  # two replies and the STOP
    assert f.segments_out == 5  # four text-backs and the staff reply
    assert (f.recovery_rate, f.booking_rate) == (0.5, 0.5)


def test_a_call_counts_on_the_local_day_it_started_across_the_dst_change(alpha, history):
    found = funnel.days(alpha, PERIOD, now=LATER)

    calls_by_day = {day: sum(f.calls for f in by_line.values()) for day, by_line in found.items()}
    assert calls_by_day == {date(2026, 10, 31): 1, date(2026, 11, 1): 3, date(2026, 11, 2): 2}
    heat_nov_1 = funnel.summed({date(2026, 11, 1): found[date(2026, 11, 1)]}).heat
    assert heat_nov_1 == Counter({1: 1, 23: 1})  # the second 01:30 (busy) and the 23:30 voicemail


def test_the_miss_rate_is_measured_only_on_lines_that_see_answered_calls(alpha, alpha_line, forwarded, history):
    everything = funnel.total(alpha, PERIOD, now=LATER)
    assert (everything.measured_missed, everything.measured_calls) == (3, 4)  # the screened number's four calls
    assert everything.miss_rate == 0.75

    only_forwarded = funnel.total(alpha, PERIOD, forwarded.pk, now=LATER)
    assert only_forwarded.calls == 2 and only_forwarded.measured_calls == 0
    assert only_forwarded.miss_rate is None  # "not measured in this mode", never 100 %


def test_an_opt_out_is_not_counted_as_a_reply(alpha, forwarded, history):
    nov_1 = funnel.total(alpha, Period(date(2026, 11, 1), date(2026, 11, 1)), forwarded.pk, now=LATER)
    assert (nov_1.texted, nov_1.delivered, nov_1.replied) == (1, 1, 0)


def test_a_business_in_another_time_zone_counts_its_own_days(beta, beta_line):
    with time_machine.travel(datetime(2026, 11, 3, 7, 30, tzinfo=UTC), tick=False):  # Nov 2, 23:30 in Los Angeles
        a_missed_call(beta_line, A)
    beta.time_zone = "America/Los_Angeles"
    beta.save()

    nov_2 = funnel.total(beta, Period(date(2026, 11, 2), date(2026, 11, 2)), now=LATER)
    nov_3 = funnel.total(beta, Period(date(2026, 11, 3), date(2026, 11, 3)), now=LATER)
    assert (nov_2.calls, nov_3.calls) == (1, 0)
    assert nov_2.heat == Counter({23: 1})


def test_settled_days_are_kept_and_read_back_the_same(alpha, history, django_assert_max_num_queries):
    first = funnel.total(alpha, PERIOD, now=LATER)
    assert RollupDay.objects.filter(business=alpha).count() == 3

    with django_assert_max_num_queries(2):  # the lines' modes are not needed: only the kept rows
        again = funnel.total(alpha, PERIOD, now=LATER)
    assert again == first


def test_another_time_zone_refigures_the_kept_days(alpha, history):
    from textback.accounts.settings_actions import do_update_business

    funnel.total(alpha, PERIOD, now=LATER)
    do_update_business(alpha, {"time_zone": "America/New_York"})

    assert not RollupDay.objects.filter(business=alpha).exists()
    found = funnel.days(alpha, PERIOD, now=LATER)
    calls_by_day = {day: sum(f.calls for f in by_line.values()) for day, by_line in found.items()}
    # In New York both 23:30 calls are 00:30 the next day.
    assert calls_by_day == {date(2026, 10, 31): 0, date(2026, 11, 1): 3, date(2026, 11, 2): 3}


def test_recent_days_are_reused_for_five_minutes_then_figured_again(alpha, alpha_line, history):
    soon = at(2026, 11, 2, 13, 0, CST)  # Nov 2 is today; Oct 31 and Nov 1 are recent, not settled
    assert funnel.total(alpha, PERIOD, now=soon).replied == 2
    kept = {r.day: r.figures["final"] for r in RollupDay.objects.filter(business=alpha)}
    assert kept == {date(2026, 10, 31): False, date(2026, 11, 1): False}  # provisional; today is never kept
    with time_machine.travel(soon + timedelta(minutes=1), tick=False):  # C, texted Nov 1 at 01:30, replies
        an_inbound_text(alpha_line, "Sorry, was at work. Still need help with the drain", C)

    assert funnel.total(alpha, PERIOD, now=soon + timedelta(minutes=4)).replied == 2  # as figured at 13:00
    assert funnel.total(alpha, PERIOD, now=soon + timedelta(minutes=6)).replied == 3  # figured again


def test_today_is_always_figured_from_the_rows(alpha, alpha_line):
    now = at(2026, 11, 9, 12, 0, CST)
    today_only = Period(date(2026, 11, 9), date(2026, 11, 9))
    assert funnel.total(alpha, today_only, now=now).calls == 0
    with time_machine.travel(now, tick=False):
        a_missed_call(alpha_line, A)

    assert funnel.total(alpha, today_only, now=now).calls == 1
    assert not RollupDay.objects.filter(business=alpha, day=date(2026, 11, 9)).exists()


def test_setting_an_outcome_refigures_the_kept_days_it_counted_on(alpha, alice, alpha_line, history):
    assert funnel.total(alpha, PERIOD, now=LATER).booked == 1
    booked = Conversation.objects.get(line=alpha_line, contact__number=A)

    do_set_outcome(booked, alice, Conversation.NO_SHOW)

    after = funnel.total(alpha, PERIOD, now=LATER)
    assert (after.booked, after.revenue) == (0, Decimal("0"))


def test_a_booking_counts_once_for_the_latest_text_back_the_caller_replied_to(alpha, alice, alpha_line):
    with time_machine.travel(at(2026, 11, 9, 9, 0, CST), tick=False):
        first = a_missed_call(alpha_line, A)
        handed(textback_of(first), 1)
        an_inbound_text(alpha_line, "Hi, yes please call me", A)
    with time_machine.travel(at(2026, 11, 10, 12, 0, CST), tick=False):  # past the 24 h cool-down
        second = a_missed_call(alpha_line, A)
        handed(textback_of(second), 1)
        an_inbound_text(alpha_line, "Calling about the same leak", A)
        do_set_outcome(Conversation.objects.get(line=alpha_line), alice, Conversation.BOOKED, value="120.50")

    found = funnel.days(alpha, Period(date(2026, 11, 9), date(2026, 11, 10)), now=LATER)
    per_day = {d: funnel.summed({d: by_line}) for d, by_line in found.items()}
    assert [(f.replied, f.booked, f.revenue) for f in per_day.values()] == [
        (1, 0, Decimal("0")),
        (1, 1, Decimal("120.50")),
    ]


def test_percentiles_are_nearest_rank_on_whole_seconds():
    assert percentile(Counter({1: 1, 2: 1, 3: 1}), 0.5) == 2
    assert percentile(Counter({1: 1, 2: 1, 3: 1, 4: 1}), 0.5) == 2
    assert percentile(Counter({5: 9, 60: 1}), 0.9) == 5
    assert percentile(Counter({5: 8, 60: 2}), 0.9) == 60
    assert percentile(Counter(), 0.5) is None


def test_figures_survive_their_round_trip_through_json():
    f = DayFigures(calls=3, missed=Counter({"busy": 2}), heat=Counter({23: 2}), textback_seconds=Counter({4: 2}))
    f.breach_list.append({"conversation": 9, "at": "2026-11-01T05:00:00+00:00", "waited": None})
    assert DayFigures.from_json(f.to_json()) == f
