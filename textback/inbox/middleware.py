"""Request-wide settings that must not leak from one request to the next, and the headers every page carries."""

from django.utils import timezone

# Our pages run only script files served from here, never inline script or eval, so text a caller or
# a provider supplied cannot run even if it slipped past escaping (a javascript: URL, an injected
# <script>). Voicemail recordings and MMS pictures come through our own views (inbox/media.py), never
# from a provider's URL; nothing may frame a page.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "media-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)


def fresh_time_zone(get_response):
    """Every request starts in UTC; a business page switches to the business's zone (inbox.views)."""

    def middleware(request):
        timezone.deactivate()
        return get_response(request)

    return middleware


def content_security_policy(get_response):
    """Send the policy with every HTML response, the admin's and the error pages' included.

    Only HTML: a policy means nothing on JSON, TwiML or a CSV, and the webhooks stay as small as they were.
    """

    def middleware(request):
        response = get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return response

    return middleware
