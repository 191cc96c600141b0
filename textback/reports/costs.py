"""A business's costs and trade (the Costs row): read with its defaults, and changed in one place."""

from textback.reports.models import Costs

FIELDS = ("trade", "software_monthly", "price_per_segment", "number_monthly", "per_call", "average_ticket")


def costs_of(business) -> Costs:
    """The business's row, or an unsaved one with the defaults (no row is written by reading)."""
    return Costs.objects.filter(business=business).first() or Costs(business=business)


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
