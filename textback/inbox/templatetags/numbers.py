"""`{{ number|pretty_number }}`: a phone number as people read it, (512) 555-0147."""

from django import template

from textback.lib import phone

register = template.Library()


@register.filter
def pretty_number(value: str) -> str:
    return phone.pretty(value or "")
