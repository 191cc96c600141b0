"""What textback cost a business over a period, and the ROI it returned: pure arithmetic on Costs and DayFigures.

cost = software monthly × days ÷ 30
     + (segments sent + segments received) × price per segment
     + number monthly × lines × days ÷ 30
     + per call × calls

ROI = revenue ÷ cost (None when nothing was spent: a ratio over zero says nothing)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from textback.reports.figures import DayFigures

CENT = Decimal("0.01")
MONTH_DAYS = 30


@dataclass(frozen=True)
class Cost:
    software: Decimal
    sms: Decimal
    numbers: Decimal
    calls: Decimal

    @property
    def total(self) -> Decimal:
        return cents(self.software + self.sms + self.numbers + self.calls)

    def __add__(self, other: Cost) -> Cost:
        return Cost(
            self.software + other.software, self.sms + other.sms, self.numbers + other.numbers, self.calls + other.calls
        )


NOTHING = Cost(Decimal(0), Decimal(0), Decimal(0), Decimal(0))


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def cost(costs, figures: DayFigures, days: int, lines: int) -> Cost:
    """The period's cost from the business's Costs (a saved row or the defaults of an unsaved one)."""
    months = Decimal(days) / MONTH_DAYS
    return Cost(
        software=costs.software_monthly * months,
        sms=(figures.segments_out + figures.segments_in) * costs.price_per_segment,
        numbers=costs.number_monthly * lines * months,
        calls=costs.per_call * figures.calls,
    )


def roi(revenue: Decimal, spent: Cost) -> Decimal | None:
    """Revenue ÷ cost, to one decimal (12.4 means each dollar spent brought back $12.40); None when nothing was
    spent."""
    total = spent.total
    if total <= 0:
        return None
    return (Decimal(revenue) / total).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def costs_of(business):
    """The business's Costs row, or the defaults (unsaved) when it has none. One query."""
    from textback.reports.models import Costs

    return Costs.objects.filter(business=business).first() or Costs(business=business)


FIELDS = ("trade", "software_monthly", "price_per_segment", "number_monthly", "per_call", "average_ticket")


def do_set_costs(business, **values) -> bool:
    """Set the costs and trade given (FIELDS); returns whether anything changed."""
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise ValueError(f"not a cost: {', '.join(sorted(unknown))}")
    costs = costs_of(business)
    changed = [name for name, value in values.items() if getattr(costs, name) != value]
    if not changed and costs.pk:
        return False
    for name in changed:
        setattr(costs, name, values[name])
    costs.full_clean(exclude=["business"])
    costs.save()
    return bool(changed)
