"""The business switcher in the page header, for people who serve several businesses (agencies)."""

from django import template

from textback.accounts.models import businesses_for

register = template.Library()


@register.inclusion_tag("inbox/_switcher.html", takes_context=True)
def business_switcher(context, business):
    """The current business's name, opening a list of the user's other businesses when there are any."""
    request = context.get("request")
    user = getattr(request, "user", None)
    others = list(businesses_for(user).order_by("name").only("name", "slug")) if user else []
    return {"business": business, "businesses": others if len(others) > 1 else []}
