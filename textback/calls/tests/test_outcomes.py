"""The call-outcome state machine every provider maps onto."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from textback.calls import outcomes
from textback.calls.outcomes import (
    ANSWERED,
    BUSY,
    CALLER_HUNG_UP,
    FAILED,
    NO_ANSWER,
    OUTCOMES,
    SCREENED_OUT,
    VOICEMAIL,
    refine,
)

# How specific each report is, from ARCHITECTURE §3 and the module's contract, written out here
# so that a change to the ranking in outcomes.py has to be a deliberate one.
SPECIFICITY = {CALLER_HUNG_UP: 1, NO_ANSWER: 2, BUSY: 2, FAILED: 2, SCREENED_OUT: 2, VOICEMAIL: 3, ANSWERED: 4}
SPECIFIC_MISSES = (NO_ANSWER, BUSY, FAILED, SCREENED_OUT)


def rank(outcome: str | None) -> int:
    return 0 if outcome is None else SPECIFICITY[outcome]


def apply_all(reports, start=None):
    current = start
    for reported in reports:
        current = refine(current, reported)
    return current


def test_every_outcome_has_a_rank_and_a_label():
    assert set(OUTCOMES) == set(SPECIFICITY) == set(outcomes.LABELS)


@pytest.mark.parametrize("reported", OUTCOMES)
def test_the_first_report_sets_the_outcome(reported):
    assert refine(None, reported) == reported


@pytest.mark.parametrize("current", [None, *OUTCOMES])
def test_a_report_without_an_outcome_changes_nothing(current):
    assert refine(current, None) == current


@pytest.mark.parametrize("reported", OUTCOMES)
def test_answered_is_final(reported):
    assert refine(ANSWERED, reported) == ANSWERED


@pytest.mark.parametrize("current", [o for o in OUTCOMES if o != ANSWERED])
def test_answered_wins_over_any_missed_report(current):
    assert refine(current, ANSWERED) == ANSWERED


def test_a_voicemail_beats_no_answer():
    assert refine(NO_ANSWER, VOICEMAIL) == VOICEMAIL
    assert refine(VOICEMAIL, NO_ANSWER) == VOICEMAIL


@pytest.mark.parametrize("specific", SPECIFIC_MISSES)
def test_a_specific_miss_replaces_caller_hung_up(specific):
    assert refine(CALLER_HUNG_UP, specific) == specific
    assert refine(specific, CALLER_HUNG_UP) == specific


@pytest.mark.parametrize("first", SPECIFIC_MISSES)
@pytest.mark.parametrize("second", SPECIFIC_MISSES)
def test_equally_specific_reports_keep_the_first(first, second):
    assert refine(first, second) == first


@pytest.mark.parametrize("current", [None, *OUTCOMES])
def test_an_unknown_outcome_is_refused(current):
    with pytest.raises(ValueError, match="unknown call outcome 'ringing'"):
        refine(current, "ringing")


def test_only_answered_is_not_missed():
    assert [o for o in OUTCOMES if not outcomes.is_missed(o)] == [ANSWERED]
    assert outcomes.is_missed(None) is False


def test_by_default_every_missed_outcome_gets_a_text():
    assert set(outcomes.DEFAULT_TEXTBACK_OUTCOMES) == set(OUTCOMES) - {ANSWERED}


reports = st.lists(st.one_of(st.none(), st.sampled_from(OUTCOMES)), max_size=12)


@given(st.one_of(st.none(), st.sampled_from(OUTCOMES)), reports)
def test_applying_reports_never_lowers_the_rank(start, sequence):
    current = start
    for reported in sequence:
        after = refine(current, reported)
        assert rank(after) >= rank(current)
        assert after in (current, reported)
        current = after


@given(reports)
def test_the_final_outcome_is_one_of_the_most_specific_reports(sequence):
    final = apply_all(sequence)
    reported = [o for o in sequence if o is not None]
    if not reported:
        assert final is None
    else:
        top = max(rank(o) for o in reported)
        assert rank(final) == top
        assert final == next(o for o in reported if rank(o) == top)  # the first of them


@given(st.lists(st.sampled_from(OUTCOMES), max_size=10), st.randoms(use_true_random=False))
def test_once_answered_is_reported_the_order_of_reports_does_not_matter(sequence, rnd):
    sequence = [*sequence, ANSWERED]
    shuffled = list(sequence)
    rnd.shuffle(shuffled)

    assert apply_all(sequence) == apply_all(shuffled) == ANSWERED


@given(st.permutations([CALLER_HUNG_UP, NO_ANSWER, VOICEMAIL]))
def test_a_voicemail_after_a_missed_call_wins_in_any_order(sequence):
    assert apply_all(sequence) == VOICEMAIL
