"""The seeds' industry benchmarks, per trade: what the ROI calculator starts from before a business has 30 days
of its own data. Pure data and lookups; each figure carries its range and where it comes from, so the page
can label it as a benchmark.

Sources (the product's seed documents):
- "ROI Math by Industry" (seed 001): average ticket, calls a month and miss rate per industry.
- "The ROI Math" (seed 000): 50–500 calls a month, a 30–40 % miss rate, a 50–70 % text-back reply rate and
  25–35 % of replies booked; used for the trades the industry table has no row for.
- Benchmarks (seed 003): a 25–55 % booking rate of recovered conversations, quoted beside 000's.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Benchmark:
    """One input's benchmark: the pre-fill (the middle of the range), the range and its source."""

    value: Decimal
    low: Decimal
    high: Decimal
    source: str


def _mid(low: str, high: str, source: str) -> Benchmark:
    lo, hi = Decimal(low), Decimal(high)
    return Benchmark((lo + hi) / 2, lo, hi, source)


def _one(value: str, source: str) -> Benchmark:
    v = Decimal(value)
    return Benchmark(v, v, v, source)


BY_INDUSTRY = "the industry table, ROI Math by Industry"
GENERAL = "The ROI Math, service businesses"

# trade → (average ticket $, calls a month, miss rate): seed 001's table, one figure per industry.
_INDUSTRY = {
    "dental": ("300", "800", "0.25"),
    "hvac": ("400", "500", "0.30"),
    "plumbing": ("350", "600", "0.35"),
    "roofing": ("1200", "200", "0.40"),
    "auto_detailing": ("150", "300", "0.25"),
    "salon": ("80", "1000", "0.30"),
    "medical": ("250", "1200", "0.20"),
}

# Every trade: the reply rate and the booking rate are not per industry in the seeds.
REPLY_RATE = _mid("0.50", "0.70", GENERAL)
BOOKING_RATE = _mid("0.25", "0.35", f"{GENERAL}; 25–55 % in the benchmarks guide")
SOFTWARE_MONTHLY = _mid("30", "300", GENERAL)


def for_trade(trade: str) -> dict[str, Benchmark]:
    """The benchmark of each calculator input for a trade (Costs.TRADES); a trade the industry table lacks
    (electrical, other) gets the general service-business ranges."""
    if trade in _INDUSTRY:
        ticket, calls, miss = _INDUSTRY[trade]
        figures = {
            "average_ticket": _one(ticket, BY_INDUSTRY),
            "monthly_calls": _one(calls, BY_INDUSTRY),
            "miss_rate": _one(miss, BY_INDUSTRY),
        }
    else:
        figures = {
            "average_ticket": _one("200", "the seeds' worked example of a $200-a-job business"),
            "monthly_calls": _mid("50", "500", GENERAL),
            "miss_rate": _mid("0.30", "0.40", GENERAL),
        }
    return {**figures, "reply_rate": REPLY_RATE, "booking_rate": BOOKING_RATE, "software_monthly": SOFTWARE_MONTHLY}
