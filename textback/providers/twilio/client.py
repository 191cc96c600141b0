"""Twilio's REST API over httpx: every request textback makes to Twilio goes through TwilioClient.

It sends texts and finds one an earlier attempt may have sent (the Provider
interface the outbox uses), and it reads the account and its numbers and sets
a number's webhooks (for `textback check --online` and `--configure-provider`).
"""

import base64
import functools
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlencode

import httpx

from textback.lib.http_headers import retry_after
from textback.providers.base import OutgoingSms, ProviderError, Submitted
from textback.providers.twilio import errors, ids

API_VERSION = "2010-04-01"
MAX_VALIDITY = 36000  # seconds; Twilio's upper bound for ValidityPeriod
# Reconciliation reads at most RECONCILE_PAGES pages of RECONCILE_PAGE_SIZE texts from the line to the caller,
# newest first. 300 texts from one line to one person since a text was queued happen only in a loop of automatic
# replies (which Twilio stops itself, error 30039); and three requests of at most TEXTBACK_PROVIDER_TIMEOUT
# (10 s) each end well within the worker's 60 s lease, so no other worker takes the text over meanwhile.
RECONCILE_PAGE_SIZE = 100
RECONCILE_PAGES = 3
INBOUND_SAMPLE = 20  # recent incoming texts read to see whether a number is in a Messaging Service


class TwilioError(ProviderError):
    """A ProviderError that keeps the HTTP status of Twilio's answer; `reached` is False when none came."""

    def __init__(self, message: str, *, status: int | None = None, reached: bool = True, **kwargs):
        super().__init__(message, **kwargs)
        self.status = status
        self.reached = reached

    @property
    def refused_credentials(self) -> bool:
        return self.status == 401


class TwilioClient:
    name = "twilio"

    def __init__(self, account_sid: str, auth_token: str, transport: httpx.BaseTransport, api_url: str, timeout=None):
        self.account_sid = account_sid
        credentials = base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()
        self.headers = {"Authorization": f"Basic {credentials}", "User-Agent": "textback"}
        self.transport = transport
        self.timeout = (timeout or httpx.Timeout(10.0, connect=5.0)).as_dict()
        self.api_url = api_url.rstrip("/")
        self.account_url = f"{self.api_url}/{API_VERSION}/Accounts/{account_sid}"
        self.messages_url = f"{self.account_url}/Messages.json"

    @classmethod
    def for_account(cls, account) -> "TwilioClient":
        """The client for a ProviderAccount, on the process's shared HTTP client."""
        from django.conf import settings

        from textback.providers import registry

        return cls(
            account.account_sid, account.auth_token, registry.http_transport(), settings.TWILIO_API_URL,
            registry.timeout(),
        )  # fmt: skip

    # --- texts (the Provider interface) ---------------------------------------------------

    def send_sms(self, sms: OutgoingSms) -> Submitted:
        data = {"To": sms.to, "From": sms.from_, "Body": sms.body}
        if sms.status_callback:
            data["StatusCallback"] = sms.status_callback
        if sms.valid_for_seconds:
            data["ValidityPeriod"] = str(min(max(sms.valid_for_seconds, 1), MAX_VALIDITY))
        payload = self._call("POST", self.messages_url, data=data)
        return Submitted(provider_message_id=payload["sid"], status=payload.get("status", "queued"))

    def find_sent(self, sms: OutgoingSms, since: datetime) -> list[Submitted]:
        """Twilio keeps no reference of ours on a message, so match on To, From, body and creation time.

        Twilio lists newest first, a page at a time; we read on until a page holds
        nothing created since `since`. No DateSent filter: a text still queued at
        Twilio has no date_sent and would be missed. The body may carry a prefix
        Twilio adds (trial accounts: "Sent from your Twilio trial account - ").
        """
        url, params = self.messages_url, {"To": sms.to, "From": sms.from_, "PageSize": str(RECONCILE_PAGE_SIZE)}
        found = []
        for _ in range(RECONCILE_PAGES):
            payload = self._call("GET", url, params=params)
            recent = [m for m in _items(payload, "messages") if created_at(m) >= since]
            found += [m for m in recent if m.get("sid") and (m.get("body") or "").endswith(sms.body)]
            url, params = self._next_page(payload), None
            if not recent or url is None:
                found.sort(key=created_at)
                return [Submitted(provider_message_id=m["sid"], status=m.get("status") or "queued") for m in found]
        raise TwilioError(
            f"more than {RECONCILE_PAGES * RECONCILE_PAGE_SIZE} texts from {sms.from_} to {sms.to} since "
            f"{since.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC: cannot rule out that this one went out already, so it is not sent again",
            permanent=True,
        )

    # --- the account and its numbers ----------------------------------------------------------

    def fetch_account(self) -> dict:
        """The Account resource (status, type, owner_account_sid), without the auth token Twilio includes."""
        payload = self._call("GET", f"{self.account_url}.json")
        payload.pop("auth_token", None)  # never let it travel further than this line
        return payload

    def find_number(self, phone_number: str) -> dict | None:
        """The account's IncomingPhoneNumber resource for exactly this E.164 number, or None."""
        url = f"{self.account_url}/IncomingPhoneNumbers.json"
        payload = self._call("GET", url, params={"PhoneNumber": phone_number})
        # The filter matches parts of numbers too ("+1512555010" finds +15125550100…109), so compare.
        return next(
            (n for n in _items(payload, "incoming_phone_numbers") if n.get("phone_number") == phone_number), None
        )

    def fetch_number(self, sid: str) -> dict:
        return self._call("GET", self._number_url(sid))

    def update_number(self, sid: str, params: dict[str, str]) -> dict:
        """POST the given IncomingPhoneNumber parameters; Twilio answers with the number as it is now."""
        return self._call("POST", self._number_url(sid), data=params)

    def fetch_application(self, sid: str) -> dict:
        """A TwiML App (Application resource): its own voice and status callback URLs replace the number's."""
        return self._call("GET", f"{self.account_url}/Applications/{_checked(sid, ids.APPLICATION_SID)}.json")

    def inbound_messages(self, phone_number: str) -> list[dict]:
        """The most recent texts the number received (newest first), at most INBOUND_SAMPLE."""
        params = {"To": phone_number, "PageSize": str(INBOUND_SAMPLE)}
        payload = self._call("GET", self.messages_url, params=params)
        return [m for m in _items(payload, "messages") if m.get("direction") == "inbound"]

    # --- HTTP -----------------------------------------------------------------------------------

    def _number_url(self, sid: str) -> str:
        return f"{self.account_url}/IncomingPhoneNumbers/{_checked(sid, ids.PHONE_NUMBER_SID)}.json"

    def _next_page(self, payload: dict) -> str | None:
        """The URL of the next page, only ever on our API host and under this account (it carries our credentials)."""
        uri = payload.get("next_page_uri")
        if not uri:
            return None
        if not isinstance(uri, str) or not uri.startswith(f"/{API_VERSION}/Accounts/{self.account_sid}/"):
            raise TwilioError(f"Twilio's next_page_uri {str(uri)[:100]!r} is not a page of this account")
        return self.api_url + uri

    def _call(self, method: str, url: str, **kwargs) -> dict:
        return _json(self._request(method, url, **kwargs))

    def _request(
        self, method: str, url: str, *, params: dict | None = None, data: dict | None = None
    ) -> httpx.Response:
        """One request, straight to the transport: Basic auth, a form body, no redirects, no cookies."""
        headers = self.headers
        content = None
        if data is not None:
            headers = {**headers, "Content-Type": "application/x-www-form-urlencoded"}
            content = urlencode(data).encode()
        request = httpx.Request(
            method,
            httpx.URL(url, params=params) if params else _url(url),  # params=None would drop url's own query
            headers=headers,
            content=content,
            extensions={"timeout": self.timeout},
        )
        try:
            response = self.transport.handle_request(request)
            try:
                response.read()
            finally:
                response.close()
        except httpx.TimeoutException as exc:
            # A read or write timeout may mean Twilio got the request; a connect timeout cannot.
            maybe = not isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout))
            raise TwilioError(
                f"Twilio at {self.api_url} did not answer in time ({type(exc).__name__})",
                maybe_sent=maybe,
                reached=False,
            ) from None
        except httpx.TransportError as exc:
            maybe = not isinstance(exc, httpx.ConnectError)
            raise TwilioError(
                f"could not reach Twilio at {self.api_url} ({type(exc).__name__})", maybe_sent=maybe, reached=False
            ) from None
        if response.status_code >= 400:
            raise _error(response)
        return response


@functools.lru_cache(maxsize=1024)
def _url(url: str) -> httpx.URL:
    """A parsed URL: the same few (an account's Messages.json) are requested all the time."""
    return httpx.URL(url)


def _checked(sid: str, pattern) -> str:
    """A SID that goes into a URL path: only ever one in Twilio's form."""
    if not isinstance(sid, str) or not pattern.fullmatch(sid):
        raise TwilioError(f"{str(sid)[:40]!r} is not a SID Twilio would give", permanent=True)
    return sid


def _json(response: httpx.Response) -> dict:
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        raise TwilioError(
            f"Twilio answered HTTP {response.status_code} with a body that is not a JSON object",
            status=response.status_code,
            maybe_sent=True,
        )
    return payload


def _items(payload: dict, key: str) -> list[dict]:
    items = payload.get(key)
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def _error(response: httpx.Response) -> TwilioError:
    try:
        body = response.json()
    except ValueError:
        body = None
    body = body if isinstance(body, dict) else {}
    code = str(body.get("code") or "")
    permanent, consequence = errors.classify(code, response.status_code)
    text = body.get("message") or response.reason_phrase or "error"
    wait = None
    if response.status_code in (429, 503):
        wait = retry_after(response.headers.get("Retry-After"), datetime.now(UTC))
    return TwilioError(
        f"Twilio HTTP {response.status_code}: {text}",
        status=response.status_code,
        code=code,
        permanent=permanent,
        consequence=consequence,
        maybe_sent=response.status_code >= 500,  # a server error may come after the message was created
        retry_after=wait,
    )


def created_at(message: dict) -> datetime:
    """When Twilio created a message (its date_created, RFC 2822); long ago when it is missing or unreadable."""
    try:
        created = parsedate_to_datetime(message.get("date_created") or "")
    except (TypeError, ValueError):
        return datetime.min.replace(tzinfo=UTC)
    return created if created.tzinfo else created.replace(tzinfo=UTC)
