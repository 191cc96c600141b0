"""The recovery report's figures: what one local day of one line adds up to, and a period's sum of them.

Pure: `DayFigures` are counts and histograms, so a period, a business or an agency is the sum of its days
and lines (`add`), and a rate or a percentile is read from the sum, never averaged. reports/funnel.py
computes the days from the recorded calls and texts; the definitions below are the ones the page prints.

- A **call** counts on the local day (the business's time zone) it started; `calls` are the ended ones.
- **answered** / **missed** (by outcome): the call's outcome. The **miss rate** is measured only on lines
  that see answered calls (forward-and-screen and status-only modes): `measured_calls` and
  `measured_missed` count those lines' calls alone. On carrier-forwarding and generic lines every call
  that reaches textback was already missed, so `measured_calls` stays 0 and the rate is "not measured".
- **texted**: missed calls whose text-back reached the provider (queued or later, failed included);
  **skipped** by reason: missed calls not texted (the decision's reason, or the text-back's fate when it
  was canceled, expired or suppressed before sending; "pending" while one still waits to be sent).
- **delivered**: text-backs the carrier confirmed delivered; **failed**: undelivered or failed.
- **replied**: texted calls whose caller wrote back (a message that was not STOP/START/HELP) within
  REPLY_WINDOW of the text-back and before the next text-back in that conversation.
- **booked** / **revenue**: each sent text-back opens an episode of its conversation, until the next one sent;
  the last outcome a person set in that episode counts (a correction replaces it, a later job of the same
  caller is a later episode). Booked, and the caller replied to that text-back: booked, with the job's value.
- **Speed**: `textback_seconds`, missed call end → text-back handed to the provider, by the call's day;
  `answer_seconds`, a caller's message → the first human answer in that conversation, by the message's
  day (`answer_seconds_open`: the messages that arrived while the business was open); the clock starts at a
  caller's message when none is waiting; `unanswered`: clocks no person stopped within ANSWER_WINDOW (the
  caller's next message then starts a new one).
- **SLA breaches**: caller messages answered later than the business's red mark (sla_red_minutes) of
  opening time, or not at all once that moment passed; `breach_list` keeps the day's latest few.
- **segments_out** / **segments_in**: SMS segments sent (handed to the provider) and received, the SMS
  cost's basis; `heat`: missed calls by local hour (the weekday is the day's).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

REPLY_WINDOW = timedelta(hours=48)
ANSWER_WINDOW = timedelta(hours=48)
BREACHES_KEPT = 20  # per day and line: the list on the page shows the period's newest


@dataclass
class DayFigures:
    calls: int = 0
    answered: int = 0
    missed: Counter = field(default_factory=Counter)  # outcome → calls
    measured_calls: int = 0
    measured_missed: int = 0
    texted: int = 0
    skipped: Counter = field(default_factory=Counter)  # reason → calls
    delivered: int = 0
    failed: int = 0
    replied: int = 0
    booked: int = 0
    revenue_cents: int = 0
    textback_seconds: Counter = field(default_factory=Counter)  # whole seconds → text-backs
    answer_seconds: Counter = field(default_factory=Counter)  # whole seconds → caller messages answered
    answer_seconds_open: Counter = field(default_factory=Counter)
    unanswered: int = 0
    breaches: int = 0
    breach_list: list = field(default_factory=list)  # [{"conversation": id, "at": iso, "waited": seconds|None}]
    segments_out: int = 0
    segments_in: int = 0
    heat: Counter = field(default_factory=Counter)  # local hour (0-23) → missed calls

    COUNTERS = ("missed", "skipped", "textback_seconds", "answer_seconds", "answer_seconds_open", "heat")

    def add(self, other: DayFigures) -> DayFigures:
        """Add `other` into this one (in place) and return it."""
        for name in self.__dataclass_fields__:
            mine, theirs = getattr(self, name), getattr(other, name)
            if name == "breach_list":
                mine.extend(theirs)
            elif isinstance(mine, Counter):
                mine.update(theirs)
            else:
                setattr(self, name, mine + theirs)
        return self

    @property
    def missed_total(self) -> int:
        return sum(self.missed.values())

    @property
    def revenue(self) -> Decimal:
        return Decimal(self.revenue_cents) / 100

    @property
    def miss_rate(self) -> float | None:
        """None: not measured (no line of this period sees answered calls)."""
        return self.measured_missed / self.measured_calls if self.measured_calls else None

    @property
    def recovery_rate(self) -> float | None:
        return self.replied / self.texted if self.texted else None

    @property
    def booking_rate(self) -> float | None:
        return self.booked / self.replied if self.replied else None

    def to_json(self) -> dict:
        out = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, Counter):
                value = {str(k): v for k, v in value.items() if v}
            if value:
                out[name] = value
        return out

    @classmethod
    def from_json(cls, data: dict) -> DayFigures:
        made = cls()
        for name, value in data.items():
            if name in cls.COUNTERS:
                numeric = name not in ("missed", "skipped")
                value = Counter({int(k) if numeric else k: v for k, v in value.items()})
            elif name == "breach_list":
                value = list(value)
            setattr(made, name, value)
        return made


def percentile(histogram: Counter, p: float) -> int | None:
    """The nearest-rank percentile (0 < p <= 1) of a histogram of whole seconds: the smallest value with at
    least p of the observations at or below it. None when empty."""
    total = sum(histogram.values())
    if not total:
        return None
    rank = max(1, -(-int(p * total * 1_000_000) // 1_000_000))  # ceil(p·n) without float surprises
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    return max(histogram)
