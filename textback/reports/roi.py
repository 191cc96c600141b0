"""The ROI calculator: the seeds' formula, and what it starts from.

    recovered monthly revenue = monthly calls × miss rate × reply rate × booking rate × average ticket
    ROI = recovered monthly revenue ÷ monthly cost (software + SMS + numbers + per-call charges)

`calculate` is pure and works in floats in the same order as the page's script (reports/static/textback/
roi.js), with the same rounding (half up), so the number the form shows without JavaScript and the one the
script shows as you type are the same. `prefill` picks each input's starting value: the business's own
rates over the last 30 full local days once its first call is 30 local days old, else the seeds' benchmark
for its trade (reports/benchmarks.py); a rate that cannot be measured falls back to its benchmark, saying why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from textback.reports import benchmarks
from textback.reports.figures import DayFigures
from textback.reports.periods import Period, local_date, today

MEASURE_AFTER_DAYS = 30  # the seeds: "replace these benchmark ranges with your own 30-day data"
SEGMENTS_PER_MISSED_CALL = 3.0  # text-back, reply, one answer: the estimate until the business has its own

INPUTS = ("monthly_calls", "miss_rate", "reply_rate", "booking_rate", "average_ticket", "software_monthly")
RATES = ("miss_rate", "reply_rate", "booking_rate")  # entered and shown as percentages


def round_half_up(value: float, places: int = 0) -> float:
    """Round as the page's script does: Math.floor(x·10^n + 0.5) / 10^n."""
    scale = 10**places
    return math.floor(value * scale + 0.5) / scale


@dataclass(frozen=True)
class Extras:
    """The monthly costs besides software, from the business's costs settings (the script gets them as data)."""

    price_per_segment: float = 0.0083
    segments_per_missed_call: float = SEGMENTS_PER_MISSED_CALL
    numbers_monthly: float = 0.0  # every active line's monthly price
    per_call: float = 0.0


@dataclass(frozen=True)
class Result:
    missed: float
    replies: float
    booked: float
    revenue: float
    sms_cost: float
    monthly_cost: float
    roi: float | None  # None: nothing costs anything, so no multiple

    def shown(self) -> dict[str, str]:
        """The figures as the page prints them (and as the script prints them)."""
        return {
            "missed": f"{round_half_up(self.missed):,.0f}",
            "replies": f"{round_half_up(self.replies, 1):,.1f}",
            "booked": f"{round_half_up(self.booked, 1):,.1f}",
            "revenue": f"${round_half_up(self.revenue):,.0f}",
            "monthly_cost": f"${round_half_up(self.monthly_cost, 2):,.2f}",
            "roi": "—" if self.roi is None else f"{round_half_up(self.roi, 1):,.1f}×",
        }


def calculate(
    monthly_calls: float,
    miss_pct: float,
    reply_pct: float,
    booking_pct: float,
    average_ticket: float,
    software_monthly: float,
    extras: Extras = Extras(),
) -> Result:
    """The seeds' formula; rates are percentages (35 for 35 %)."""
    missed = monthly_calls * (miss_pct / 100)
    replies = missed * (reply_pct / 100)
    booked = replies * (booking_pct / 100)
    revenue = booked * average_ticket
    sms_cost = missed * extras.segments_per_missed_call * extras.price_per_segment
    cost = software_monthly + sms_cost + extras.numbers_monthly + monthly_calls * extras.per_call
    return Result(missed, replies, booked, revenue, sms_cost, cost, revenue / cost if cost > 0 else None)


# --- where the inputs start -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Start:
    """An input's starting value and the words beside it."""

    value: Decimal  # rates as percentages
    kind: str  # "measured", "benchmark" or "yours" (the costs settings)
    label: str  # e.g. "measured: last 30 days (41 of 63)"
    note: str = ""  # why a measured figure fell back to its benchmark


def measuring_period(first_call: datetime | None, time_zone: str, now: datetime) -> Period | None:
    """The last 30 full local days, once the first recorded call is at least 30 local days old; else None."""
    if first_call is None:
        return None
    this_day = today(time_zone, now)
    if (this_day - local_date(first_call, time_zone)).days < MEASURE_AFTER_DAYS:
        return None
    return Period(this_day - timedelta(days=MEASURE_AFTER_DAYS), this_day - timedelta(days=1))


def _pct(part: int, whole: int) -> Decimal:
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


def _plain(number: Decimal) -> str:
    """350, 1,200, 27.5: no exponent, no trailing zeros."""
    return f"{number.normalize():,f}"


def _benchmark(name: str, mark: benchmarks.Benchmark, note: str = "") -> Start:
    scale = 100 if name in RATES else 1
    value, low, high = (x * scale for x in (mark.value, mark.low, mark.high))
    unit = " %" if name in RATES else ""
    money = "$" if name in ("average_ticket", "software_monthly") else ""
    span = f"{money}{_plain(low)}" if low == high else f"{money}{_plain(low)}–{money}{_plain(high)}"
    start = value.quantize(Decimal("0.1")) if name in RATES else Decimal(_plain(value).replace(",", ""))
    return Start(start, "benchmark", f"benchmark: {span}{unit} ({mark.source})", note)


def prefill(trade: str, costs, figures: DayFigures | None, missed_only: bool = False) -> dict[str, Start]:
    """Each input's start. `figures`: the last 30 full days' (None before 30 days of data); `costs`: the
    business's Costs row (or None); `missed_only`: every line is one that sees only missed calls."""
    marks = benchmarks.for_trade(trade)
    starts = {name: _benchmark(name, mark) for name, mark in marks.items()}
    if figures is not None:
        starts.update(_measured(figures, marks, missed_only))
    if costs is not None and costs.average_ticket:
        starts["average_ticket"] = Start(costs.average_ticket, "yours", "your average ticket (costs settings)")
    if costs is not None:  # what the report's ROI counts too: textback is free, so $0 until hosting is entered
        why = (
            "your software cost (costs settings)"
            if costs.software_monthly
            else (
                "your costs settings: textback itself is free; enter what hosting it costs (paid platforms: $30–$300)"
            )
        )
        starts["software_monthly"] = Start(costs.software_monthly, "yours", why)
    return starts


LAST_30 = "measured: last 30 days"


def _measured(f: DayFigures, marks: dict, missed_only: bool) -> dict[str, Start]:
    found = {}
    if f.miss_rate is None:
        why = "miss rate not measured in this mode: textback sees only the missed calls" if missed_only else (
            "miss rate not measured: no answered or missed calls on a line that sees both")  # fmt: skip
        found["miss_rate"] = _benchmark("miss_rate", marks["miss_rate"], f"{why} ({f.missed_total} missed).")
        found["monthly_calls"] = _benchmark("monthly_calls", marks["monthly_calls"], f"{why}, so not every call.")
    elif f.measured_calls == f.calls:
        found["miss_rate"] = Start(_pct(f.measured_missed, f.measured_calls), "measured",
                                   f"{LAST_30} ({f.measured_missed} of {f.measured_calls} calls missed)")  # fmt: skip
        found["monthly_calls"] = Start(Decimal(f.calls), "measured", f"{LAST_30} ({f.calls} calls)")
    else:
        # Some lines see only missed calls (carrier forwarding, generic): every call seen there was missed and the
        # ones answered there are unknown. Both inputs come from one base, the calls seen, so calls × miss rate
        # gives back the missed calls counted (the miss rate is then a floor: answered calls there are not seen).
        elsewhere = f.missed_total - f.measured_missed
        seen = f.measured_calls + elsewhere
        found["miss_rate"] = Start(_pct(f.missed_total, seen), "measured",
                                   f"{LAST_30} ({f.missed_total} of {seen} calls seen missed; {elsewhere} on lines that "
                                   f"see only missed calls, so at least this)")  # fmt: skip
        found["monthly_calls"] = Start(Decimal(seen), "measured",
                                       f"{LAST_30} ({f.measured_calls} calls on lines that see every call + {elsewhere} "
                                       f"missed on lines that see only missed calls)")  # fmt: skip
    if f.texted:
        found["reply_rate"] = Start(_pct(f.replied, f.texted), "measured",
                                    f"{LAST_30} ({f.replied} of {f.texted} texted callers replied)")  # fmt: skip
    else:
        found["reply_rate"] = _benchmark("reply_rate", marks["reply_rate"], "Not measured yet: no text-backs sent.")
    if f.replied:
        found["booking_rate"] = Start(_pct(f.booked, f.replied), "measured",
                                      f"{LAST_30} ({f.booked} of {f.replied} replies booked)")  # fmt: skip
    else:
        found["booking_rate"] = _benchmark("booking_rate", marks["booking_rate"], "Not measured yet: no replies.")
    if f.booked:
        average = (f.revenue / f.booked).quantize(Decimal("0.01"))
        found["average_ticket"] = Start(average, "measured", f"{LAST_30} (average of {f.booked} booked jobs)")
    return found


def extras_for(costs, active_lines: int, figures: DayFigures | None) -> Extras:
    """The monthly costs besides software: SMS segments (the business's own segments per missed call once
    measured), the numbers' monthly price and any per-call charge."""
    segments = SEGMENTS_PER_MISSED_CALL
    if figures is not None and figures.missed_total:
        segments = (figures.segments_out + figures.segments_in) / figures.missed_total
    if costs is None:
        return Extras(segments_per_missed_call=segments)
    return Extras(
        price_per_segment=float(costs.price_per_segment),
        segments_per_missed_call=segments,
        numbers_monthly=float(costs.number_monthly) * active_lines,
        per_call=float(costs.per_call),
    )
