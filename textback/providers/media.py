"""A provider's media (voicemail recordings, the pictures and files of an MMS), fetched for staff pages.

Pages never point a browser at a provider's URL: Twilio may ask for the account's credentials (HTTP Basic
auth), and a raw URL would tell every viewer's browser where our media lives. A view of ours checks the
tenant and asks `open_media`, which fetches the file with the account's credentials and passes on only
the kinds of file a page shows (audio, pictures, video, PDF), up to MAX_BYTES.

Where a fetch may go: the first URL must be an https address under twilio.com; Twilio then redirects to its
media CDN (a host on amazonaws.com or twiliocdn.com, which may change), so a redirect may lead to any https
host, but never to a local name, and every connection goes only to a public internet address, checked after
resolving the name and then connected to (registry.public_client). The account's credentials go only to
Twilio's API (api.twilio.com, or TEXTBACK_TWILIO_API_URL), never to the CDN or to another host.
"""

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx
from django.conf import settings

from textback.lib import public_net
from textback.lib.text import whole_number
from textback.lib.urls import is_local
from textback.providers import registry
from textback.providers.credentials import UnreadableCredential

MAX_BYTES = 25 * 1024 * 1024  # Twilio's MMS limit is 5 MB; a long voicemail as MP3 stays well under this
MAX_REDIRECTS = 3  # Twilio answers a media URL with a redirect to its CDN
ALLOWED_PREFIXES = ("audio/", "image/", "video/")
ALLOWED_TYPES = frozenset({"application/pdf"})
REFUSED_TYPES = frozenset({"image/svg+xml"})  # a picture that can carry script


class MediaRefused(Exception):
    """The file is not passed on; the message says why, for the person looking at the page."""

    def __init__(self, message: str, status: int = 502):
        super().__init__(message)
        self.status = status


@dataclass
class Media:
    content_type: str
    length: int | None
    chunks: Iterator[bytes]  # closing it (or reading it to the end) releases the connection


def allowed_type(content_type: str | None) -> str | None:
    """The media type a page may show, lower-cased and without parameters; None for any other."""
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    if kind in REFUSED_TYPES:
        return None
    if kind in ALLOWED_TYPES or (kind.startswith(ALLOWED_PREFIXES) and "/" in kind and not kind.endswith("/")):
        return kind
    return None


def open_media(account, url: str) -> Media:
    """The file at a URL the provider gave us for this account, ready to stream. Raises MediaRefused."""
    from textback.providers.models import SANDBOX, TWILIO

    if account.provider == TWILIO:
        return _twilio(account, url)
    if account.provider == SANDBOX:
        from textback.providers.sandbox import media as sandbox_media

        return sandbox_media.open_media(url)
    raise MediaRefused("This provider's files cannot be shown here.", 404)


# --- Twilio ------------------------------------------------------------------------------------------


def is_twilio_url(url: str) -> bool:
    parts = urlsplit(url or "")
    host = (parts.hostname or "").lower()
    return parts.scheme == "https" and (host == "twilio.com" or host.endswith(".twilio.com"))


def _twilio(account, url: str) -> Media:
    if not is_twilio_url(url):
        raise MediaRefused("textback fetches files only from Twilio's own https addresses.", 403)
    try:
        token = account.auth_token
    except UnreadableCredential:
        raise MediaRefused("The Twilio account's auth token cannot be read (`textback check` says why).") from None
    credentials = base64.b64encode(f"{account.account_sid}:{token}".encode()).decode()
    url = _through_configured_api(url)
    on_the_api = _origin(url) == _origin(settings.TWILIO_API_URL)
    return _fetch(url, {"Authorization": f"Basic {credentials}"} if on_the_api else {}, "Twilio")


def _through_configured_api(url: str) -> str:
    """api.twilio.com is reached at TEXTBACK_TWILIO_API_URL, like every other request to Twilio's API."""
    parts = urlsplit(url)
    if (parts.hostname or "").lower() != "api.twilio.com":
        return url
    return settings.TWILIO_API_URL + parts.path + (f"?{parts.query}" if parts.query else "")


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


def _may_follow(url: str) -> bool:
    """A redirect may lead to another https host on the internet, or stay on the configured API."""
    if _origin(url) == _origin(settings.TWILIO_API_URL):
        return True
    return urlsplit(url).scheme == "https" and not is_local(url)


def _fetch(url: str, headers: dict, provider: str) -> Media:
    """Follow the provider's redirects; `headers` (its credentials) go to the first URL's origin only."""
    client = registry.public_client()
    for _ in range(MAX_REDIRECTS + 1):
        try:
            response = client.send(client.build_request("GET", url, headers=headers), stream=True)
        except public_net.NotPublic as refused:
            raise MediaRefused(
                f"textback does not fetch files from {refused.host}: it resolves to {refused.address}, an address on "
                "this machine or a private network, not the public internet."
            ) from None
        except httpx.HTTPError:
            raise MediaRefused(f"{provider} could not be reached for this file; try again in a minute.") from None
        if not response.is_redirect:
            break
        response.close()
        target = urljoin(url, response.headers.get("Location", ""))
        if not _may_follow(target):
            raise MediaRefused(f"{provider} sent the file on to an address textback does not fetch from.")
        if _origin(target) != _origin(url):
            headers = {}  # the account's credentials are for the provider, not for its CDN
        url = target
    else:
        raise MediaRefused(f"{provider} redirected this file too many times.")
    return _checked(response, provider)


def _checked(response: httpx.Response, provider: str) -> Media:
    if response.status_code != 200:
        response.close()
        gone = " (it may have been deleted there)" if response.status_code == 404 else ""
        raise MediaRefused(f"{provider} answered {response.status_code} for this file{gone}.")
    kind = allowed_type(response.headers.get("Content-Type"))
    if kind is None:
        response.close()
        shown = (response.headers.get("Content-Type") or "none").split(";")[0][:60]
        raise MediaRefused(f"The file is of a kind textback does not show ({shown}).", 415)
    length = declared_length(response.headers.get("Content-Length", ""))
    if length is not None and length > MAX_BYTES:
        response.close()
        raise MediaRefused(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.", 413)
    return Media(kind, length, _capped(response))


def declared_length(text: str) -> int | None:
    """The length a server declared, when it is a number of ASCII digits ("²".isdigit() is True, and int() refuses
    it); a run of digits too long for any number we keep is more than any file we pass on."""
    if text.isascii() and text.isdigit() and len(text) > 18:
        return MAX_BYTES + 1
    return whole_number(text)


def _capped(response: httpx.Response) -> Iterator[bytes]:
    """The body, cut off at MAX_BYTES if the provider sends more than it announced."""
    total = 0
    try:
        for chunk in response.iter_bytes():
            total += len(chunk)
            if total > MAX_BYTES:
                return
            yield chunk
    finally:
        response.close()
