"""Building the provider object for an account, with one shared HTTP client per process."""

import logging
import threading
from urllib.parse import urlsplit

import httpx
from django.conf import settings

from textback.lib import public_net
from textback.lib.urls import is_local
from textback.providers.base import Provider, ProviderError
from textback.providers.credentials import UnreadableCredential

log = logging.getLogger(__name__)
_transport: httpx.BaseTransport | None = None
_client: httpx.Client | None = None
_public: httpx.Client | None = None
_swapped = False  # a test's transport stands in for every connection, the public-only ones too
_lock = threading.Lock()
LIMITS = httpx.Limits(max_connections=50, max_keepalive_connections=20)


def timeout() -> httpx.Timeout:
    """The limits on every phase of a provider request."""
    return httpx.Timeout(settings.PROVIDER_TIMEOUT, connect=min(settings.PROVIDER_TIMEOUT, 5.0))


def http_transport() -> httpx.BaseTransport:
    """The process's pooled connections to provider APIs. Provider clients send through it directly:
    httpx.Client's request building, auth flow and cookie handling cost more CPU than the request itself."""
    global _transport
    with _lock:
        if _transport is None:
            _transport = httpx.HTTPTransport(limits=LIMITS)
        return _transport


def http_client() -> httpx.Client:
    """An httpx.Client on the same pooled transport, for anything that is not a provider client."""
    global _client
    transport = http_transport()
    with _lock:
        if _client is None:
            _client = httpx.Client(transport=transport, timeout=timeout(), headers={"User-Agent": USER_AGENT})
        return _client


def public_client() -> httpx.Client:
    """An httpx.Client for URLs that reach us from outside (a provider's media, and where it redirects): it
    connects only to public internet addresses, checked after resolving (lib/public_net.py), except the
    provider API configured on this machine (TEXTBACK_TWILIO_API_URL at a local stand-in, as in the tests)."""
    global _public
    with _lock:
        if _public is None:
            transport = _transport if _swapped else public_net.transport(configured_api_on_this_machine, LIMITS)
            _public = httpx.Client(transport=transport, timeout=timeout(), headers={"User-Agent": USER_AGENT})
        return _public


def configured_api_on_this_machine(host: str, port: int) -> bool:
    """True for the host and port of TEXTBACK_TWILIO_API_URL when that URL is a local one: the operator's own
    stand-in for Twilio, the only local address a provider's URL may lead to."""
    url = settings.TWILIO_API_URL
    if not is_local(url):
        return False
    parts = urlsplit(url)
    port_of_url = parts.port or (443 if parts.scheme == "https" else 80)
    return (parts.hostname or "").lower() == host.lower() and port_of_url == port


def use_transport(transport: httpx.BaseTransport | None) -> None:
    """Swap the transport (tests pass an httpx.MockTransport); None goes back to fresh pooled ones."""
    global _transport, _client, _public, _swapped
    with _lock:
        _transport, _client, _public, _swapped = transport, None, None, transport is not None


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
