"""The hidden element that lets any page of a business show desktop notifications (static/textback/notify.js)."""

from django import template
from django.urls import reverse
from django.utils import timezone

from textback.inbox import listing
from textback.inbox import live as live_poll

register = template.Library()
EVERY_SECONDS = 5  # pages other than the inbox look for news less often than its 1.5 s


@register.inclusion_tag("inbox/_notify_watch.html", takes_context=True)
def notify_watch(context, business, conversation_id=None):
    """For a person who wants browser notifications: where to poll, the ETag of the list as it is now
    (so the first poll is a 304) and the moment the page was made (older texts are not news)."""
    request = context.get("request")
    membership = getattr(business, "membership", None)
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if membership is None or not membership.alert_browser or not session_key:
        return {}
    url = reverse("inbox-live", args=[business.slug])
    return {
        "url": url,
        "etag": live_poll.etag(membership.pk, session_key, url),
        "now_ms": listing.epoch_ms(timezone.now()),
        "every": EVERY_SECONDS,
        "conversation_id": conversation_id,
    }
