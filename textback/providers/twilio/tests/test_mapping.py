"""Twilio's call events onto textback's outcomes: every row of the table (telephony-facts §1)."""

import pytest

from textback.calls.outcomes import ANSWERED, BUSY, CALLER_HUNG_UP, FAILED, NO_ANSWER, SCREENED_OUT
from textback.providers.models import Line
from textback.providers.twilio.mapping import child_outcome, dial_outcome, parent_outcome

DIAL_STATUSES = ("completed", "answered", "busy", "no-answer", "failed", "canceled")
PARENT_STILL_THERE = ("in-progress", "ringing")
PARENT_GONE = ("completed", "canceled")

# (DialCallStatus, parent CallStatus) -> outcome when nobody pressed 1 and Twilio bridged nothing.
DIAL_TABLE = [
    # The caller is still on the line when the <Dial> action arrives.
    *[
        (d, p, o)
        for p in PARENT_STILL_THERE
        for d, o in [
            ("no-answer", NO_ANSWER),
            ("busy", BUSY),
            ("failed", FAILED),
            ("canceled", CALLER_HUNG_UP),
            ("completed", SCREENED_OUT),  # a cell's voicemail picked up and nobody pressed 1
            ("answered", SCREENED_OUT),
        ]
    ],
    # The caller hung up while it rang: the parent call has already ended.
    *[
        (d, p, o)
        for p in PARENT_GONE
        for d, o in [
            ("no-answer", CALLER_HUNG_UP),
            ("canceled", CALLER_HUNG_UP),
            ("completed", CALLER_HUNG_UP),
            ("answered", CALLER_HUNG_UP),
            ("busy", BUSY),  # the staff phone said busy before the caller gave up
            ("failed", FAILED),
        ]
    ],
]


@pytest.mark.parametrize("dial_status, parent_status, expected", DIAL_TABLE)
def test_a_dial_nobody_accepted_maps_to_a_missed_outcome(dial_status, parent_status, expected):
    assert dial_outcome(dial_status, parent_status, accepted=False, bridged=False) == expected


@pytest.mark.parametrize("dial_status", DIAL_STATUSES)
@pytest.mark.parametrize("parent_status", PARENT_STILL_THERE + PARENT_GONE)
@pytest.mark.parametrize("accepted, bridged", [(True, False), (False, True), (True, True)])
def test_a_dial_someone_accepted_or_twilio_bridged_is_answered(dial_status, parent_status, accepted, bridged):
    assert dial_outcome(dial_status, parent_status, accepted=accepted, bridged=bridged) == ANSWERED


def test_the_table_covers_every_dial_status_with_the_caller_present_and_gone():
    covered = {(d, p) for d, p, _ in DIAL_TABLE}
    assert covered == {(d, p) for d in DIAL_STATUSES for p in PARENT_STILL_THERE + PARENT_GONE}


def test_a_completed_dial_without_a_key_press_is_never_answered():
    """Twilio says "completed" when a cell phone's own voicemail picks up (telephony-facts §1.d)."""
    assert dial_outcome("completed", "in-progress", accepted=False, bridged=False) != ANSWERED


# --- the parent call's status callback, per call mode ----------------------------------------

TERMINAL = ("completed", "busy", "no-answer", "failed", "canceled")
NOT_TERMINAL = ("queued", "initiated", "ringing", "in-progress")
MODES = (Line.FORWARD_SCREEN, Line.CARRIER_FORWARD, Line.STATUS_ONLY, Line.GENERIC_PBX)

PARENT_TABLE = [
    # Status only, without reports from the dialled phones: "completed" cannot be told from answered.
    (Line.STATUS_ONLY, "completed", ANSWERED),
    (Line.STATUS_ONLY, "busy", BUSY),
    (Line.STATUS_ONLY, "no-answer", NO_ANSWER),
    (Line.STATUS_ONLY, "failed", FAILED),
    (Line.STATUS_ONLY, "canceled", CALLER_HUNG_UP),
    # With screening, the parent is answered by our TwiML: "completed" says the caller left.
    (Line.FORWARD_SCREEN, "completed", CALLER_HUNG_UP),
    (Line.FORWARD_SCREEN, "canceled", CALLER_HUNG_UP),
    (Line.FORWARD_SCREEN, "busy", BUSY),
    (Line.FORWARD_SCREEN, "no-answer", NO_ANSWER),
    (Line.FORWARD_SCREEN, "failed", FAILED),
    # Carrier forwarding: only missed calls reach the textback number.
    *[(Line.CARRIER_FORWARD, s, NO_ANSWER) for s in TERMINAL],
]


@pytest.mark.parametrize("mode, status, expected", PARENT_TABLE)
def test_a_parent_status_callback_maps_per_call_mode(mode, status, expected):
    assert parent_outcome(status, mode, accepted=False) == expected


def test_in_status_only_mode_completed_is_missed_once_the_dialled_phones_report_and_none_answered():
    assert parent_outcome("completed", Line.STATUS_ONLY, accepted=False, legs_seen=2) == NO_ANSWER
    assert parent_outcome("busy", Line.STATUS_ONLY, accepted=False, legs_seen=2) == BUSY


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("status", NOT_TERMINAL)
def test_a_parent_status_that_is_not_the_end_says_nothing(mode, status):
    assert parent_outcome(status, mode, accepted=False) is None
    assert parent_outcome(status, mode, accepted=True) is None


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("status", TERMINAL)
def test_an_accepted_call_ends_answered_in_every_mode(mode, status):
    assert parent_outcome(status, mode, accepted=True) == ANSWERED


@pytest.mark.parametrize("status", TERMINAL)
def test_with_screening_a_parent_status_alone_never_counts_as_answered(status):
    assert parent_outcome(status, Line.FORWARD_SCREEN, accepted=False) != ANSWERED


# --- a dialled leg's status callback (status-only mode) ---------------------------------------


@pytest.mark.parametrize(
    "status, expected",
    [
        ("completed", ANSWERED),
        ("busy", BUSY),
        ("no-answer", NO_ANSWER),
        ("failed", FAILED),
        ("canceled", None),  # another phone answered, or the caller hung up: the parent says which
        ("queued", None),
        ("initiated", None),
        ("ringing", None),
        ("in-progress", ANSWERED),  # the "answered" event
    ],
)
def test_a_dialled_legs_status_maps_to_an_outcome_or_nothing(status, expected):
    assert child_outcome(status) == expected
