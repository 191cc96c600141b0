"""Twilio requests as Twilio sends them: fixture bodies, signed for a URL."""

from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from twilio.request_validator import RequestValidator

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str, **overrides: str | None) -> dict[str, str]:
    """A fixture's fields; an override of None removes the field."""
    fields = dict(parse_qsl((FIXTURES / f"{name}.txt").read_text().strip(), keep_blank_values=True))
    for key, value in overrides.items():
        if value is None:
            fields.pop(key, None)
        else:
            fields[key] = value
    return fields


def signature(url: str, fields: dict[str, str], token: str) -> str:
    return RequestValidator(token).compute_signature(url, fields)


def signed(base: str, endpoint: str, fields: dict[str, str], token: str, query: str = "") -> tuple[str, bytes, dict]:
    """(url, body, headers) for POSTing fields to one of our Twilio webhooks at base."""
    url = f"{base}/hooks/twilio/{endpoint}" + (f"?{query}" if query else "")
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": signature(url, fields, token),
        "I-Twilio-Idempotency-Token": "tok-" + endpoint,
    }
    return url, urlencode(fields).encode(), headers
