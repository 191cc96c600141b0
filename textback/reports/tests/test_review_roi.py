"""Review of issue 8: the ROI calculator pre-filled from measured data must reproduce what was measured."""

from collections import Counter

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
