"""The right first text: which situation a missed call is in, the template it uses, and why."""

from datetime import UTC, date, datetime, time

import pytest
import time_machine
from django.urls import reverse

from textback.accounts.models import OpeningHours
from textback.calls.models import Call
from textback.lib.hours import Closure, Schedule, Span
from textback.messaging.models import Contact, Message
from textback.rules import situation
from textback.rules.models import Closure as ClosureRow
from textback.rules.situation import CallSituation, choose
from textback.testing import a_missed_call, page_text

CHICAGO = "America/Chicago"
WEEKDAYS = Schedule(tuple(Span(d, time(8), time(17)) for d in range(5)), CHICAGO, (), "US")
TUESDAY_10AM = datetime(2026, 12, 8, 16, tzinfo=UTC)  # 10 AM in Chicago
TUESDAY_6AM = datetime(2026, 12, 8, 12, tzinfo=UTC)
TUESDAY_7PM = datetime(2026, 12, 9, 1, tzinfo=UTC)
SUNDAY_NOON = datetime(2026, 12, 13, 18, tzinfo=UTC)
CHRISTMAS_NOON = datetime(2026, 12, 25, 18, tzinfo=UTC)


def chosen(at, schedule=WEEKDAYS, **facts):
    found = choose(CallSituation(ended_at=at, **facts), schedule)
    return found.variant, found.reason


def test_a_call_in_opening_hours_gets_the_business_hours_text():
    assert chosen(TUESDAY_10AM) == (situation.BUSINESS_HOURS, "open")


def test_a_call_before_opening_says_when_it_opens():
    assert chosen(TUESDAY_6AM) == (situation.AFTER_HOURS, "after hours: opens at 8 AM")
    assert chosen(TUESDAY_7PM) == (situation.AFTER_HOURS, "after hours: opens tomorrow at 8 AM")


def test_a_call_on_a_day_without_hours_says_which_days_are_closed():
    assert chosen(SUNDAY_NOON) == (situation.AFTER_HOURS, "after hours: closed Sundays")


def test_a_public_holiday_gets_the_holiday_text_with_its_name():
    assert chosen(CHRISTMAS_NOON) == (situation.WEEKEND_HOLIDAY, "holiday: Christmas Day")


def test_a_closure_gets_the_holiday_text_with_its_label():
    closed = Schedule(WEEKDAYS.spans, CHICAGO, (Closure(date(2026, 12, 8), date(2026, 12, 8), "Staff training"),))
    assert chosen(TUESDAY_10AM, closed) == (situation.WEEKEND_HOLIDAY, "closed: Staff training")


def test_a_voicemail_wins_over_the_hours_and_says_so():
    assert chosen(TUESDAY_10AM, voicemail=True) == (situation.VOICEMAIL, "the caller left a voicemail")
    assert chosen(SUNDAY_NOON, voicemail=True)[0] == situation.VOICEMAIL


def test_emergency_triage_after_hours_wins_over_everything_when_switched_on():
    assert chosen(TUESDAY_7PM, emergency_triage=True, voicemail=True, known_caller=True)[0] == (
        situation.EMERGENCY_TRIAGE
    )
    assert chosen(TUESDAY_10AM, emergency_triage=True)[0] == situation.BUSINESS_HOURS


def test_a_repeat_caller_is_recognised_in_opening_hours_and_told_the_hours_after_them():
    assert chosen(TUESDAY_10AM, known_caller=True)[0] == situation.REPEAT_CALLER
    assert chosen(SUNDAY_NOON, known_caller=True) == (
        situation.AFTER_HOURS, "after hours: closed Sundays; a repeat caller"
    )  # fmt: skip


def test_without_hours_every_call_is_in_business_hours():
    assert chosen(CHRISTMAS_NOON, None) == (situation.BUSINESS_HOURS, "no hours set")


# --- through the missed-call path ------------------------------------------------------------------


@pytest.fixture
def weekday_hours(alpha):
    OpeningHours.objects.bulk_create(
        OpeningHours(business=alpha, weekday=d, opens=time(8), closes=time(17)) for d in range(5)
    )


def textback() -> Message:
    return Message.objects.get(purpose=Message.TEXTBACK)


def test_an_after_hours_call_gets_the_after_hours_text_and_the_call_records_why(alpha_sandbox_line, weekday_hours):
    with time_machine.travel(SUNDAY_NOON, tick=False):
        call = a_missed_call(alpha_sandbox_line)
    assert (call.variant, call.variant_reason) == (situation.AFTER_HOURS, "after hours: closed Sundays")
    assert textback().body.startswith("AlphaPlumbing here, sorry we missed your call. We're closed now and open "
                                      "tomorrow at 8 AM.")  # fmt: skip


def test_a_blank_holiday_template_falls_back_to_the_after_hours_one(alpha_sandbox_line, weekday_hours):
    alpha_sandbox_line.holiday_template = ""
    alpha_sandbox_line.save()
    with time_machine.travel(CHRISTMAS_NOON, tick=False):
        call = a_missed_call(alpha_sandbox_line)
    assert call.variant == situation.AFTER_HOURS
    assert call.variant_reason == "holiday: Christmas Day (no holiday or closure text set)"
    assert "We're closed now and open Monday at 8 AM" in textback().body


def test_a_line_with_its_own_hours_uses_them_not_the_business_s(alpha_sandbox_line, weekday_hours):
    alpha_sandbox_line.own_hours, alpha_sandbox_line.hours = True, [[6, "10:00", "14:00"]]  # Sundays only
    alpha_sandbox_line.save()
    with time_machine.travel(SUNDAY_NOON, tick=False):
        call = a_missed_call(alpha_sandbox_line)
    assert call.variant == situation.BUSINESS_HOURS


def test_a_closure_of_another_line_does_not_close_this_one(alpha, alpha_sandbox_line, alpha_line, weekday_hours):
    ClosureRow.objects.create(business=alpha, line=alpha_line, first_day=date(2026, 12, 8), last_day=date(2026, 12, 8))
    with time_machine.travel(TUESDAY_10AM, tick=False):
        call = a_missed_call(alpha_sandbox_line)
    assert call.variant == situation.BUSINESS_HOURS
    ClosureRow.objects.create(business=alpha, first_day=date(2026, 12, 8), last_day=date(2026, 12, 8), label="Flood")
    with time_machine.travel(TUESDAY_10AM, tick=False):
        call = a_missed_call(alpha_sandbox_line, caller="+15125550148")
    assert call.variant_reason == "closed: Flood"


def test_a_contact_on_file_gets_the_repeat_caller_text_by_name(alpha, alpha_sandbox_line, weekday_hours):
    Contact.objects.create(business=alpha, number="+15125550147", name="Dana Lee")
    with time_machine.travel(TUESDAY_10AM, tick=False):
        call = a_missed_call(alpha_sandbox_line)
    assert call.variant == situation.REPEAT_CALLER
    assert textback().body.startswith("Hi Dana, it's AlphaPlumbing again, Mike here")


def test_the_call_page_shows_the_variant_and_why(as_alice, alpha_sandbox_line, weekday_hours):
    with time_machine.travel(SUNDAY_NOON, tick=False):
        call = a_missed_call(alpha_sandbox_line)
    page = page_text(as_alice.get(reverse("call", args=["alpha", call.pk])))
    assert '<dt>Variant</dt><dd class="variant">after hours — closed Sundays</dd>' in page


def test_a_skipped_call_records_no_variant(alpha, alpha_sandbox_line, weekday_hours):
    alpha_sandbox_line.textback_enabled = False
    alpha_sandbox_line.save()
    call = a_missed_call(alpha_sandbox_line)
    assert call.decision == Call.SKIP and call.variant == ""
