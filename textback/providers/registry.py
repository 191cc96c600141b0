"""Building the provider object for an account, with one shared HTTP client per process."""

import logging
import threading

import httpx
from django.conf import settings

from textback.providers.base import Provider, ProviderError
from textback.providers.credentials import UnreadableCredential

log = logging.getLogger(__name__)
_client: httpx.Client | None = None
_lock = threading.Lock()


def http_client() -> httpx.Client:
    """The process's pooled HTTP client for provider APIs, with timeouts on every phase."""
    global _client
    with _lock:
        if _client is None:
            timeout = httpx.Timeout(settings.PROVIDER_TIMEOUT, connect=min(settings.PROVIDER_TIMEOUT, 5.0))
            _client = httpx.Client(
                timeout=timeout,
                limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
                headers={"User-Agent": "textback"},
            )
        return _client


def use_http_client(client: httpx.Client | None) -> None:
    """Swap the client (tests pass one with an httpx.MockTransport)."""
    global _client
    with _lock:
        _client = client


def provider_for(account) -> Provider:
    """The provider for an account. An auth token no configured key decrypts is a permanent ProviderError:
    retrying cannot help until an operator fixes the keys, and the message says how."""
    from textback.providers.models import SANDBOX, TWILIO

    if account.provider == TWILIO:
        from textback.providers.twilio.client import TwilioClient

        try:
            return TwilioClient.for_account(account)
        except UnreadableCredential as exc:
            log.error("cannot send: %s", exc)
            raise ProviderError(f"{exc.summary} (`textback check` says what to do)", permanent=True) from None
    if account.provider == SANDBOX:
        from textback.providers.sandbox.carrier import SandboxCarrier

        return SandboxCarrier(account)
    raise ValueError(f"no provider called {account.provider!r}")


def explain_error(provider: str, code: str) -> str:
    """A provider's error code in plain words, for staff; '' when the provider or code is unknown."""
    from textback.providers.models import TWILIO

    if provider == TWILIO:
        from textback.providers.twilio import errors

        return errors.explain(code)
    return ""
