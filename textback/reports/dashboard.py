"""What the recovery dashboard shows, from a period's DayFigures: pure (no queries), so every figure, rate,
sentence and chart the page prints is tested here from hand-built days.

`build` takes {date: {line id: DayFigures}} (reports/funnel.py `days`), the previous period's total, the lines
in view and the business's costs, and returns the page's parts: the funnel's steps (each with its definition
in plain words and, for a rate, its numerator and denominator), the trends, the heat map, the speed
distributions and the SLA breaches."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from textback.calls import outcomes
from textback.calls.decide import REASONS
from textback.reports import charts, costs
from textback.reports.figures import DayFigures, percentile
from textback.reports.funnel import MEASURED_MODES
from textback.reports.periods import Period, week_of

BREACHES_SHOWN = 50
DAILY_UP_TO = 90  # longer periods trend by week

FATES = {  # skipped text-backs that were decided "yes" and then not sent
    "pending": "Waiting to be sent",
    "canceled": "Canceled before sending (a reply or an opt-out made it moot)",
    "expired": "Expired: too late to be worth sending",
    "suppressed": "Held back at send time: the caller had opted out",
    "no text-back": "Decided to text, but no text-back was written",
    "not decided": "Not decided yet",
}
TEXTBACK_BUCKETS = [(0, 5, "0–5 s"), (5, 15, "5–15 s"), (15, 30, "15–30 s"), (30, 60, "30–60 s"),
                    (60, 120, "1–2 min"), (120, 300, "2–5 min"), (300, 900, "5–15 min"), (900, None, "15 min +")]  # fmt: skip
ANSWER_BUCKETS = [(0, 300, "0–5 min"), (300, 900, "5–15 min"), (900, 1800, "15–30 min"), (1800, 3600, "30–60 min"),
                  (3600, 7200, "1–2 h"), (7200, 14400, "2–4 h"), (14400, 28800, "4–8 h"), (28800, 86400, "8–24 h"),
                  (86400, None, "1 day +")]  # fmt: skip
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
HOURS = [f"{h:02d}:00" for h in range(24)]

DEFINITIONS = {
    "calls": "Inbound calls that ended, counted on the local day they started.",
    "answered": "Calls a person answered (on forward-and-screen lines: picked up and pressed 1).",
    "missed": "Calls nobody answered, by how they ended.",
    "miss_rate": "Missed ÷ inbound calls, on the lines that see answered calls (forward-and-screen, status-only).",
    "texted": "Missed calls whose text-back was handed to the carrier (failed ones included).",
    "skipped": "Missed calls that got no text-back, and why.",
    "delivered": "Text-backs the carrier confirmed delivered.",
    "replied": "Texted callers who wrote back (not STOP/START/HELP) within 48 hours of the text-back.",
    "recovery_rate": "Replied ÷ texted.",
    "answer": "Caller message → the first answer by a person in that conversation.",
    "booked": "Replied callers whose conversation was marked Booked after their text-back (the last outcome set before "
    "the next text-back counts, so a later job of the same caller never rewrites this one).",
    "booking_rate": "Booked ÷ replied.",
    "revenue": "The booked jobs' values, as entered with the outcome.",
    "cost": "software for the period + SMS segments sent and received × the price per segment + each number's "
    "monthly price + the per-call price, as entered in your costs (the defaults: SMS only).",
    "roi": "Revenue ÷ cost.",
    "textback_speed": "Missed call ends → text-back handed to the carrier.",
    "breaches": "Caller messages answered later than the SLA's red mark of opening time, or not at all.",
}


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def share(self) -> float:
        return self.numerator / self.denominator

    @property
    def percent(self) -> str:
        return f"{self.share:.0%}"

    def __str__(self) -> str:
        return f"{self.numerator:,} of {self.denominator:,}"


def rate(numerator: int, denominator: int) -> Rate | None:
    return Rate(numerator, denominator) if denominator else None


@dataclass
class LineView:
    id: int
    name: str
    mode: str
    active: bool = True  # a switched-off line still has its history, but costs nothing (costs.cost counts active ones)

    @property
    def measured(self) -> bool:
        return self.mode in MEASURED_MODES


@dataclass
class Dashboard:
    period: Period
    total: DayFigures
    previous: DayFigures
    miss_rate: Rate | None
    miss_rate_note: str
    missed: list
    skipped: list
    speed: dict
    cost: costs.Cost
    roi: Decimal | None
    trend: charts.Chart
    changes: list
    heat: charts.Chart
    histograms: list
    breaches: list
    definitions: dict = field(default_factory=lambda: DEFINITIONS)

    @property
    def recovery_rate(self) -> Rate | None:
        return rate(self.total.replied, self.total.texted)

    @property
    def booking_rate(self) -> Rate | None:
        return rate(self.total.booked, self.total.replied)

    @property
    def delivery_rate(self) -> Rate | None:
        return rate(self.total.delivered, self.total.texted)

    @property
    def empty(self) -> bool:
        return not (self.total.calls or self.total.texted or sum(self.total.answer_seconds.values()))


def build(days: dict[date, dict[int, DayFigures]], previous: DayFigures, period: Period, lines: list[LineView],
          business_costs, time_zone: str) -> Dashboard:  # fmt: skip
    total = DayFigures()
    for by_line in days.values():
        for one in by_line.values():
            total.add(one)
    spent = costs.cost(business_costs, total, period.days, sum(line.active for line in lines))
    miss_rate = rate(total.measured_missed, total.measured_calls)
    return Dashboard(
        period=period,
        total=total,
        previous=previous,
        miss_rate=miss_rate,
        miss_rate_note=miss_rate_note(lines, miss_rate),
        missed=[(outcomes.LABELS.get(k, k), n) for k, n in total.missed.most_common() if n],
        skipped=[
            (REASONS.get(k) or FATES.get(k) or k.replace("_", " ").capitalize(), n)
            for k, n in total.skipped.most_common()
            if n
        ],  # fmt: skip
        speed=speeds(total),
        cost=spent,
        roi=costs.roi(total.revenue, spent),
        trend=trend_chart(days, period),
        changes=changes(total, previous),
        heat=heat_chart(days),
        histograms=[
            histogram("Missed call → text-back", total.textback_seconds, TEXTBACK_BUCKETS, "text-backs"),
            histogram("Caller message → first human answer", total.answer_seconds, ANSWER_BUCKETS, "answers"),
        ],
        breaches=breaches(days, time_zone),
    )


def miss_rate_note(lines: list[LineView], miss_rate: Rate | None) -> str:
    """What the miss rate covers: every line, some lines (named), or none ("not measured in this mode")."""
    measured = [line for line in lines if line.measured]
    if not measured:
        return "Miss rate not measured in this mode: carrier-forwarding and generic lines never see answered calls."
    names = ", ".join(line.name for line in measured)
    if miss_rate is None:
        return f"No calls in this period on the lines that measure the miss rate ({names})."
    if len(measured) == len(lines):
        return ""
    return f"The miss rate covers {names} only: the other lines never see answered calls."


def speeds(total: DayFigures) -> dict:
    return {
        name: {"p50": percentile(histogram, 0.5), "p90": percentile(histogram, 0.9), "n": sum(histogram.values())}
        for name, histogram in (
            ("textback", total.textback_seconds),
            ("answer", total.answer_seconds),
            ("answer_open", total.answer_seconds_open),
        )
    }


def duration(seconds: int | None) -> str:
    """A duration that reads well: 42 s, 3 min 5 s, 2 h 10 min, 1 d 3 h; an em dash for none."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        minutes, rest = divmod(seconds, 60)
        return f"{minutes} min {rest} s" if rest and minutes < 10 else f"{minutes} min"
    if seconds < 86400:
        hours, rest = divmod(seconds, 3600)
        return f"{hours} h {rest // 60} min" if rest >= 60 else f"{hours} h"
    days, rest = divmod(seconds, 86400)
    return f"{days} d {rest // 3600} h" if rest >= 3600 else f"{days} d"


def histogram(title: str, seconds: Counter, buckets: list, what: str) -> charts.Chart:
    counts = [0] * len(buckets)
    for value, n in seconds.items():
        for i, (low, high, _) in enumerate(buckets):
            if value >= low and (high is None or value < high):
                counts[i] += n
                break
    labels = [label for _, _, label in buckets]
    summary = ""
    if sum(counts):
        summary = (f"{title}: {sum(counts):,} {what}; half within {duration(percentile(seconds, 0.5))}, "
                   f"nine in ten within {duration(percentile(seconds, 0.9))}.")  # fmt: skip
    return charts.horizontal_bars(title, labels, counts, summary=summary, empty=f"No {what} in this period.")


def buckets_of(period: Period) -> list[date]:
    """The trend's buckets: each day, or each week (its Monday) for periods longer than DAILY_UP_TO days."""
    if period.days <= DAILY_UP_TO:
        return period.dates()
    return sorted({week_of(day) for day in period.dates()})


TREND_SERIES = [
    ("Missed", lambda f: f.missed_total),
    ("Texted", lambda f: f.texted),
    ("Replied", lambda f: f.replied),
    ("Booked", lambda f: f.booked),
]


def trend_chart(days: dict[date, dict[int, DayFigures]], period: Period) -> charts.Chart:
    weekly = period.days > DAILY_UP_TO
    keys = buckets_of(period)
    sums = {key: DayFigures() for key in keys}
    for day, by_line in days.items():
        key = week_of(day) if weekly else day
        if key in sums:
            for one in by_line.values():
                sums[key].add(one)
    labels = [f"{'wk ' if weekly else ''}{key:%b %-d}" for key in keys]
    series = [(name, [get(sums[key]) for key in keys]) for name, get in TREND_SERIES]
    title = "By week" if weekly else "By day"
    return charts.lines(title, labels, series, empty="No missed calls in this period.")


def changes(total: DayFigures, previous: DayFigures) -> list[dict]:
    """Each trend figure this period, the previous period, and the change in % (None when the previous was 0)."""
    out = []
    for name, get in [*TREND_SERIES, ("Revenue", lambda f: f.revenue)]:
        now, before = get(total), get(previous)
        change = None if not before else round((now - before) / before * 100)
        out.append({"name": name, "now": now, "before": before, "change": change})
    return out


def heat_chart(days: dict[date, dict[int, DayFigures]]) -> charts.Chart:
    grid = [[0] * 24 for _ in WEEKDAYS]
    for day, by_line in days.items():
        for one in by_line.values():
            for hour, n in one.heat.items():
                grid[day.weekday()][int(hour)] += n
    return charts.heat_map(
        "Missed calls by weekday and hour", grid, WEEKDAYS, HOURS, empty="No missed calls in this period."
    )


def breaches(days: dict[date, dict[int, DayFigures]], time_zone: str) -> list[dict]:
    """The period's SLA breaches, newest first, at most BREACHES_SHOWN, with local times."""
    found = [entry for by_line in days.values() for one in by_line.values() for entry in one.breach_list]
    found.sort(key=lambda entry: entry.get("at") or "", reverse=True)
    zone = ZoneInfo(time_zone)
    out = []
    for entry in found[:BREACHES_SHOWN]:
        try:
            at = datetime.fromisoformat(entry["at"]).astimezone(zone)
        except (KeyError, TypeError, ValueError):
            at = None
        out.append({"conversation": entry.get("conversation"), "at": at, "waited": duration(entry.get("waited"))
                    if entry.get("waited") is not None else "not answered"})  # fmt: skip
    return out
