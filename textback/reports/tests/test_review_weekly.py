"""Review of issue 8: the weekly email follows the business's time zone when it changes."""

from datetime import UTC, datetime

import pytest
import time_machine

from textback.accounts.models import Membership
from textback.accounts.settings_actions import do_update_business
from textback.reports import weekly
from textback.reports.tests.test_weekly import opt_in, pending

pytestmark = pytest.mark.django_db


def test_a_new_time_zone_moves_the_pending_monday_to_08_00_there(alpha, alice):
    Membership.objects.filter(user=alice, business=alpha).update(weekly_summary=False)
    alice.email = "alice@example.com"
    alice.save()
    with time_machine.travel(datetime(2026, 11, 25, 18, 0, tzinfo=UTC), tick=False):  # a Wednesday
        opt_in(alice)
        assert [i.due_at for i in pending(alpha)] == [datetime(2026, 11, 30, 14, 0, tzinfo=UTC)]  # 08:00 Chicago
        do_update_business(alpha, {"time_zone": "Australia/Sydney"})

    # Monday Nov 30, 08:00 in Sydney (UTC+11) is Sunday Nov 29, 21:00 UTC. found: still 14:00 UTC, i.e. Tuesday
    # 01:00 in Sydney, and its week is then read in Sydney's days.
    assert [i.due_at for i in pending(alpha)] == [
        weekly.next_run(datetime(2026, 11, 25, 18, 0, tzinfo=UTC), "Australia/Sydney")
    ]


def test_a_time_zone_changed_there_and_back_leaves_one_monday_in_the_zone_it_ended_in(alpha, alice):
    Membership.objects.filter(user=alice, business=alpha).update(weekly_summary=False)
    alice.email = "alice@example.com"
    alice.save()
    with time_machine.travel(datetime(2026, 11, 25, 18, 0, tzinfo=UTC), tick=False):
        opt_in(alice)
        do_update_business(alpha, {"time_zone": "Australia/Sydney"})
        do_update_business(alpha, {"time_zone": "America/Chicago"})

    assert [i.due_at for i in pending(alpha)] == [datetime(2026, 11, 30, 14, 0, tzinfo=UTC)]


def test_a_time_zone_change_queues_no_monday_when_nobody_asked_for_the_mail(alpha):
    with time_machine.travel(datetime(2026, 11, 25, 18, 0, tzinfo=UTC), tick=False):
        do_update_business(alpha, {"time_zone": "Australia/Sydney"})

    assert pending(alpha) == []
