"""Changing a business's schedule: its public holidays and its closures (the settings pages and the CLI)."""

from datetime import date

from textback.accounts.models import Business
from textback.lib import hours
from textback.rules.models import Closure

MAX_CLOSURE_DAYS = 366


class Invalid(ValueError):
    """Input that cannot be saved; `field` names the form field it belongs to."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def check_holidays(business: Business, country: str, subdivision: str) -> tuple[str, str]:
    """The country ("" = the business's own) and region codes, upper-cased, when the holidays package knows them."""
    country, subdivision = country.strip().upper(), subdivision.strip().upper()
    if country and not hours.is_known_region(country):
        raise Invalid("holiday_country", f"No public holidays are known for “{country}”; use a code such as US.")
    whose = country or business.country.upper()
    if subdivision and not hours.is_known_region(whose, subdivision):
        raise Invalid("holiday_subdivision", f"“{subdivision}” is not a region of {whose}.")
    return country, subdivision


def do_set_holidays(business: Business, *, on: bool, country: str, subdivision: str) -> None:
    business.public_holidays, business.holiday_country, business.holiday_subdivision = on, country, subdivision
    business.save(update_fields=["public_holidays", "holiday_country", "holiday_subdivision"])


def check_closure(business: Business, first: date, last: date | None, line=None) -> tuple[date, date]:
    last = last or first
    if last < first:
        raise Invalid("last_day", "The last day is before the first day.")
    if (last - first).days >= MAX_CLOSURE_DAYS:
        raise Invalid("last_day", f"A closure can be at most {MAX_CLOSURE_DAYS} days; add another for longer.")
    if line is not None and line.business_id != business.pk:
        raise Invalid("line", "That line is not one of this business's.")
    return first, last


def do_add_closure(business: Business, first: date, last: date, label: str, line=None) -> Closure:
    return Closure.objects.create(business=business, line=line, first_day=first, last_day=last, label=label[:60])


def do_remove_closure(closure: Closure) -> None:
    closure.delete()


def upcoming_closures(business: Business, today: date):
    return Closure.objects.filter(business=business, last_day__gte=today).select_related("line").order_by("first_day")
