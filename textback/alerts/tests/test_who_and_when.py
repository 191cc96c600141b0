"""Who is alerted, on which channels, and when: a caller's reply, a missed call; quiet times."""

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine

from textback.accounts.models import Membership
from textback.alerts import recipients
from textback.alerts.channels import ALERT_EMAIL, ALERT_SMS
from textback.alerts.models import Alert
from textback.calls import outcomes
from textback.messaging.models import Conversation
from textback.outbox.models import OutboxItem
from textback.testing import a_missed_call, a_staff_phone, an_inbound_text

pytestmark = pytest.mark.django_db

BOB_PHONE, MARY_PHONE = "+15125550181", "+15125550182"


def prefer(user, **choices):
    Membership.objects.filter(user=user).update(**choices)


def alerted(event=Alert.REPLY):
    return sorted((a.user.username, a.channel) for a in Alert.objects.filter(event=event).select_related("user"))


@pytest.fixture
def staff(alice, mary, bob):
    """alice owns, mary manages, bob is an agent; all serve every line; email alerts only (the defaults)."""
    return alice, mary, bob


def test_an_unassigned_reply_alerts_the_lines_staff_by_email(staff, alpha_line):
    an_inbound_text(alpha_line, "my basement drain is slow")

    assert alerted() == [("alice@alpha.example", "email"), ("bob@alpha.example", "email"),
                         ("mary@alpha.example", "email")]  # fmt: skip
    assert OutboxItem.objects.filter(kind=ALERT_EMAIL).count() == 3


def test_an_assigned_reply_alerts_the_assignee_only(staff, alpha_line, bob):
    an_inbound_text(alpha_line, "hello?")
    Alert.objects.all().delete()
    Conversation.objects.update(assignee=bob)

    an_inbound_text(alpha_line, "are you coming?")

    assert alerted() == [("bob@alpha.example", "email")]


def test_staff_of_other_lines_are_not_alerted(staff, alpha_line, alpha_sandbox_line, bob):
    Membership.objects.get(user=bob).lines.set([alpha_sandbox_line])

    an_inbound_text(alpha_line, "hello?")

    assert "bob@alpha.example" not in {user for user, _ in alerted()}


def test_each_person_gets_the_channels_they_chose(staff, alpha_line, alice, bob, mary):
    a_staff_phone(bob, BOB_PHONE, alert_email=False, alert_sms=True)
    prefer(mary, alert_sms=True)  # no phone on file: no text
    prefer(alice, alert_email=False)

    an_inbound_text(alpha_line, "hello?")

    assert alerted() == [("bob@alpha.example", "sms"), ("mary@alpha.example", "email")]
    sms = Alert.objects.get(channel=Alert.SMS)
    assert (sms.to, sms.line, OutboxItem.objects.get(kind=ALERT_SMS).status) == (BOB_PHONE, alpha_line, "pending")


def test_a_phone_that_was_never_verified_gets_no_alert_text(staff, alpha_line, bob):
    a_staff_phone(bob, BOB_PHONE, verified=False, alert_email=False, alert_sms=True)

    an_inbound_text(alpha_line, "my basement drain is slow")

    assert not Alert.objects.filter(to=BOB_PHONE).exists()
    assert "bob@alpha.example" not in {user for user, _ in alerted()}


def test_a_person_who_turned_off_reply_alerts_gets_none(staff, alpha_line, bob):
    prefer(bob, alert_on_reply=False)

    an_inbound_text(alpha_line, "hello?")

    assert "bob@alpha.example" not in {user for user, _ in alerted()}


def test_stop_and_help_alert_nobody(staff, alpha_line):
    an_inbound_text(alpha_line, "STOP")
    an_inbound_text(alpha_line, "HELP", caller="+15125550148")

    assert Alert.objects.count() == 0


def test_quiet_time_silences_a_persons_reply_alerts_overnight(staff, alpha_line, bob):
    prefer(bob, quiet_start=time(21, 0), quiet_end=time(7, 0))  # business time: America/Chicago

    with time_machine.travel(datetime(2026, 3, 11, 4, 30, tzinfo=UTC), tick=False):  # 23:30 in Chicago
        an_inbound_text(alpha_line, "late night leak")
    with time_machine.travel(datetime(2026, 3, 11, 14, 0, tzinfo=UTC), tick=False):  # 09:00 in Chicago
        an_inbound_text(alpha_line, "still leaking")

    bob_alerts = Alert.objects.filter(user=bob).order_by("created_at")
    assert [a.body.splitlines()[2].strip() for a in bob_alerts] == ["still leaking"]


@pytest.mark.parametrize(
    ("start", "end", "local", "quiet"),
    [
        (time(21), time(7), time(23, 30), True),
        (time(21), time(7), time(6, 59), True),
        (time(21), time(7), time(7, 0), False),
        (time(12), time(13), time(12, 30), True),
        (time(12), time(13), time(13, 30), False),
        (None, time(7), time(3), False),
    ],
)
def test_quiet_time_is_read_on_the_business_clock(alpha, start, end, local, quiet):
    membership = Membership(quiet_start=start, quiet_end=end)
    at = datetime(2026, 7, 1, local.hour, local.minute, tzinfo=ZoneInfo("America/Chicago")).astimezone(UTC)
    assert recipients.in_quiet_time(membership, at, "America/Chicago") is quiet


def test_missed_calls_alert_nobody_by_default(staff, alpha_line):
    a_missed_call(alpha_line)

    assert Alert.objects.count() == 0


def test_a_person_who_asked_for_every_missed_call_gets_it(staff, alpha_line, mary):
    prefer(mary, alert_on_missed_call=True)

    call = a_missed_call(alpha_line, caller_name="")

    alert = Alert.objects.get(event=Alert.MISSED_CALL)
    assert (alert.user, alert.call, alert.channel) == (mary, call, Alert.EMAIL)
    assert alert.subject == "Missed call from (512) 555-0147"


def test_an_answered_call_alerts_nobody(staff, alpha_line, mary):
    prefer(mary, alert_on_missed_call=True)

    a_missed_call(alpha_line, outcome=outcomes.ANSWERED)

    assert Alert.objects.count() == 0


def test_a_call_from_a_staff_phone_alerts_nobody(staff, alpha_line, mary):
    prefer(mary, alert_on_missed_call=True)

    a_missed_call(alpha_line, caller=alpha_line.forward_to[0])

    assert Alert.objects.count() == 0


def test_a_repeated_alert_is_queued_once(staff, alpha_line):
    from textback.alerts import events

    message = an_inbound_text(alpha_line, "hello?")
    events.on_caller_message(message)

    assert Alert.objects.count() == 3
    assert OutboxItem.objects.filter(kind=ALERT_EMAIL).count() == 3
