"""Building the provider object for an account, with one shared HTTP client per process."""

import logging
import threading

import httpx
from django.conf import settings

from textback.providers.base import Provider, ProviderError
from textback.providers.credentials import UnreadableCredential

log = logging.getLogger(__name__)
_transport: httpx.BaseTransport | None = None
_client: httpx.Client | None = None
_lock = threading.Lock()


def timeout() -> httpx.Timeout:
    """The limits on every phase of a provider request."""
    return httpx.Timeout(settings.PROVIDER_TIMEOUT, connect=min(settings.PROVIDER_TIMEOUT, 5.0))


def http_transport() -> httpx.BaseTransport:
    """The process's pooled connections to provider APIs. Provider clients send through it directly:
    httpx.Client's request building, auth flow and cookie handling cost more CPU than the request itself."""
    global _transport
    with _lock:
        if _transport is None:
            _transport = httpx.HTTPTransport(limits=httpx.Limits(max_connections=50, max_keepalive_connections=20))
        return _transport


def http_client() -> httpx.Client:
    """An httpx.Client on the same pooled transport, for anything that is not a provider client."""
    global _client
    transport = http_transport()
    with _lock:
        if _client is None:
            _client = httpx.Client(transport=transport, timeout=timeout(), headers={"User-Agent": USER_AGENT})
        return _client


def use_transport(transport: httpx.BaseTransport | None) -> None:
    """Swap the transport (tests pass an httpx.MockTransport); None goes back to a fresh pooled one."""
    global _transport, _client
    with _lock:
        _transport, _client = transport, None


USER_AGENT = "textback"


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
