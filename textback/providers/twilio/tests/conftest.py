import pytest
from django.conf import settings

from textback.conftest import ALPHA_TOKEN
from textback.providers.twilio.tests.helpers import signed


@pytest.fixture
def twilio_post(client):
    """POST a signed Twilio webhook through Django's test client."""

    def post(endpoint: str, fields: dict, *, token: str = ALPHA_TOKEN, query: str = "", signed_for: str = ""):
        url, body, headers = signed(signed_for or settings.PUBLIC_URL, endpoint, fields, token, query)
        path = f"/hooks/twilio/{endpoint}" + (f"?{query}" if query else "")
        return client.post(
            path,
            data=body,
            content_type=headers["Content-Type"],
            HTTP_X_TWILIO_SIGNATURE=headers["X-Twilio-Signature"],
            HTTP_I_TWILIO_IDEMPOTENCY_TOKEN=headers["I-Twilio-Idempotency-Token"],
            HTTP_HOST="textback.example.com",
        )

    return post
