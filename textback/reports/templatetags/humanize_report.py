"""Numbers as the recovery report writes them: 1,234; $1,234.50; 3 min 5 s."""

from decimal import Decimal

from django import template

from textback.reports.dashboard import duration as _duration

register = template.Library()


@register.filter
def num(value) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


@register.filter
def money(value) -> str:
    amount = Decimal(value or 0)
    return f"${amount:,.2f}" if amount % 1 else f"${amount:,.0f}"


@register.filter
def duration(seconds) -> str:
    return _duration(seconds)
