"""What every provider webhook shares: checked access to untrusted fields, and the event log.

Text from a request reaches a query only through `Fields`, which refuses what the
database cannot hold. PostgreSQL refuses NUL in text and jsonb, and a lone surrogate
(half of a UTF-16 pair, which a JSON `\\ud800` escape produces) cannot be encoded as
UTF-8 at all; SQLite stores both, so a bug here would only show on PostgreSQL.
"""

import json
import logging
import re

from django.db.models import F
from django.http import HttpResponse
from django.utils import timezone

from textback.calls.models import WebhookEvent
from textback.lib import sql

log = logging.getLogger("textback.webhooks")
MAX_FIELD = 2000
MAX_KEY = 100  # the length of a field name kept in the event log
MAX_LOGGED_FIELDS = 200
MAX_TOKEN = 100  # WebhookEvent.idempotency_token
MAX_EVENT_KEY = 200  # WebhookEvent.key
MAX_INTEGER_DIGITS = 18  # no field of ours needs more, and int() of a long run of digits is slow
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_DIGITS = re.compile("[0-9]+")
E164 = re.compile(r"\+[1-9][0-9]{1,14}")  # the shape only: lines are stored so, and a lookup needs no more


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


def unsupported_media_type(reason: str) -> Rejected:
    return Rejected(415, reason)


def unstorable(text: str) -> str:
    """What in text the database cannot store, as words for a reason ("" when it can store all of it)."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return ""
    return "a NUL character" if found.group() == "\x00" else "a lone surrogate (not valid Unicode)"


def storable(text: str) -> str:
    """text with each character the database cannot store replaced by U+FFFD, for copies kept for the record."""
    return _UNSTORABLE.sub("\ufffd", text)


def require_content_type(request, expected: str) -> None:
    """Refuse with 415 a body that is not `expected` in UTF-8, the one charset we (and Django, for forms) decode."""
    charset = request.content_params.get("charset", "utf-8").lower()
    if request.content_type != expected or charset != "utf-8":
        raise unsupported_media_type(f"Content-Type must be {expected} (UTF-8)")


class Fields:
    """Read fields of an untrusted payload, failing with a 400 that names the field.

    A field that is absent, or None (JSON null), reads as the default.
    """

    def __init__(self, data):
        self.data = data

    def get(self, name: str, default: str = "", max_length: int = MAX_FIELD) -> str:
        value = self.data.get(name)
        if value is None:
            return default
        if not isinstance(value, str):
            raise bad_request(f"{name} must be text")
        if len(value) > max_length:
            raise bad_request(f"{name} is longer than {max_length} characters")
        problem = unstorable(value)
        if problem:
            raise bad_request(f"{name} contains {problem}")
        return value

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
        if not _DIGITS.fullmatch(value):  # ASCII only: "²".isdigit() is True, and int() refuses it
            raise bad_request(f"{name} must be a whole number")
        if len(value.lstrip("0")) > MAX_INTEGER_DIGITS or int(value) > maximum:
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


def _logged_value(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def clean_payload(data: dict) -> dict:
    """A payload as it can be stored (in jsonb too): text keys and values, bounded, nothing PostgreSQL refuses.

    Values that are not text (numbers, lists, objects of a JSON body) are kept as their JSON text.
    """
    return {
        storable(str(key)[:MAX_KEY]): storable(_logged_value(value)[:MAX_FIELD])
        for key, value in list(data.items())[:MAX_LOGGED_FIELDS]
    }


def record_event(*, provider: str, endpoint: str, key: str, business, payload: dict, token: str = "") -> bool:
    """Log the request; False when we have seen this exact event before (a retry or a duplicate).

    Both strings are cleaned of what the database cannot store: `token` comes straight from a header.
    """
    key = storable(key[:MAX_EVENT_KEY])
    values = {
        "provider": provider, "endpoint": endpoint, "key": key, "business": business,
        "idempotency_token": storable(token[:MAX_TOKEN]), "payload": payload, "received_at": timezone.now(),
        "duplicates": 0,
    }  # fmt: skip
    if sql.insert(WebhookEvent, values, conflict=("provider", "endpoint", "key")) is not None:
        return True
    # Only our own event counts a duplicate: another business's account cannot touch this one's rows.
    if WebhookEvent.objects.filter(provider=provider, endpoint=endpoint, key=key, business=business).update(
        duplicates=F("duplicates") + 1
    ):
        log.info("duplicate %s %s event %s ignored", provider, endpoint, key)
    else:
        log.warning("%s %s event %s is another business's; ignored", provider, endpoint, key)
    return False
