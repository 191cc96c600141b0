"""A local HTTP server standing in for api.twilio.com's Messages API.

It keeps every request it receives, creates messages the way Twilio does
(201 with a JSON message resource), lists them back for reconciliation, and
can be told to fail or to hold requests, so tests and benchmarks see what a
real textback process sends over a real socket.
"""

import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

MESSAGES = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/Messages\.json$")


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
    failures: list[tuple[int, dict]] = field(default_factory=list)  # served, in order, to the next POSTs
    hold: threading.Event | None = None  # when set to an unset Event, POSTs wait for it after being recorded
    record_requests: bool = True

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

    # --- what tests look at ---------------------------------------------------------------

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

    # --- serving ---------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        received = Received(handler.command, parts.path, parts.query, dict(handler.headers), body, time.time())
        match = MESSAGES.match(parts.path)
        if not match:
            return self._reply(handler, 404, {"code": 20404, "message": "not found", "status": 404})
        if handler.command == "GET":
            self._remember(received)
            return self._reply(handler, 200, self._list(match.group(1), parse_qs(parts.query)))
        with self._arrived:
            if self.record_requests:
                self.requests.append(received)
            failure = self.failures.pop(0) if self.failures else None
            resource = None if failure else self._create(match.group(1), received.form)
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

    def _create(self, account_sid: str, form: dict[str, str]) -> dict:
        now = format_datetime(datetime.now(UTC), usegmt=False)
        resource = {
            "sid": "SM" + uuid.uuid4().hex,
            "account_sid": account_sid,
            "to": form.get("To"),
            "from": form.get("From"),
            "body": form.get("Body"),
            "status": "queued",
            "direction": "outbound-api",
            "num_segments": "1",
            "date_created": now,
            "date_updated": now,
            "date_sent": None,
            "error_code": None,
            "error_message": None,
            "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{account_sid}/Messages.json",
        }
        self.messages.append(resource)
        return resource

    def _list(self, account_sid: str, query: dict) -> dict:
        to, from_ = query.get("To", [None])[0], query.get("From", [None])[0]
        with self._lock:
            found = [
                m
                for m in reversed(self.messages)
                if m["account_sid"] == account_sid
                and (to is None or m["to"] == to)
                and (from_ is None or m["from"] == from_)
            ]
        return {"messages": found, "page": 0, "page_size": len(found), "next_page_uri": None}

    @staticmethod
    def _reply(handler: BaseHTTPRequestHandler, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client died while we held the request
            pass
