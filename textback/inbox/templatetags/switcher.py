"""The business switcher in the page header, for people who serve several businesses (agencies)."""

from django import template

from textback.accounts.models import Membership
from textback.inbox.views import front_page

register = template.Library()


@register.inclusion_tag("inbox/_switcher.html", takes_context=True)
def business_switcher(context, business):
    """The current business's name, opening a list of the user's other businesses when there are any (each
    opens on its front page: the report for a manager or owner, the inbox for an agent)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    others = []
    if user is not None and user.is_authenticated:
        memberships = Membership.objects.filter(user=user).select_related("business").order_by("business__name")
        others = [{"pk": m.business_id, "name": m.business.name, "url": front_page(m)} for m in memberships]
    return {"business": business, "businesses": others if len(others) > 1 else []}
