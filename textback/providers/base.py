"""What every SMS provider offers textback, and the errors it may raise.

A provider is built from a ProviderAccount; sending goes through exactly one
method, so tests replace one seam (an httpx transport, or a local HTTP server
standing in for the provider's REST API).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class OutgoingSms:
    to: str
    from_: str
    body: str
    ref: str  # our unique reference for this message; lets us find it again after a crash
    status_callback: str | None  # where the provider should report delivery
    valid_for_seconds: int | None = None  # drop it rather than deliver it later than this


@dataclass(frozen=True)
class Submitted:
    """The provider took the message."""

    provider_message_id: str
    status: str  # provider's own word, e.g. "queued"


class ProviderError(Exception):
    """A provider refused or failed a request.

    `permanent` errors are never retried. `consequence` teaches the rest of the
    system something about the recipient: "opted_out", "landline" or "invalid".
    `maybe_sent` says the request may have reached the provider (a read
    timeout): the next attempt must look for the message before sending again.
    `retry_after` is how many seconds the provider asked us to wait before the
    next request (HTTP Retry-After on a 429 or 503), or None when it did not say.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str = "",
        permanent: bool = False,
        consequence: str = "",
        maybe_sent: bool = False,
        retry_after: float | None = None,
    ):
        super().__init__(message)
        self.code = code
        self.permanent = permanent
        self.consequence = consequence
        self.maybe_sent = maybe_sent
        self.retry_after = retry_after


class Provider(Protocol):
    name: str

    def send_sms(self, sms: OutgoingSms) -> Submitted:
        """Hand one message to the provider. Raises ProviderError."""

    def find_sent(self, sms: OutgoingSms, since: datetime) -> list[Submitted]:
        """Messages the provider holds that may be this one (sent by an attempt we lost track of),
        oldest first. The caller skips those it already knows as other messages."""
