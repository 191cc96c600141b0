"""A caller who rings five times in a few minutes gets one text, and staff get one missed-call alert."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from textback.accounts.models import Membership
from textback.alerts.models import Alert
from textback.calls import decide
from textback.messaging.models import Message
from textback.rules import bursts
from textback.testing import a_missed_call

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
OTHER_CALLER = "+15125550166"


@pytest.fixture
def alice_wants_missed_calls(alice):
    Membership.objects.filter(user=alice).update(alert_on_missed_call=True)
    return alice


def ring(line, times: int, every: timedelta, start=T0, caller=None):
    calls = []
    for i in range(times):
        with time_machine.travel(start + i * every, tick=False):
            calls.append(a_missed_call(line, caller) if caller else a_missed_call(line))
    return calls


def missed_call_alerts():
    return Alert.objects.filter(event=Alert.MISSED_CALL)


def test_five_quick_missed_calls_get_one_text_back(alpha_line):
    calls = ring(alpha_line, 5, timedelta(seconds=40))

    assert [c.decision_reason for c in calls] == [decide.TEXT_MISSED_CALL] + [decide.COOLDOWN] * 4
    assert Message.objects.filter(purpose=Message.TEXTBACK).count() == 1


def test_five_quick_missed_calls_make_one_missed_call_alert(alpha_line, alice_wants_missed_calls):
    calls = ring(alpha_line, 5, timedelta(seconds=40))

    [alert] = missed_call_alerts()
    assert alert.call == calls[0]


def test_a_burst_goes_on_while_the_calls_keep_coming(alpha_line, alice_wants_missed_calls):
    ring(alpha_line, 4, bursts.BURST - timedelta(minutes=1))

    assert missed_call_alerts().count() == 1


def test_a_call_after_a_quiet_spell_alerts_again(alpha_line, alice_wants_missed_calls):
    ring(alpha_line, 2, bursts.BURST)

    assert missed_call_alerts().count() == 2


def test_another_callers_missed_call_in_the_same_minutes_alerts_on_its_own(alpha_line, alice_wants_missed_calls):
    ring(alpha_line, 3, timedelta(seconds=30))
    ring(alpha_line, 1, timedelta(0), start=T0 + timedelta(seconds=45), caller=OTHER_CALLER)

    assert missed_call_alerts().count() == 2


def test_an_answered_call_does_not_start_a_burst(alpha_line, alice_wants_missed_calls):
    from textback.calls import outcomes

    with time_machine.travel(T0, tick=False):
        a_missed_call(alpha_line, outcome=outcomes.ANSWERED)
    ring(alpha_line, 1, timedelta(0), start=T0 + timedelta(minutes=2))

    assert missed_call_alerts().count() == 1


@pytest.mark.parametrize(
    ("previous", "expected"),
    [(None, False), (timedelta(0), True), (timedelta(minutes=9, seconds=59), True), (bursts.BURST, False)],
)
def test_a_call_is_in_the_burst_of_a_missed_call_less_than_ten_minutes_before(previous, expected):
    assert bursts.same_burst(None if previous is None else T0 - previous, T0) is expected
