"""What every provider webhook shares: checked access to untrusted fields, and the event log."""

import logging
import re

from django.db.models import F
from django.http import HttpResponse
from django.utils import timezone

from textback.calls.models import WebhookEvent
from textback.lib import sql

log = logging.getLogger("textback.webhooks")
MAX_FIELD = 2000


class Rejected(Exception):
    """A request we refuse, with the status and a reason the sender can act on."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason

    def response(self) -> HttpResponse:
        return HttpResponse(self.reason + "\n", status=self.status, content_type="text/plain")


def bad_request(reason: str) -> Rejected:
    return Rejected(400, reason)


def forbidden(reason: str) -> Rejected:
    return Rejected(403, reason)


class Fields:
    """Read fields of an untrusted payload, failing with a 400 that names the field."""

    def __init__(self, data):
        self.data = data

    def get(self, name: str, default: str = "", max_length: int = MAX_FIELD) -> str:
        value = self.data.get(name, default)
        if not isinstance(value, str):
            raise bad_request(f"{name} must be text")
        if len(value) > max_length:
            raise bad_request(f"{name} is longer than {max_length} characters")
        return value.replace("\x00", "")  # PostgreSQL text cannot hold NUL

    def required(self, name: str, pattern: re.Pattern | None = None, max_length: int = MAX_FIELD) -> str:
        value = self.get(name, max_length=max_length).strip()
        if not value:
            raise bad_request(f"{name} is missing")
        if pattern is not None and not pattern.fullmatch(value):
            raise bad_request(f"{name} is malformed")
        return value

    def integer(self, name: str, maximum: int = 2**31 - 1) -> int | None:
        value = self.get(name).strip()
        if not value:
            return None
        if not (value.isascii() and value.isdigit()):
            raise bad_request(f"{name} must be a whole number")
        if int(value) > maximum:
            raise bad_request(f"{name} must be at most {maximum}")
        return int(value)

    def boolean(self, name: str) -> bool | None:
        value = self.get(name).strip().lower()
        if not value:
            return None
        if value not in ("true", "false"):
            raise bad_request(f"{name} must be true or false")
        return value == "true"

    def __contains__(self, name: str) -> bool:
        return name in self.data


def clean_payload(data: dict) -> dict:
    """A payload as it can be stored: text keys and values, no NUL characters, bounded."""
    return {
        str(k).replace("\x00", "")[:100]: str(v).replace("\x00", "")[:MAX_FIELD] for k, v in list(data.items())[:200]
    }


def record_event(*, provider: str, endpoint: str, key: str, business, payload: dict, token: str = "") -> bool:
    """Log the request; False when we have seen this exact event before (a retry or a duplicate)."""
    values = {
        "provider": provider, "endpoint": endpoint, "key": key[:200], "business": business,
        "idempotency_token": token[:100], "payload": payload, "received_at": timezone.now(), "duplicates": 0,
    }  # fmt: skip
    if sql.insert(WebhookEvent, values, conflict=("provider", "endpoint", "key")) is not None:
        return True
    WebhookEvent.objects.filter(provider=provider, endpoint=endpoint, key=key[:200]).update(
        duplicates=F("duplicates") + 1
    )
    log.info("duplicate %s %s event %s ignored", provider, endpoint, key)
    return False
