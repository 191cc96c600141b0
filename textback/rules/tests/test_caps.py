"""Caps on a business's automatic texts: the windows (pure, across DST), and the caps at work on missed calls."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from textback.accounts.models import AutoTextTally
from textback.alerts.models import Alert
from textback.calls import decide
from textback.calls.models import Call
from textback.messaging.models import Message
from textback.rules import caps
from textback.testing import a_missed_call, a_staff_phone

ZONES = ["America/Chicago", "America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata",
         "America/Santiago", "Pacific/Chatham", "UTC"]  # fmt: skip
MOMENTS = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
)  # fmt: skip


@given(MOMENTS, st.sampled_from(ZONES))
def test_a_moment_falls_in_its_day_which_starts_at_the_businesss_midnight(now, zone):
    day = caps.day_of(now, zone)
    local = day.astimezone(ZoneInfo(zone))

    assert day <= now < caps.next_day(day, zone)
    assert local.date() == now.astimezone(ZoneInfo(zone)).date()
    assert (local.hour, local.minute) <= (1, 0)  # midnight, or the first moment after a DST jump at midnight


@given(MOMENTS, st.sampled_from(ZONES))
def test_a_day_is_23_to_25_hours_long_and_the_next_day_follows_without_a_gap(now, zone):
    day = caps.day_of(now, zone)
    following = caps.next_day(day, zone)

    assert timedelta(hours=23) <= following - day <= timedelta(hours=25)
    assert caps.day_of(following, zone) == following
    assert caps.day_of(following - timedelta(microseconds=1), zone) == day


@given(MOMENTS)
def test_a_moment_falls_in_its_clock_hour(now):
    hour = caps.hour_of(now)

    assert hour <= now < hour + timedelta(hours=1)
    assert (hour.minute, hour.second, hour.microsecond) == (0, 0, 0)


def test_a_dst_spring_forward_day_in_chicago_is_23_hours():
    day = caps.day_of(datetime(2026, 3, 8, 18, 0, tzinfo=UTC), "America/Chicago")

    assert day == datetime(2026, 3, 8, 6, 0, tzinfo=UTC)
    assert caps.next_day(day, "America/Chicago") - day == timedelta(hours=23)


def test_only_the_first_call_stopped_in_a_window_alerts():
    assert [caps.first_skip(n) for n in (1, 2, 3)] == [True, False, False]


# --- the caps at work -----------------------------------------------------------------------

pytestmark = pytest.mark.django_db(transaction=False)
T0 = datetime(2026, 3, 2, 15, 5, tzinfo=UTC)  # 9:05 AM in Chicago
CALLERS = [f"+1512555{n:04d}" for n in range(2000, 2100)]


def texts_back() -> int:
    return Message.objects.filter(purpose=Message.TEXTBACK).count()


def cap_alerts():
    return Alert.objects.filter(event="text_cap").order_by("pk")


@pytest.fixture
def capped(alpha, alpha_line, alice):
    a_staff_phone(alice, "+15125550188", alert_sms=True)
    alpha.texts_per_hour, alpha.texts_per_day = 3, 5
    alpha.save()
    return alpha_line


def test_new_businesses_have_generous_caps(alpha):
    assert (alpha.texts_per_hour, alpha.texts_per_day) == (200, 1000)


def test_a_call_past_the_hourly_cap_is_not_texted_and_says_why(capped):
    with time_machine.travel(T0, tick=False):
        calls = [a_missed_call(capped, caller) for caller in CALLERS[:4]]

    assert [c.decision_reason for c in calls] == [decide.TEXT_MISSED_CALL] * 3 + [decide.HOURLY_CAP]
    assert texts_back() == 3


def test_the_owner_is_alerted_once_when_the_hourly_cap_is_first_hit(capped, alice, bob):
    with time_machine.travel(T0, tick=False):
        for caller in CALLERS[:6]:
            a_missed_call(capped, caller)

    alerts = list(cap_alerts())
    assert [(a.channel, a.to) for a in alerts] == [(Alert.EMAIL, alice.email), (Alert.SMS, "+15125550188")]
    assert "reached its cap of 3 automatic texts this hour" in alerts[1].body
    assert "until 10:00 AM" in alerts[1].body
    hour = AutoTextTally.objects.filter(period=AutoTextTally.HOUR)
    assert (sum(t.texts for t in hour), sum(t.skipped for t in hour)) == (3, 3)


def test_the_next_hour_texts_again_and_a_new_hit_alerts_again(capped):
    with time_machine.travel(T0, tick=False):
        for caller in CALLERS[:4]:
            a_missed_call(capped, caller)
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        calls = [a_missed_call(capped, caller) for caller in CALLERS[4:7]]

    assert [c.decision_reason for c in calls] == [decide.TEXT_MISSED_CALL, decide.TEXT_MISSED_CALL, decide.DAILY_CAP]
    assert texts_back() == 5
    assert cap_alerts().count() == 4  # email + phone for the hour, then for the day
    assert "today" in cap_alerts().last().body and "until 12:00 AM" in cap_alerts().last().body


def test_the_day_starts_again_at_the_businesss_midnight_not_utcs(capped, alpha):
    alpha.texts_per_hour = 0
    alpha.save()
    late_evening = datetime(2026, 3, 3, 4, 30, tzinfo=UTC)  # 10:30 PM in Chicago, the next day in UTC
    with time_machine.travel(late_evening - timedelta(hours=5), tick=False):
        for caller in CALLERS[:5]:
            a_missed_call(capped, caller)
    with time_machine.travel(late_evening, tick=False):
        still_today = a_missed_call(capped, CALLERS[5])
    with time_machine.travel(datetime(2026, 3, 3, 6, 1, tzinfo=UTC), tick=False):  # 12:01 AM in Chicago
        tomorrow = a_missed_call(capped, CALLERS[6])

    assert (still_today.decision_reason, tomorrow.decision_reason) == (decide.DAILY_CAP, decide.TEXT_MISSED_CALL)


def test_a_call_skipped_for_its_own_reason_does_not_count_against_the_cap(capped):
    with time_machine.travel(T0, tick=False):
        a_missed_call(capped, CALLERS[0])
        again = a_missed_call(capped, CALLERS[0])  # the cool-down
        toll_free = a_missed_call(capped, "+18005550123")

    assert (again.decision_reason, toll_free.decision_reason) == (decide.COOLDOWN, decide.TOLL_FREE_NUMBER)
    assert sum(AutoTextTally.objects.filter(period=AutoTextTally.HOUR).values_list("texts", flat=True)) == 1


def test_caps_are_per_business(capped, beta_line):
    with time_machine.travel(T0, tick=False):
        for caller in CALLERS[:3]:
            a_missed_call(capped, caller)
        other = a_missed_call(beta_line, CALLERS[10])

    assert other.decision == Call.TEXT
    assert not cap_alerts().filter(business=beta_line.business).exists()


def test_the_cap_check_costs_no_extra_query_per_call(capped):
    """The counters are read in the caller-facts query and written in one statement with the text-back."""
    with time_machine.travel(T0, tick=False):
        a_missed_call(capped, CALLERS[0])
        with CaptureQueriesContext(connection) as seen:
            a_missed_call(capped, CALLERS[1])
    tally_statements = [q["sql"] for q in seen.captured_queries if "accounts_autotexttally" in q["sql"]]
    assert len(tally_statements) == 2  # read with the caller's facts; both windows counted in one INSERT
    assert any("messaging_excludednumber" in sql for sql in tally_statements)
