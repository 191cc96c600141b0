"""A real local HTTP server that receives textback's outgoing alert webhooks, as a customer's system would.

It keeps every POST (headers and raw body) and answers with `status` (200 unless a test says otherwise);
`verify(secret, request)` checks a signed JSON alert the way the README tells receivers to.
`SilentEndpoint` is the other kind of endpoint: one that takes the connection and never answers.
"""

import hashlib
import hmac
import json
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Delivery:
    path: str
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


def verify(secret: str, delivery: Delivery, *, now: float | None = None, max_skew: int = 300) -> bool:
    """What a receiver does: recompute HMAC-SHA256 of '<timestamp>.<raw body>' and compare in constant time."""
    timestamp = delivery.headers.get("X-Textback-Timestamp", "")
    signature = delivery.headers.get("X-Textback-Signature", "")
    if not timestamp.isdigit() or abs((now or time.time()) - int(timestamp)) > max_skew:
        return False
    expected = (
        "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + delivery.body, hashlib.sha256).hexdigest()
    )
    return hmac.compare_digest(expected, signature)


class WebhookReceiver:
    def __init__(self) -> None:
        self.received: list[Delivery] = []
        self.status = 200
        self.delay = 0.0  # seconds to wait before answering (a slow endpoint)
        self.headers: dict[str, str] = {}  # sent with each answer, e.g. {"Retry-After": "30"}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver.lock:
                    receiver.received.append(Delivery(self.path, dict(self.headers.items()), body))
                if receiver.delay:
                    time.sleep(receiver.delay)
                try:
                    self.send_response(receiver.status)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", "2")
                    for name, value in receiver.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(b"ok")
                except (BrokenPipeError, ConnectionResetError):  # the sender gave up waiting (a timeout test)
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def start(self) -> "WebhookReceiver":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count: int = 1, timeout: float = 10.0) -> list[Delivery]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.05)
        raise AssertionError(f"expected {count} webhook post(s), got {len(self.received)}")


class SilentEndpoint:
    """A real local socket that accepts connections, reads what is sent, and never answers: a webhook
    endpoint whose server hangs. It counts the connections open at once (`open`, `most_open`)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.open = self.most_open = self.accepted = 0
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook"

    def start(self) -> "SilentEndpoint":
        self.thread.start()
        return self

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.open += 1
                self.accepted += 1
                self.most_open = max(self.most_open, self.open)
            threading.Thread(target=self._hold, args=(conn,), daemon=True).start()

    def _hold(self, conn: socket.socket) -> None:
        """Read until the sender gives up and closes; never write a byte."""
        with conn:
            try:
                while conn.recv(65536):
                    pass
            except OSError:
                pass
        with self.lock:
            self.open -= 1

    def stop(self) -> None:
        self.stopping.set()
        self.sock.close()
