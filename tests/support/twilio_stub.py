"""A local HTTP server standing in for the parts of api.twilio.com textback uses.

It keeps every request it receives and answers the way Twilio documents
(resource shapes as in Twilio's OpenAPI description of its 2010-04-01 API):

- Messages: creates messages (201 with the message resource) and lists them
  newest first, a page at a time with next_page_uri, filtered by To and From;
  it can be told to fail the next POSTs (with headers such as Retry-After) or
  to hold them, so tests and benchmarks see what a real textback process sends
  over a real socket;
- Accounts/{Sid}.json, IncomingPhoneNumbers (list, fetch, update) and
  Applications/{Sid}.json, for the accounts, numbers and TwiML Apps a test
  gives it. Requests for an account it was given must carry that account's
  Basic credentials (401 otherwise); accounts it was not given are not checked,
  so a test about sending needs no set-up;
- media (a voicemail recording, an MMS picture): the bytes a test gives it with `give_media`, at that
  URL path, or a redirect elsewhere; the same Basic credentials are required. These requests are kept
  in `media_requests`, apart from the REST API requests that are checked against Twilio's OpenAPI
  description (which describes the media's JSON metadata, not the files).
"""

import base64
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

API = "/2010-04-01"
MESSAGES = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/Messages\.json$")
ACCOUNT = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})\.json$")
NUMBERS = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/IncomingPhoneNumbers\.json$")
NUMBER = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/IncomingPhoneNumbers/(PN[0-9a-fA-F]{32})\.json$")
APPLICATION = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/Applications/(AP[0-9a-fA-F]{32})\.json$")
DEFAULT_PAGE_SIZE = 50  # Twilio's

# IncomingPhoneNumber update parameters the stub applies, and the resource field each sets.
NUMBER_PARAMS = {
    "FriendlyName": "friendly_name",
    "VoiceUrl": "voice_url",
    "VoiceMethod": "voice_method",
    "VoiceFallbackUrl": "voice_fallback_url",
    "VoiceFallbackMethod": "voice_fallback_method",
    "StatusCallback": "status_callback",
    "StatusCallbackMethod": "status_callback_method",
    "SmsUrl": "sms_url",
    "SmsMethod": "sms_method",
    "SmsFallbackUrl": "sms_fallback_url",
    "SmsFallbackMethod": "sms_fallback_method",
    "VoiceApplicationSid": "voice_application_sid",
    "SmsApplicationSid": "sms_application_sid",
    "TrunkSid": "trunk_sid",
}


def rfc2822(moment: datetime | None = None) -> str:
    """A time as Twilio writes it: 'Thu, 30 Jul 2015 23:19:04 +0000'."""
    return format_datetime((moment or datetime.now(UTC)).astimezone(UTC), usegmt=False)


def new_sid(prefix: str) -> str:
    return prefix + uuid.uuid4().hex


@dataclass
class Received:
    method: str
    path: str
    query: str
    headers: dict
    body: bytes
    at: float

    @property
    def url(self) -> str:
        return self.path + (f"?{self.query}" if self.query else "")

    @property
    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode(), keep_blank_values=True).items()}


@dataclass
class TwilioStub:
    host: str = "127.0.0.1"
    port: int = 0
    requests: list[Received] = field(default_factory=list)
    messages: list[dict] = field(default_factory=list)
    failures: list[tuple] = field(default_factory=list)  # (status, body[, headers]) served, in order, to the next POSTs
    number_failures: list[tuple] = field(default_factory=list)  # the same, for IncomingPhoneNumber updates
    hold: threading.Event | None = None  # when set to an unset Event, POSTs wait for it after being recorded
    record_requests: bool = True
    accounts: dict[str, dict] = field(default_factory=dict)  # SID → Account resource (with its auth_token)
    numbers: list[dict] = field(default_factory=list)  # IncomingPhoneNumber resources
    applications: list[dict] = field(default_factory=list)  # Application (TwiML App) resources
    media: dict[str, tuple] = field(default_factory=dict)  # path → (status, headers, body)
    media_requests: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else each response waits ~40 ms for the client's delayed ACK

            def log_message(self, *args):  # keep test output quiet
                pass

            def do_POST(self):
                stub._handle(self)

            def do_GET(self):
                stub._handle(self)

        self.server = ThreadingHTTPServer((self.host, self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> "TwilioStub":
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.hold is not None:
            self.hold.set()
        self.server.shutdown()
        self.server.server_close()

    # --- what tests give it -------------------------------------------------------------------

    def add_account(
        self, sid: str, token: str, *, owner: str | None = None, type: str = "Full", status: str = "active"
    ) -> dict:
        """An account whose requests must carry its Basic credentials; `owner` makes it a sub-account."""
        now = rfc2822()
        account = {
            "auth_token": token,
            "date_created": now,
            "date_updated": now,
            "friendly_name": f"Account {sid[-6:]}",
            "owner_account_sid": owner or sid,
            "sid": sid,
            "status": status,
            "subresource_uris": {
                name: f"{API}/Accounts/{sid}/{path}.json"
                for name, path in (
                    ("incoming_phone_numbers", "IncomingPhoneNumbers"),
                    ("messages", "Messages"),
                    ("applications", "Applications"),
                    ("calls", "Calls"),
                )
            },
            "type": type,
            "uri": f"{API}/Accounts/{sid}.json",
        }
        self.accounts[sid] = account
        return account

    def give_number(self, account_sid: str, phone_number: str, **fields) -> dict:
        """An IncomingPhoneNumber of the account, unconfigured (as Twilio sells it) unless fields say otherwise."""
        sid, now = new_sid("PN"), rfc2822()
        resource = {
            "account_sid": account_sid,
            "address_sid": None,
            "address_requirements": "none",
            "api_version": "2010-04-01",
            "beta": False,
            "capabilities": {"voice": True, "sms": True, "mms": True, "fax": False},
            "date_created": now,
            "date_updated": now,
            "friendly_name": phone_number,
            "identity_sid": None,
            "phone_number": phone_number,
            "origin": "twilio",
            "sid": sid,
            "sms_application_sid": "",
            "sms_fallback_method": "POST",
            "sms_fallback_url": "",
            "sms_method": "POST",
            "sms_url": "https://demo.twilio.com/welcome/sms/reply",  # what a newly bought number answers with
            "status_callback": "",
            "status_callback_method": "POST",
            "trunk_sid": None,
            "uri": f"{API}/Accounts/{account_sid}/IncomingPhoneNumbers/{sid}.json",
            "voice_receive_mode": "voice",
            "voice_application_sid": "",
            "voice_caller_id_lookup": False,
            "voice_fallback_method": "POST",
            "voice_fallback_url": None,
            "voice_method": "POST",
            "voice_url": "https://demo.twilio.com/welcome/voice/",
            "emergency_status": "Inactive",
            "emergency_address_sid": None,
            "emergency_address_status": "unregistered",
            "bundle_sid": None,
            "status": "in-use",
            "type": "local",
        }
        resource.update(fields)
        with self._lock:
            self.numbers.append(resource)
        return resource

    def give_application(self, account_sid: str, **fields) -> dict:
        sid, now = new_sid("AP"), rfc2822()
        app = {
            "account_sid": account_sid,
            "api_version": "2010-04-01",
            "date_created": now,
            "date_updated": now,
            "friendly_name": "Their call flow",
            "message_status_callback": None,
            "sid": sid,
            "sms_fallback_method": "POST",
            "sms_fallback_url": None,
            "sms_method": "POST",
            "sms_status_callback": None,
            "sms_url": None,
            "status_callback": None,
            "status_callback_method": "POST",
            "uri": f"{API}/Accounts/{account_sid}/Applications/{sid}.json",
            "voice_caller_id_lookup": False,
            "voice_fallback_method": "POST",
            "voice_fallback_url": None,
            "voice_method": "POST",
            "voice_url": "https://their-ivr.example/answer",
            "public_application_connect_enabled": False,
            **fields,
        }
        self.applications.append(app)
        return app

    def give_media(self, path: str, body: bytes, content_type: str, *, status: int = 200, headers=None) -> str:
        """A file at `path` (e.g. /2010-04-01/Accounts/AC…/Recordings/RE…); returns its api.twilio.com URL."""
        self.media[path] = (status, {"Content-Type": content_type, **(headers or {})}, body)
        return f"https://api.twilio.com{path}"

    def redirect_media(self, path: str, location: str) -> str:
        self.media[path] = (307, {"Location": location}, b"")
        return f"https://api.twilio.com{path}"

    def preload(self, account_sid: str, to: str, from_: str, body: str, *, created: datetime, **fields) -> dict:
        """A message Twilio already holds (sent before the test, or received: direction='inbound')."""
        fields = {"status": "delivered", **fields}
        message = self._message(account_sid, to, from_, body, created=created, **fields)
        with self._lock:
            self.messages.append(message)
        return message

    def receive(self, account_sid: str, to: str, from_: str, body: str, *, created: datetime, **fields) -> dict:
        """A text Twilio received for one of the account's numbers."""
        fields = {"direction": "inbound", "status": "received", **fields}
        message = self._message(account_sid, to, from_, body, created=created, **fields)
        with self._lock:
            self.messages.append(message)
        return message

    # --- what tests look at -----------------------------------------------------------------

    def sent(self, to: str | None = None) -> list[Received]:
        """POSTs to Messages.json, optionally only those to one number."""
        with self._lock:
            posts = [r for r in self.requests if r.method == "POST" and MESSAGES.match(r.path)]
        return [r for r in posts if to is None or r.form.get("To") == to]

    def wait_for(self, count: int, to: str | None = None, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self._sent_locked(to)) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._arrived.wait(remaining)
        return self.sent(to)

    def _sent_locked(self, to):
        return [
            r
            for r in self.requests
            if r.method == "POST" and MESSAGES.match(r.path) and (to is None or r.form.get("To") == to)
        ]

    def number(self, phone_number: str) -> dict | None:
        with self._lock:
            return next((dict(n) for n in self.numbers if n["phone_number"] == phone_number), None)

    # --- serving ---------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        received = Received(handler.command, parts.path, parts.query, dict(handler.headers), body, time.time())
        match = MESSAGES.match(parts.path)
        if match and handler.command == "POST":  # the hot path: a text-back
            return self._create_message(handler, received, match.group(1))
        if handler.command == "GET" and parts.path in self.media:
            return self._serve_media(handler, received)
        self._remember(received)
        account_sid = (
            parts.path.split("/")[3].removesuffix(".json") if parts.path.startswith(f"{API}/Accounts/") else ""
        )
        if self._refused(account_sid, handler.headers.get("Authorization", "")):
            return self._reply(handler, 401, _error(20003, "Authenticate", 401))
        query = parse_qs(parts.query)
        if match:
            return self._reply(handler, 200, self._list_messages(match.group(1), parts.path, query))
        return self._resource(handler, received, query)

    def _serve_media(self, handler, received: Received) -> None:
        with self._lock:
            self.media_requests.append(received)
        account_sid = received.path.split("/")[3] if received.path.startswith(f"{API}/Accounts/") else ""
        if self._refused(account_sid, handler.headers.get("Authorization", "")):
            return self._reply(handler, 401, _error(20003, "Authenticate", 401))
        status, headers, body = self.media[received.path]
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def _resource(self, handler, received: Received, query: dict) -> None:
        path, get = received.path, handler.command == "GET"
        if (found := ACCOUNT.match(path)) and get:
            account = self.accounts.get(found.group(1))
            return self._found(handler, dict(account) if account else None)
        if (found := NUMBERS.match(path)) and get:
            return self._reply(handler, 200, self._list_numbers(found.group(1), path, query))
        if found := NUMBER.match(path):
            number = self._number_of(found.group(1), found.group(2))
            if get or number is None:
                return self._found(handler, number)
            return self._update_number(handler, number, received.form)
        if (found := APPLICATION.match(path)) and get:
            app = next((a for a in self.applications if a["sid"] == found.group(2)), None)
            return self._found(handler, app if app and app["account_sid"] == found.group(1) else None)
        return self._reply(handler, 404, _error(20404, "The requested resource was not found", 404))

    def _found(self, handler, resource: dict | None) -> None:
        if resource is None:
            return self._reply(handler, 404, _error(20404, "The requested resource was not found", 404))
        return self._reply(handler, 200, resource)

    def _refused(self, account_sid: str, authorization: str) -> bool:
        account = self.accounts.get(account_sid)
        if account is None:
            return False
        expected = base64.b64encode(f"{account_sid}:{account['auth_token']}".encode()).decode()
        return authorization != f"Basic {expected}"

    def _create_message(self, handler, received: Received, account_sid: str) -> None:
        with self._arrived:
            if self.record_requests:
                self.requests.append(received)
            failure = self.failures.pop(0) if self.failures else None
            resource = None
            if not failure:
                form = received.form
                resource = self._message(account_sid, form.get("To"), form.get("From"), form.get("Body"))
                self.messages.append(resource)
            self._arrived.notify_all()
        if self.hold is not None:
            self.hold.wait(60)
        if failure:
            return self._reply(handler, *failure)
        return self._reply(handler, 201, resource)

    def _remember(self, received: Received) -> None:
        with self._lock:
            if self.record_requests:
                self.requests.append(received)

    @staticmethod
    def _message(account_sid, to, from_, body, *, created: datetime | None = None, **fields) -> dict:
        sid, when = new_sid("SM"), rfc2822(created)
        return {
            "account_sid": account_sid,
            "api_version": "2010-04-01",
            "body": body,
            "date_created": when,
            "date_sent": None,
            "date_updated": when,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": from_,
            "messaging_service_sid": None,
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued",
            "subresource_uris": {"media": f"{API}/Accounts/{account_sid}/Messages/{sid}/Media.json"},
            "to": to,
            "uri": f"{API}/Accounts/{account_sid}/Messages/{sid}.json",
            **fields,
        }

    def _list_messages(self, account_sid: str, path: str, query: dict) -> dict:
        to, from_ = query.get("To", [None])[0], query.get("From", [None])[0]
        with self._lock:
            found = [
                m
                for m in self.messages
                if m["account_sid"] == account_sid
                and (to is None or m["to"] == to)
                and (from_ is None or m["from"] == from_)
            ]
        found.sort(key=lambda m: parsedate_to_datetime(m["date_created"]), reverse=True)  # newest first
        filters = {key: query[key][0] for key in ("To", "From") if key in query}
        return _page(path, "messages", found, filters, query)

    def _list_numbers(self, account_sid: str, path: str, query: dict) -> dict:
        wanted = query.get("PhoneNumber", [""])[0]
        with self._lock:
            found = [dict(n) for n in self.numbers if n["account_sid"] == account_sid and wanted in n["phone_number"]]
        filters = {"PhoneNumber": wanted} if wanted else {}
        return _page(path, "incoming_phone_numbers", found, filters, query)

    def _number_of(self, account_sid: str, sid: str) -> dict | None:
        with self._lock:
            return next((dict(n) for n in self.numbers if n["sid"] == sid and n["account_sid"] == account_sid), None)

    def _update_number(self, handler, number: dict, form: dict[str, str]) -> None:
        """Apply an update as Twilio does: an empty SID clears the reference; a trunk and a voice app exclude each other."""
        failure = self.number_failures.pop(0) if self.number_failures else None
        if failure:
            return self._reply(handler, *failure)
        with self._lock:
            stored = next(n for n in self.numbers if n["sid"] == number["sid"])
            for param, value in form.items():
                if param in NUMBER_PARAMS:
                    stored[NUMBER_PARAMS[param]] = value if value or param != "TrunkSid" else None
            if form.get("TrunkSid"):
                stored["voice_application_sid"] = ""
            if form.get("VoiceApplicationSid"):
                stored["trunk_sid"] = None
            stored["date_updated"] = rfc2822()
            updated = dict(stored)
        return self._reply(handler, 200, updated)

    @staticmethod
    def _reply(handler: BaseHTTPRequestHandler, status: int, payload: dict, headers: dict | None = None) -> None:
        data = json.dumps(payload).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client died while we held the request
            pass


def _error(code: int, message: str, status: int) -> dict:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def _page(path: str, key: str, items: list[dict], filters: dict, query: dict) -> dict:
    """One page of a list, with Twilio's paging fields; next_page_uri carries the filters, the page and a token."""
    size = min(max(int(query.get("PageSize", [DEFAULT_PAGE_SIZE])[0]), 1), 1000)
    page = max(int(query.get("Page", ["0"])[0]), 0)
    start = page * size
    chunk = items[start : start + size]

    def uri(number: int, token: bool = False) -> str:
        params = {**filters, "PageSize": size, "Page": number}
        if token:
            params["PageToken"] = f"PA{uuid.uuid4().hex}"
        return f"{path}?{urlencode(params)}"

    return {
        key: chunk,
        "end": start + max(len(chunk) - 1, 0),
        "first_page_uri": uri(0),
        "next_page_uri": uri(page + 1, token=True) if start + size < len(items) else None,
        "page": page,
        "page_size": size,
        "previous_page_uri": uri(page - 1, token=True) if page > 0 else None,
        "start": start,
        "uri": uri(page),
    }
