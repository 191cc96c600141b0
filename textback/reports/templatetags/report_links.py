"""`may`: whether a membership's role allows an action (accounts/access.py), for the header's links."""

from django import template

from textback.accounts.access import can

register = template.Library()


@register.filter
def may(membership, action: str) -> bool:
    return can(membership, action) if membership is not None and membership != "" else False
