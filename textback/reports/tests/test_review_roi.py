"""Review of issue 8: the ROI calculator pre-filled from measured data must reproduce what was measured."""

from collections import Counter
from decimal import Decimal

from textback.reports import roi
from textback.reports.figures import DayFigures


def test_measured_prefill_with_a_carrier_forwarded_line_reproduces_the_missed_calls():
    """A business with a forward-and-screen line (60 calls, 20 missed) and a carrier-forwarding line (40 calls, all
    missed: it only ever sees missed ones). 60 calls were missed in the 30 days."""
    f = DayFigures(calls=100, answered=40, missed=Counter({"no_answer": 60}), measured_calls=60, measured_missed=20)

    starts = roi.prefill("plumbing", None, f, missed_only=False)
    result = roi.calculate(*(float(starts[name].value) for name in roi.INPUTS))

    # found: monthly calls 100 (every line) × miss rate 33.3 % (the measured line only) = 33 missed calls
    assert round(result.missed) == 60


def test_the_mixed_prefill_says_what_it_counted():
    f = DayFigures(calls=100, answered=40, missed=Counter({"no_answer": 60}), measured_calls=60, measured_missed=20)

    starts = roi.prefill("plumbing", None, f, missed_only=False)

    assert (starts["monthly_calls"].value, starts["miss_rate"].value) == (100, 60)
    assert starts["monthly_calls"].kind == starts["miss_rate"].kind == "measured"
    assert "60 calls on lines that see every call + 40 missed on lines that see only missed calls" in (
        starts["monthly_calls"].label
    )
    assert "60 of 100 calls seen missed; 40 on lines that see only missed calls, so at least this" in (
        starts["miss_rate"].label
    )


def test_a_business_whose_lines_all_see_every_call_keeps_the_plain_measured_labels():
    f = DayFigures(calls=60, answered=40, missed=Counter({"no_answer": 20}), measured_calls=60, measured_missed=20)

    starts = roi.prefill("plumbing", None, f, missed_only=False)

    assert (starts["monthly_calls"].value, starts["miss_rate"].value) == (60, Decimal("33.3"))
    assert starts["miss_rate"].label == "measured: last 30 days (20 of 60 calls missed)"
