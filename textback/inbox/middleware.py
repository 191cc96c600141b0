"""Request-wide settings that must not leak from one request to the next on a reused thread."""

from django.utils import timezone


def fresh_time_zone(get_response):
    """Every request starts in UTC; a business page switches to the business's zone (inbox.views)."""

    def middleware(request):
        timezone.deactivate()
        return get_response(request)

    return middleware
