"""Twilio's Messages REST API over httpx: send one SMS, or find one we may have sent already."""

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from textback.providers.base import OutgoingSms, ProviderError, Submitted
from textback.providers.twilio import errors

API_VERSION = "2010-04-01"
MAX_VALIDITY = 36000  # seconds; Twilio's upper bound for ValidityPeriod


class TwilioClient:
    name = "twilio"

    def __init__(self, account_sid: str, auth_token: str, http: httpx.Client, api_url: str):
        self.account_sid = account_sid
        self.auth = (account_sid, auth_token)
        self.http = http
        self.messages_url = f"{api_url}/{API_VERSION}/Accounts/{account_sid}/Messages.json"

    def send_sms(self, sms: OutgoingSms) -> Submitted:
        data = {"To": sms.to, "From": sms.from_, "Body": sms.body}
        if sms.status_callback:
            data["StatusCallback"] = sms.status_callback
        if sms.valid_for_seconds:
            data["ValidityPeriod"] = str(min(max(sms.valid_for_seconds, 1), MAX_VALIDITY))
        response = self._request("POST", self.messages_url, data=data)
        payload = self._json(response)
        return Submitted(provider_message_id=payload["sid"], status=payload.get("status", "queued"))

    def find_sent(self, sms: OutgoingSms, since: datetime) -> list[Submitted]:
        """Twilio keeps no reference of ours on a message, so match on To, From, body and creation time.

        The body may carry a prefix Twilio adds (trial accounts: "Sent from your Twilio trial account - ").
        """
        params = {"To": sms.to, "From": sms.from_, "PageSize": "50"}
        payload = self._json(self._request("GET", self.messages_url, params=params))
        found = [
            message
            for message in payload.get("messages", [])
            if (message.get("body") or "").endswith(sms.body) and _created(message) >= since
        ]
        found.sort(key=_created)
        return [Submitted(provider_message_id=m["sid"], status=m.get("status") or "queued") for m in found]

    def _request(self, method: str, url: str, **kwargs) -> httpx.Response:
        try:
            response = self.http.request(method, url, auth=self.auth, **kwargs)
        except httpx.TimeoutException as exc:
            # A read or write timeout may mean Twilio got the request; a connect timeout cannot.
            maybe = not isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout))
            raise ProviderError(f"Twilio did not answer in time ({type(exc).__name__})", maybe_sent=maybe) from None
        except httpx.TransportError as exc:
            maybe = not isinstance(exc, httpx.ConnectError)
            raise ProviderError(f"could not reach Twilio ({type(exc).__name__})", maybe_sent=maybe) from None
        if response.status_code >= 400:
            raise _error(response)
        return response

    @staticmethod
    def _json(response: httpx.Response) -> dict:
        try:
            return response.json()
        except ValueError:
            raise ProviderError(
                f"Twilio answered HTTP {response.status_code} with a body that is not JSON", maybe_sent=True
            ) from None


def _error(response: httpx.Response) -> ProviderError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    code = str(body.get("code") or "")
    permanent, consequence = errors.classify(code, response.status_code)
    text = body.get("message") or response.reason_phrase or "error"
    return ProviderError(
        f"Twilio HTTP {response.status_code}: {text}",
        code=code,
        permanent=permanent,
        consequence=consequence,
        maybe_sent=response.status_code >= 500,  # a server error may come after the message was created
    )


def _created(message: dict) -> datetime:
    try:
        return parsedate_to_datetime(message.get("date_created") or "")
    except (TypeError, ValueError):
        return datetime.min.replace(tzinfo=UTC)
