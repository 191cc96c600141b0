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
from textback.testing import CALLER, a_staff_phone, a_staff_reply, an_inbound_text

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


# --- STOP stops the clock ----------------------------------------------------------------------------


def test_stop_stops_the_sla_clock_and_its_escalation(staff, alpha_line, run_outbox):
    with time_machine.travel(WEDNESDAY_10AM, tick=False):
        message = an_inbound_text(alpha_line, "how much for a new water heater?")
    with time_machine.travel(WEDNESDAY_10AM + timedelta(minutes=2), tick=False):
        an_inbound_text(alpha_line, "STOP")

    conversation = Conversation.objects.get(pk=message.conversation_id)
    assert conversation.awaiting_since is None  # nobody owes an answer: no amber or red in the inbox either
    item = OutboxItem.objects.get(kind=ESCALATE)
    assert (item.status, item.result) == (OutboxItem.CANCELED, "opted_out")
    with time_machine.travel(WEDNESDAY_10AM + timedelta(minutes=6), tick=False):
        run_outbox()
    assert escalated_to() == []


def test_an_escalation_that_fires_for_an_opted_out_caller_alerts_nobody(staff, alpha, alpha_line, run_outbox):
    from textback.messaging.models import ConsentEvent

    with time_machine.travel(WEDNESDAY_10AM, tick=False):
        an_inbound_text(alpha_line, "hello?")
        ConsentEvent.objects.create(  # written past record_consent, as a ledger import would
            business=alpha, number=CALLER, kind=ConsentEvent.OPT_OUT, source=ConsentEvent.PROVIDER,
            created_at=WEDNESDAY_10AM,
        )  # fmt: skip
    with time_machine.travel(WEDNESDAY_10AM + timedelta(minutes=6), tick=False):
        run_outbox()

    assert escalated_to() == []
    assert OutboxItem.objects.get(kind=ESCALATE).result == "opted_out"


# --- callers left waiting overnight: one digest per person at opening time ------------------------------

TUESDAY_EVENING = datetime(2026, 3, 10, 19, 0, tzinfo=CHICAGO)
WEDNESDAY_OPEN = datetime(2026, 3, 11, 8, 0, tzinfo=CHICAGO)
NIGHT_CALLERS = ["+15125550161", "+15125550162", "+15125550163", "+15125550164"]


@pytest.fixture
def overnight(staff, alpha, alpha_line):
    """Open 8–17 on weekdays; four callers text between 7 pm and 11 pm on Tuesday."""
    for weekday in range(5):
        OpeningHours.objects.create(business=alpha, weekday=weekday, opens=time(8), closes=time(17))
    for n, number in enumerate(NIGHT_CALLERS):
        with time_machine.travel(TUESDAY_EVENING + timedelta(hours=n), tick=False):
            an_inbound_text(alpha_line, f"caller {n}: the boiler is out", caller=number)
    return alpha


def test_callers_left_waiting_overnight_get_one_digest_per_person_at_opening_time(overnight, alice, run_outbox):
    a_staff_phone(alice, "+15125550181", alert_sms=True)
    due = set(OutboxItem.objects.filter(kind=ESCALATE).values_list("due_at", flat=True))
    assert due == {WEDNESDAY_OPEN + timedelta(minutes=5)}

    with time_machine.travel(WEDNESDAY_OPEN + timedelta(minutes=5), tick=False):
        run_outbox()

    assert escalated_to() == ["alice@alpha.example", "alice@alpha.example", "mary@alpha.example"]  # email + text
    text = Alert.objects.get(event=Alert.SLA, channel=Alert.SMS)
    assert text.body.startswith("4 callers waiting for an answer since last night: (512) 555-0161, (512) 555-0162")
    mail = Alert.objects.filter(event=Alert.SLA, channel=Alert.EMAIL).first()
    assert mail.subject == "4 callers are waiting for an answer since last night"
    assert mail.body.count("/b/alpha/conversations/") == 4 and "caller 3: the boiler is out" in mail.body
    results = sorted(OutboxItem.objects.filter(kind=ESCALATE).values_list("result", flat=True))
    assert results[0].startswith("digest:4:") and all(r.startswith("in_digest:") for r in results[1:])


def test_a_digest_leaves_out_a_caller_answered_before_opening(overnight, alice, run_outbox):
    with time_machine.travel(WEDNESDAY_OPEN + timedelta(minutes=1), tick=False):
        first = Conversation.objects.get(contact__number=NIGHT_CALLERS[0])
        a_staff_reply(first, alice)
    with time_machine.travel(WEDNESDAY_OPEN + timedelta(minutes=5), tick=False):
        run_outbox()

    mail = Alert.objects.filter(event=Alert.SLA, channel=Alert.EMAIL).first()
    assert mail.subject == "3 callers are waiting for an answer since last night"
    assert "caller 0" not in mail.body


def test_webhooks_still_get_one_event_per_caller_left_waiting(overnight, run_outbox):
    from textback.alerts.models import AlertWebhook

    AlertWebhook.objects.create(business=overnight, url="https://hooks.example.com/sla", kind=AlertWebhook.GENERIC)
    with time_machine.travel(WEDNESDAY_OPEN + timedelta(minutes=5), tick=False):
        run_outbox()

    hooks = Alert.objects.filter(event=Alert.SLA, channel=Alert.WEBHOOK)
    assert sorted(a.payload["contact"]["number"] for a in hooks) == NIGHT_CALLERS


def test_a_long_digest_text_names_the_first_callers_and_counts_the_rest():
    from textback.alerts import compose
    from textback.lib import gsm7

    class Contact:
        def __init__(self, n):
            self.number, self.name = f"+1512555{n:04d}", f"Caller number {n}"

    waiting = [compose.Waiting(Contact(n), n, "help", WEDNESDAY_10AM) for n in range(30)]
    text = compose.digest_text(waiting, "since last night")

    assert gsm7.shape(text).segments <= 2
    assert text.startswith("30 callers waiting for an answer since last night: Caller number 0 (512) 555-0000, ")
    assert " more. Answer them in textback." in text


@pytest.mark.parametrize(
    "oldest, words",
    [
        (datetime(2026, 3, 11, 7, 10, tzinfo=CHICAGO), "since 7:10 am"),
        (datetime(2026, 3, 10, 21, 30, tzinfo=CHICAGO), "since last night"),
        (datetime(2026, 3, 10, 11, 0, tzinfo=CHICAGO), "since yesterday"),
        (datetime(2026, 3, 7, 11, 0, tzinfo=CHICAGO), "since Saturday"),
        (datetime(2026, 2, 20, 11, 0, tzinfo=CHICAGO), "since Feb 20"),
    ],
)
def test_a_digest_says_since_when_on_the_business_clock(oldest, words):
    from textback.alerts import compose

    assert compose.since_words(oldest, WEDNESDAY_10AM.astimezone(UTC), "America/Chicago") == words


def test_who_receives_escalations_follows_the_roles_in_accounts_access(staff, alpha, monkeypatch):
    from textback.accounts import access
    from textback.alerts import recipients

    assert [m.user.username for m in recipients.escalation_staff(alpha.pk)] == [
        "alice@alpha.example", "mary@alpha.example"
    ]  # fmt: skip
    monkeypatch.setitem(access.ACTIONS, "receive_escalations", Membership.AGENT)
    assert len(recipients.escalation_staff(alpha.pk)) == 3
