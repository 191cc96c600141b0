"""Template helpers of the people pages."""

from django import template

from textback.accounts import access
from textback.accounts.mail import in_sandbox

register = template.Library()


@register.simple_tag
def sandbox_mail() -> bool:
    """Whether mail goes to the sandbox mailbox (so the header links to it)."""
    return in_sandbox()


@register.filter
def may(business, action: str) -> bool:
    """`{% if business|may:"manage_staff" %}`: the signed-in member's role allows the action."""
    return access.can(getattr(business, "membership", None), action)
