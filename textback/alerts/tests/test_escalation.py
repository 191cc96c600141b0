"""SLA escalation: a caller left unanswered for N minutes of opening time alerts managers and owners once."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from textback.accounts.models import Membership, OpeningHours
from textback.alerts.escalation import ESCALATE
from textback.alerts.models import Alert
from textback.messaging.models import Conversation
from textback.outbox.models import OutboxItem
from textback.testing import a_staff_reply, an_inbound_text

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")
WEDNESDAY_10AM = datetime(2026, 3, 11, 10, 0, tzinfo=CHICAGO)


@pytest.fixture
def staff(alice, mary, bob):
    return alice, mary, bob


def escalated_to():
    return sorted(a.user.username for a in Alert.objects.filter(event=Alert.SLA).select_related("user"))


def test_a_caller_left_waiting_alerts_the_managers_and_owners_once(staff, alpha_line, run_outbox):
    with time_machine.travel(WEDNESDAY_10AM, tick=False):
        an_inbound_text(alpha_line, "my basement is flooding")
    with time_machine.travel(WEDNESDAY_10AM + timedelta(minutes=2), tick=False):
        an_inbound_text(alpha_line, "hello??")
    (item,) = OutboxItem.objects.filter(kind=ESCALATE)
    assert item.due_at == WEDNESDAY_10AM + timedelta(minutes=5)

    with time_machine.travel(WEDNESDAY_10AM + timedelta(minutes=4), tick=False):
        run_outbox()
        assert escalated_to() == []
    with time_machine.travel(WEDNESDAY_10AM + timedelta(minutes=5, seconds=1), tick=False):
        run_outbox()
        run_outbox()

    assert escalated_to() == ["alice@alpha.example", "mary@alpha.example"]  # not bob, an agent
    alert = Alert.objects.filter(event=Alert.SLA).first()
    assert "has waited 5 minutes" in alert.body and "my basement is flooding" in alert.body
    assert OutboxItem.objects.get(kind=ESCALATE).result == "escalated:2"


def test_an_answer_in_time_cancels_the_escalation(staff, alpha_line, alice, run_outbox):
    with time_machine.travel(WEDNESDAY_10AM, tick=False):
        message = an_inbound_text(alpha_line, "my basement is flooding")
    with time_machine.travel(WEDNESDAY_10AM + timedelta(minutes=3), tick=False):
        a_staff_reply(Conversation.objects.get(pk=message.conversation_id), alice)
    with time_machine.travel(WEDNESDAY_10AM + timedelta(minutes=6), tick=False):
        run_outbox()

    assert escalated_to() == []
    assert OutboxItem.objects.get(kind=ESCALATE).result == "answered"


def test_a_new_wait_after_an_answer_gets_its_own_escalation(staff, alpha_line, alice, run_outbox):
    with time_machine.travel(WEDNESDAY_10AM, tick=False):
        message = an_inbound_text(alpha_line, "first question")
    with time_machine.travel(WEDNESDAY_10AM + timedelta(minutes=1), tick=False):
        a_staff_reply(Conversation.objects.get(pk=message.conversation_id), alice)
    with time_machine.travel(WEDNESDAY_10AM + timedelta(minutes=2), tick=False):
        an_inbound_text(alpha_line, "second question")
    with time_machine.travel(WEDNESDAY_10AM + timedelta(minutes=8), tick=False):
        run_outbox()

    results = sorted(OutboxItem.objects.filter(kind=ESCALATE).values_list("result", flat=True))
    assert results == ["answered", "escalated:2"]
    assert "second question" in Alert.objects.filter(event=Alert.SLA).first().body


def test_outside_opening_hours_the_clock_waits_for_opening_time(staff, alpha, alpha_line, run_outbox):
    for weekday in range(5):
        OpeningHours.objects.create(business=alpha, weekday=weekday, opens=time(8), closes=time(17))
    saturday = datetime(2026, 3, 14, 10, 0, tzinfo=CHICAGO)
    monday_open = datetime(2026, 3, 16, 8, 0, tzinfo=CHICAGO)

    with time_machine.travel(saturday, tick=False):
        an_inbound_text(alpha_line, "weekend leak")
    assert OutboxItem.objects.get(kind=ESCALATE).due_at == monday_open + timedelta(minutes=5)

    with time_machine.travel(monday_open + timedelta(minutes=4), tick=False):
        run_outbox()
        assert escalated_to() == []
    with time_machine.travel(monday_open + timedelta(minutes=5), tick=False):
        run_outbox()
    assert escalated_to() == ["alice@alpha.example", "mary@alpha.example"]


def test_escalations_reach_only_those_who_opted_into_them_in_quiet_time(staff, alpha_line, alice, mary, run_outbox):
    Membership.objects.filter(user__in=[alice, mary]).update(quiet_start=time(0), quiet_end=time(23, 59))
    Membership.objects.filter(user=mary).update(escalations_in_quiet_time=True)

    with time_machine.travel(WEDNESDAY_10AM, tick=False):
        an_inbound_text(alpha_line, "anyone?")
        assert Alert.objects.filter(event=Alert.REPLY, user__in=[alice, mary]).count() == 0  # quiet: no reply alert
    with time_machine.travel(WEDNESDAY_10AM + timedelta(minutes=5), tick=False):
        run_outbox()

    assert escalated_to() == ["mary@alpha.example"]


def test_a_closed_conversation_is_not_escalated(staff, alpha_line, alice, run_outbox):
    from textback.messaging.conversations import do_close

    with time_machine.travel(WEDNESDAY_10AM, tick=False):
        message = an_inbound_text(alpha_line, "never mind, fixed it")
        do_close(Conversation.objects.get(pk=message.conversation_id), alice)
    with time_machine.travel(WEDNESDAY_10AM + timedelta(minutes=5), tick=False):
        run_outbox()

    assert escalated_to() == []


def test_a_business_can_switch_escalation_off(staff, alpha, alpha_line):
    alpha.escalate_after_minutes = 0
    alpha.save()

    an_inbound_text(alpha_line, "hello?")

    assert not OutboxItem.objects.filter(kind=ESCALATE).exists()


def test_the_escalation_due_time_is_stored_in_utc(staff, alpha_line):
    with time_machine.travel(WEDNESDAY_10AM, tick=False):
        an_inbound_text(alpha_line, "hi")
    item = OutboxItem.objects.get(kind=ESCALATE)
    assert item.payload["awaiting_since"] == WEDNESDAY_10AM.astimezone(UTC).isoformat()
