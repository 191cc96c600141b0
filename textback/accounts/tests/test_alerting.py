"""Who is alerted about a conversation: the assignee, else the line's staff, each on the channels and
at the times they chose."""

from datetime import UTC, datetime, time

import pytest

from textback.accounts import alerting
from textback.accounts.models import Membership
from textback.testing import an_inbound_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(alpha_line, alice, mary, bob):
    return an_inbound_text(alpha_line, "Is anyone there?").conversation


def members(conversation):
    return sorted(m.user.username for m in alerting.recipients_for(conversation))


def test_with_nobody_assigned_everyone_who_serves_every_line_is_alerted(conversation):
    assert members(conversation) == ["alice@alpha.example", "bob@alpha.example", "mary@alpha.example"]


def test_with_nobody_assigned_people_who_serve_other_lines_only_are_not_alerted(
    conversation, bob, mary, alpha_line, alpha_sandbox_line
):
    Membership.objects.get(user=bob).lines.set([alpha_sandbox_line])
    Membership.objects.get(user=mary).lines.set([alpha_line, alpha_sandbox_line])

    assert members(conversation) == ["alice@alpha.example", "mary@alpha.example"]


def test_the_assignee_alone_is_alerted(conversation, bob):
    conversation.assignee = bob

    assert members(conversation) == ["bob@alpha.example"]


def test_an_assignee_who_left_the_business_leaves_it_to_the_lines_staff(conversation, bob, charlie):
    conversation.assignee = charlie  # works for beta only

    assert "charlie@beta.example" not in members(conversation)
    assert "bob@alpha.example" in members(conversation)


def test_people_of_another_business_are_never_alerted(conversation, charlie):
    assert "charlie@beta.example" not in members(conversation)


def test_a_person_is_alerted_only_on_the_channels_they_switched_on(conversation, bob):
    Membership.objects.filter(user=bob).update(alert_browser=False, alert_sms=True)

    browser = [m.user for m in alerting.recipients(conversation, alerting.BROWSER)]
    sms = [m.user for m in alerting.recipients(conversation, alerting.SMS)]

    assert bob not in browser and bob in sms


def test_a_person_is_alerted_only_about_the_events_they_chose(conversation, bob):
    Membership.objects.filter(user=bob).update(alert_on_reply=False)

    assert bob not in [m.user for m in alerting.recipients(conversation, alerting.EMAIL, alerting.REPLY)]


def quiet(membership, start, end):
    membership.quiet_start, membership.quiet_end = start, end
    return membership


@pytest.mark.parametrize(
    "utc_hour, quiet_now",
    [(3, False), (4, True), (10, True), (12, False), (13, False)],  # Chicago is UTC-6 in January
)
def test_quiet_time_runs_past_midnight_in_the_business_time_zone(bob, utc_hour, quiet_now):
    membership = quiet(Membership.objects.get(user=bob), time(22), time(6))
    at = datetime(2025, 1, 15, utc_hour, tzinfo=UTC)

    assert alerting.in_quiet_time(membership, at, "America/Chicago") is quiet_now
    assert alerting.wants(membership, alerting.BROWSER, alerting.REPLY, at) is not quiet_now


def test_no_quiet_time_set_means_never_quiet(bob):
    membership = Membership.objects.get(user=bob)

    assert not alerting.in_quiet_time(membership, datetime(2025, 1, 15, 8, tzinfo=UTC), "America/Chicago")


def test_escalations_reach_people_in_quiet_time_only_when_they_opted_in(mary):
    membership = quiet(Membership.objects.get(user=mary), time(0), time(23, 59))
    at = datetime(2025, 1, 15, 18, tzinfo=UTC)

    assert not alerting.wants(membership, alerting.EMAIL, alerting.SLA, at)
    membership.escalations_in_quiet_time = True
    assert alerting.wants(membership, alerting.EMAIL, alerting.SLA, at)
    assert not alerting.wants(membership, alerting.EMAIL, alerting.REPLY, at)


@pytest.mark.parametrize(
    "utc, ends",
    [
        (datetime(2025, 1, 15, 5, tzinfo=UTC), datetime(2025, 1, 15, 12, tzinfo=UTC)),  # 23:00 Chicago → 06:00
        (datetime(2025, 1, 15, 10, tzinfo=UTC), datetime(2025, 1, 15, 12, tzinfo=UTC)),  # 04:00 → 06:00 that day
        (datetime(2025, 1, 15, 13, tzinfo=UTC), None),  # 07:00: not quiet
    ],
)
def test_quiet_time_ends_at_the_persons_end_of_quiet_time_on_the_business_clock(bob, utc, ends):
    membership = quiet(Membership.objects.get(user=bob), time(22), time(6))

    assert alerting.quiet_time_ends(membership, utc, "America/Chicago") == ends
