"""The send-time rule for a follow-up: send, wait or skip, with the reason."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from textback.lib import quiet
from textback.rules import followups
from textback.rules.followups import Facts, Step

CHICAGO = ZoneInfo("America/Chicago")
NOON = datetime(2026, 3, 4, 12, tzinfo=CHICAGO)
TEXAS = quiet.recipient("+15125550147")
FLORIDA = quiet.recipient("+13055550100")
WINDOW = quiet.BusinessWindow("America/Chicago")


def facts(now=NOON, number=TEXAS, **changes) -> Facts:
    return Facts(number=number, window=WINDOW, now=now, valid_until=now + timedelta(hours=4), **changes)


def test_a_follow_up_due_at_noon_goes():
    assert followups.check(facts()).action == followups.SEND


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"enabled": False}, followups.OFF),
        ({"opted_out": True}, followups.OPTED_OUT),
        ({"excluded": True}, followups.EXCLUDED),
        ({"paused": True}, followups.PAUSED),
        ({"consent_until": NOON}, followups.CASL_EXPIRED),
        ({"valid_until": NOON - timedelta(seconds=1)}, followups.TOO_LATE),
    ],
)
def test_it_skips_a_follow_up_that_may_no_longer_go(change, reason):
    verdict = followups.check(Facts(**{**facts().__dict__, **change}))
    assert (verdict.action, verdict.reason) == (followups.SKIP, reason)


def test_a_canadian_number_within_six_months_of_the_missed_call_gets_it():
    assert followups.check(facts(consent_until=NOON + timedelta(seconds=1))).action == followups.SEND


def test_a_follow_up_in_quiet_hours_waits_for_the_morning_within_its_validity():
    late = datetime(2026, 3, 4, 21, 30, tzinfo=CHICAGO)
    verdict = followups.check(Facts(TEXAS, WINDOW, late, valid_until=late + timedelta(hours=12)))
    assert (verdict.action, verdict.until) == (followups.WAIT, datetime(2026, 3, 5, 8, tzinfo=CHICAGO))


def test_a_follow_up_that_cannot_leave_quiet_hours_in_time_is_skipped_with_why():
    late = datetime(2026, 3, 4, 21, 30, tzinfo=CHICAGO)
    verdict = followups.check(Facts(TEXAS, WINDOW, late, valid_until=late + timedelta(hours=4)))
    assert (verdict.action, verdict.reason) == (followups.SKIP, followups.QUIET)
    assert "Too late in America/Chicago" in verdict.explanation


def test_a_florida_number_that_had_three_automatic_texts_today_waits_for_the_oldest_to_age():
    sent = (NOON - timedelta(hours=20), NOON - timedelta(hours=2), NOON - timedelta(hours=1))
    verdict = followups.check(Facts(FLORIDA, WINDOW, NOON, NOON + timedelta(hours=12), recent_automatic=sent))
    assert (verdict.action, verdict.until) == (followups.WAIT, NOON + timedelta(hours=4))


def test_a_texas_number_has_no_daily_cap():
    sent = tuple(NOON - timedelta(hours=h) for h in (1, 2, 3, 4))
    assert followups.check(facts(recent_automatic=sent)).action == followups.SEND


def test_the_daily_cap_past_the_validity_skips():
    sent = (NOON - timedelta(hours=1),) * 3
    verdict = followups.check(Facts(FLORIDA, WINDOW, NOON, NOON + timedelta(hours=2), recent_automatic=sent))
    assert (verdict.action, verdict.reason) == (followups.SKIP, followups.DAILY_LIMIT)


def test_the_first_due_time_moves_out_of_quiet_hours():
    planned = datetime(2026, 3, 4, 22, tzinfo=CHICAGO)
    assert followups.first_due(TEXAS, WINDOW, planned, timedelta(hours=12)) == datetime(2026, 3, 5, 8, tzinfo=CHICAGO)
    assert followups.first_due(TEXAS, WINDOW, planned, timedelta(hours=2)) == planned  # skipped when due


def test_a_business_window_of_nine_to_five_is_kept():
    window = quiet.BusinessWindow("America/Chicago", time(9), time(17))
    at = datetime(2026, 3, 4, 17, 30, tzinfo=CHICAGO)
    verdict = followups.check(Facts(TEXAS, window, at, at + timedelta(days=1)))
    assert verdict.until == datetime(2026, 3, 5, 9, tzinfo=CHICAGO).astimezone(UTC)


def test_the_default_cadence_is_an_hour_and_a_day_after_the_text_back():
    assert [s.delay for s in followups.steps_from([])] == [timedelta(hours=1), timedelta(hours=24)]


@pytest.mark.parametrize(
    ("steps", "complaint"),
    [
        ([Step(timedelta(hours=h), "Hi", timedelta(hours=1)) for h in (1, 2, 3, 4)], "at most 3"),
        ([Step(timedelta(hours=2), "Hi", timedelta(hours=1)), Step(timedelta(hours=1), "Hi", timedelta(hours=1))],
         "later than the one before"),
        ([Step(timedelta(days=8), "Hi", timedelta(hours=1))], "between 1 minute and 7 days"),
        ([Step(timedelta(hours=1), " ", timedelta(hours=1))], "write its text"),
        ([Step(timedelta(hours=1), "Hi", timedelta(days=3))], "validity"),
    ],
)  # fmt: skip
def test_a_bad_cadence_is_refused_with_what_to_fix(steps, complaint):
    with pytest.raises(ValueError, match=complaint):
        followups.check_steps(tuple(steps))


def test_a_stored_cadence_reads_back_as_it_was_saved():
    steps = (Step(timedelta(minutes=90), "Hi {business}", timedelta(hours=3)),)
    assert followups.steps_from(followups.stored(steps)) == steps
