"""The funnel from recorded events: each local day of a business, per line, as DayFigures (reports/figures.py).

(Being written: the contract is `days`, `total` and `forget` below.)"""

from __future__ import annotations

from datetime import date

from textback.reports.figures import DayFigures
from textback.reports.periods import Period

SETTLE_DAYS = 5  # a day this old has had every reply and answer window it counts; its figures are kept


def days(business, period: Period, line_id: int | None = None) -> dict[date, dict[int, DayFigures]]:
    """{local date: {line id: figures}} for every date of the period (a date with no activity maps to {})."""
    raise NotImplementedError


def total(business, period: Period, line_id: int | None = None) -> DayFigures:
    """The period's figures, all lines (or one) summed."""
    figures = DayFigures()
    for by_line in days(business, period, line_id).values():
        for one in by_line.values():
            figures.add(one)
    return figures


def forget(business, conversation_id: int) -> None:
    """Drop the kept days that counted this conversation (its outcome changed)."""
    raise NotImplementedError
