"""bench/missed_calls.py's load generator sends webhooks as Twilio does: a new connection for each."""

import argparse
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.bench import script

missed_calls = script("missed_calls")


class Receiver:
    """A local HTTP/1.1 server that notes each request and the connection it came on."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keeps connections open unless asked to close

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"peer": self.client_address, "headers": self.headers, "body": body})
                self.send_response(200)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", "9")
                self.end_headers()
                self.wfile.write(b"<Hangup/>")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


def calls(receiver, count: int):
    base = f"http://127.0.0.1:{receiver.port}"
    return missed_calls.prepare_calls(base, missed_calls.MAIN_LINE, missed_calls.caller_numbers(count))


def test_each_webhook_goes_on_a_new_connection_that_the_request_asks_to_close(receiver):
    sent = calls(receiver, 3)

    missed_calls.fire(sent, receiver.port, rate=0, concurrency=1, keep_alive=False)

    assert [c.status for c in sent] == [200, 200, 200]
    assert len({r["peer"] for r in receiver.requests}) == 3
    first = receiver.requests[0]
    assert first["headers"]["Connection"] == "close"
    assert first["headers"]["Host"] == f"127.0.0.1:{receiver.port}"
    assert first["headers"]["X-Twilio-Signature"] == sent[0].headers["X-Twilio-Signature"]
    assert first["body"] == sent[0].body
    assert len({r["headers"]["I-Twilio-Idempotency-Token"] for r in receiver.requests}) == 3


def test_keep_alive_sends_every_webhook_of_a_sender_on_one_connection(receiver):
    sent = calls(receiver, 3)

    missed_calls.fire(sent, receiver.port, rate=0, concurrency=1, keep_alive=True)

    assert [c.status for c in sent] == [200, 200, 200]
    assert len({r["peer"] for r in receiver.requests}) == 1


def test_the_load_generator_reports_the_cpu_it_used(receiver):
    assert missed_calls.fire(calls(receiver, 5), receiver.port, rate=0, concurrency=2, keep_alive=False) > 0


def layout(**overrides) -> argparse.Namespace:
    return argparse.Namespace(
        **{"web_processes": 2, "workers": 2, "sqlite_processes": 1, "keep_alive": False, **overrides}
    )


def test_the_postgresql_budgets_apply_only_to_two_web_processes_and_two_workers_on_new_connections():
    assert missed_calls.Conditions.of("postgres", layout(), 0).postgres_at(0)
    assert not missed_calls.Conditions.of("postgres", layout(), 100).postgres_at(0)
    assert not missed_calls.Conditions.of("postgres", layout(workers=1), 0).postgres_at(0)
    assert not missed_calls.Conditions.of("postgres", layout(keep_alive=True), 0).postgres_at(0)
    assert not missed_calls.Conditions.of("sqlite", layout(), 0).postgres_at(0)


def test_the_sqlite_budgets_apply_only_to_the_one_process_embedded_layout():
    assert missed_calls.Conditions.of("sqlite", layout(), 200).embedded_at(200)
    assert not missed_calls.Conditions.of("sqlite", layout(sqlite_processes=2), 200).embedded_at(200)


def test_phases_are_given_as_a_list_of_rates():
    assert missed_calls.rates("0,100") == [0.0, 100.0]
    for wrong in ["fast", "-5", ""]:
        with pytest.raises(argparse.ArgumentTypeError):
            missed_calls.rates(wrong)
