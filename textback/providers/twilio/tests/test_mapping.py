"""Twilio's call events onto textback's outcomes: every row of the table (telephony-facts §1)."""

import pytest

from textback.calls.outcomes import ANSWERED, BUSY, CALLER_HUNG_UP, FAILED, NO_ANSWER, SCREENED_OUT
from textback.providers.models import Line
from textback.providers.twilio.mapping import child_outcome, dial_outcome, parent_outcome

DIAL_STATUSES = ("completed", "answered", "busy", "no-answer", "failed", "canceled")
PARENT_STILL_THERE = ("in-progress", "ringing")
PARENT_GONE = ("completed", "canceled", "no-answer", "busy", "failed")  # any terminal status: the caller left

# (DialCallStatus, parent CallStatus) -> outcome when no phone picked up and Twilio bridged nothing.
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
    assert dial_outcome(dial_status, parent_status, accepted=False, bridged=False, prompted=False) == expected
    assert dial_outcome(dial_status, parent_status, accepted=False, bridged=None, prompted=False) == expected


@pytest.mark.parametrize("dial_status", DIAL_STATUSES)
@pytest.mark.parametrize("parent_status", PARENT_STILL_THERE + PARENT_GONE)
@pytest.mark.parametrize("accepted, bridged", [(False, True), (True, True), (True, None)])
def test_a_dial_twilio_bridged_or_someone_accepted_without_word_from_twilio_is_answered(
    dial_status, parent_status, accepted, bridged
):
    assert dial_outcome(dial_status, parent_status, accepted=accepted, bridged=bridged, prompted=True) == ANSWERED


@pytest.mark.parametrize("dial_status", DIAL_STATUSES)
def test_twilios_word_that_nothing_was_bridged_wins_over_a_key_press(dial_status):
    """Pressed 1 as the caller hung up: DialBridged=false says they never spoke."""
    assert dial_outcome(dial_status, "in-progress", accepted=True, bridged=False, prompted=True) != ANSWERED


@pytest.mark.parametrize("dial_status", ["completed", "answered", "no-answer", "canceled"])
@pytest.mark.parametrize("bridged", [False, None])
def test_a_phone_that_heard_the_prompt_and_did_not_accept_screened_the_call_out(dial_status, bridged):
    """What Twilio reports when the whisper hangs up unanswered is undocumented: our own evidence decides."""
    expected = CALLER_HUNG_UP if dial_status == "canceled" else SCREENED_OUT
    assert dial_outcome(dial_status, "in-progress", accepted=False, bridged=bridged, prompted=True) == expected


@pytest.mark.parametrize("parent_status", PARENT_GONE)
def test_a_caller_who_hung_up_during_the_prompt_hung_up(parent_status):
    assert dial_outcome("completed", parent_status, accepted=False, bridged=False, prompted=True) == CALLER_HUNG_UP


def test_the_table_covers_every_dial_status_with_the_caller_present_and_gone():
    covered = {(d, p) for d, p, _ in DIAL_TABLE}
    assert covered == {(d, p) for d in DIAL_STATUSES for p in PARENT_STILL_THERE + PARENT_GONE}


def test_a_completed_dial_without_a_key_press_is_never_answered():
    """Twilio says "completed" when a cell phone's own voicemail picks up (telephony-facts §1.d)."""
    assert dial_outcome("completed", "in-progress", accepted=False, bridged=False, prompted=False) != ANSWERED


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
    # With screening (answerOnBridge), the parent is never answered while it rings: a terminal status
    # before any phone accepted means the caller left.
    (Line.FORWARD_SCREEN, "completed", CALLER_HUNG_UP),
    (Line.FORWARD_SCREEN, "canceled", CALLER_HUNG_UP),
    (Line.FORWARD_SCREEN, "busy", BUSY),
    (Line.FORWARD_SCREEN, "no-answer", CALLER_HUNG_UP),
    (Line.FORWARD_SCREEN, "failed", FAILED),
    # Carrier forwarding: only missed calls reach the textback number.
    *[(Line.CARRIER_FORWARD, s, NO_ANSWER) for s in TERMINAL],
]


@pytest.mark.parametrize("mode, status, expected", PARENT_TABLE)
def test_a_parent_status_callback_maps_per_call_mode(mode, status, expected):
    assert parent_outcome(status, mode, accepted=False) == expected


@pytest.mark.parametrize("status", ["completed", "canceled", "no-answer"])
def test_with_screening_a_call_that_ended_after_a_phone_heard_the_prompt_was_screened_out(status):
    """The <Dial> action was lost; a phone had picked up (a cell's voicemail) and nobody accepted."""
    assert parent_outcome(status, Line.FORWARD_SCREEN, accepted=False, prompted=True) == SCREENED_OUT


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
