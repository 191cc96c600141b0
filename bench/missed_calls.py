"""Measure textback against the budgets of ARCHITECTURE §8: signed missed-call webhooks in, texts out.

    .venv/bin/python bench/missed_calls.py                      # both databases, each budget's phase
    .venv/bin/python bench/missed_calls.py --db postgres --rate 0               # throughput, CPU, commits
    .venv/bin/python bench/missed_calls.py --db sqlite --rate 100 --delay 1     # + due-time lateness

The load is shaped as Twilio sends it: 2,000 signed carrier-forwarded missed calls per phase from
16 concurrent senders, each webhook on a new TCP connection (`--keep-alive` to reuse them).
Each run starts real processes through tests/support/harness.py: `textback serve` with its
in-process worker on SQLite, or `textback serve --no-worker` plus `textback worker` processes on
PostgreSQL. A Twilio stub (tests/support/twilio_stub.py) runs in its own process so that its
arrival clock never waits for the load generator's GIL. One line is in carrier-forwarding mode
without voicemail, so ONE webhook (/hooks/twilio/voice) is one missed call that must be texted.
See bench/README.md for how to read the output.
"""

import argparse
import json
import math
import multiprocessing
import os
import queue
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.client import HTTPConnection, HTTPException
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import phonenumbers  # noqa: E402

from tests.support.harness import Database, System, new_database, seed_business  # noqa: E402
from tests.support.twilio_stub import MESSAGES, TwilioStub  # noqa: E402
from textback.providers.twilio.tests.helpers import fixture, signed  # noqa: E402

POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432"
MAIN_LINE = "+15125550102"  # carrier forwarding, no voicemail, delay 0
DELAYED_LINE = "+15125550103"  # the same with --delay D
ACCOUNT_SID = fixture("voice_incoming")["AccountSid"]  # the fixtures are signed for this account
AUTH_TOKEN = "5ca1ab1e" * 4  # any 32 hex digits
WARMUP_CALLS = 20

# ARCHITECTURE §8. Each applies only to a run made under its conditions (see budget_rows).
BUDGETS = {
    "webhook_p99_ms": 50.0,  # at 200 webhooks/s, embedded SQLite default
    "textback_p99_ms": 250.0,  # missed call → provider request at 100 calls/s offered, PostgreSQL budget layout
    "sqlite_textback_p99_ms": 1000.0,  # the same on the embedded SQLite default
    "lateness_p99_ms": 100.0,  # a due text fires within 100 ms of its due time
    "calls_per_s": 250.0,  # PostgreSQL, 2 web + 2 workers, as fast as the senders go (on the way to 500)
    "cpu_ms_per_call": 8.0,  # textback processes + PostgreSQL backends (aim: 5)
    "commits_per_call": 4.0,  # xact_commit of the bench database
    "rss_mb": 250.0,  # one-process embedded default
}
AIM_CPU_MS_PER_CALL = 5.0
# One phase per budget condition: as fast as possible (throughput, CPU, commits) and 100/s on
# PostgreSQL; 100/s (missed call → provider) and 200/s (webhook latency) on SQLite.
DEFAULT_RATES = {"postgres": [0.0, 100.0], "sqlite": [100.0, 200.0]}
TEXTBACK_CPU = ("textback serve", "textback worker", "postgres backends")  # what the CPU budget counts


# --- arguments ----------------------------------------------------------------------------


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--calls", type=int, default=2000, help="missed calls per phase (default 2000)")
    parser.add_argument(
        "--rate",
        type=rates,
        default=None,
        metavar="R[,R…]",
        help="one phase per rate: webhooks/s offered, open loop; 0 = as fast as the senders go "
        "(default: postgres 0,100; sqlite 100,200)",
    )
    parser.add_argument("--grace", type=float, default=30.0, help="seconds to wait for texts after the last webhook")
    parser.add_argument(
        "--concurrency",
        "--connections",
        dest="concurrency",
        type=int,
        default=16,
        help="concurrent senders, i.e. webhooks in flight at most (default 16)",
    )
    parser.add_argument(
        "--keep-alive",
        action="store_true",
        help="each sender keeps one connection open (default: a new TCP connection per webhook, as Twilio makes)",
    )
    parser.add_argument("--workers", type=int, default=2, help="`textback worker` processes (PostgreSQL)")
    parser.add_argument("--web-processes", type=int, default=2, help="textback serve web processes (PostgreSQL)")
    parser.add_argument(
        "--sqlite-processes",
        type=int,
        default=1,
        help="`textback serve` web processes on SQLite, each with its outbox thread (default 1)",
    )
    parser.add_argument("--threads", type=int, default=4, help="threads per web process (serve's default)")
    parser.add_argument(
        "--delay", type=int, default=None, metavar="D", help="also measure a line with --delay D seconds"
    )
    parser.add_argument("--delay-calls", type=int, default=200, help="calls to the delayed line (default 200)")
    parser.add_argument("--delay-rate", type=float, default=100.0, help="webhooks/s to the delayed line (default 100)")
    parser.add_argument("--postgres", default=POSTGRES_SERVER, help="PostgreSQL server URL (no database name)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the data directory (logs) and say where it is")
    parser.add_argument(
        "--py-spy",
        metavar="DIR",
        help="profile every textback process during the timed phase "
        "(collapsed stacks in DIR; needs `pip install py-spy` in the venv; perturbs the figures)",
    )
    return parser.parse_args(argv)


def rates(text: str) -> list[float]:
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give webhooks/s as numbers, e.g. 0,100") from None
    if not values or any(v < 0 for v in values):
        raise argparse.ArgumentTypeError(f"{text!r}: give one or more rates ≥ 0, e.g. 0,100")
    return values


# --- callers and requests -----------------------------------------------------------------


def caller_numbers(count: int) -> list[str]:
    """Distinct, valid US mobile-style numbers +1 512 NXX XXXX (never a line or staff number)."""
    numbers, index = [], 0
    while len(numbers) < count:
        exchange, subscriber = 200 + index // 10000, index % 10000
        index += 1
        if exchange % 100 == 11 or exchange == 555:  # N11 service codes; 555 holds our own lines
            continue
        number = f"+1512{exchange}{subscriber:04d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(number)):
            numbers.append(number)
    return numbers


@dataclass
class Call:
    """One missed call: a caller and the signed webhook announcing it (prepared before timing)."""

    caller: str
    body: bytes
    headers: dict
    request: bytes  # the whole HTTP request with Connection: close, for a new connection per webhook
    intended: float = 0.0  # when the open-loop schedule wanted it sent (time.time())
    sent: float = 0.0
    done: float = 0.0
    status: int = 0
    error: str = ""
    retried: bool = False


VOICE_PATH = "/hooks/twilio/voice"


def prepare_calls(base_url: str, line: str, numbers: list[str]) -> list[Call]:
    calls = []
    for number in numbers:
        fields = fixture(
            "voice_incoming", CallSid="CA" + uuid.uuid4().hex, From=number, Caller=number, To=line, Called=line
        )
        _url, body, headers = signed(base_url, "voice", fields, AUTH_TOKEN)
        headers = {**headers, "I-Twilio-Idempotency-Token": str(uuid.uuid4()), "User-Agent": "TwilioProxy/1.1"}
        calls.append(Call(number, body, headers, raw_request(base_url.split("//", 1)[1], body, headers)))
    return calls


def raw_request(host: str, body: bytes, headers: dict) -> bytes:
    """The bytes of one POST to /voice that asks the server to close the connection after answering."""
    lines = [f"POST {VOICE_PATH} HTTP/1.1", f"Host: {host}", *(f"{k}: {v}" for k, v in headers.items())]
    lines += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1") + body


# --- the Twilio stub, in its own process --------------------------------------------------


def _stub_main(conn) -> None:
    """Child process: serve the stub and answer the parent's questions over a pipe."""
    stub = TwilioStub(record_requests=True).start()
    # The stub writes a response's headers and body in two send()s; with Nagle on, the body waits
    # for the client's delayed ACK and every text costs ~40 ms more than against the real API.
    stub.server.RequestHandlerClass.disable_nagle_algorithm = True
    conn.send(stub.url)
    while True:
        command = conn.recv()
        if command == "count":
            conn.send(len(stub.messages))  # one per POST: no failures are injected here
        elif command == "arrivals":
            posts = [r for r in list(stub.requests) if r.method == "POST" and MESSAGES.match(r.path)]
            conn.send([(r.form.get("To", ""), r.at) for r in posts])
        elif command == "stop":
            stub.stop()
            conn.send(None)
            return


class StubProcess:
    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_stub_main, args=(child,), daemon=True, name="twilio-stub")
        self.process.start()
        self.url = self.conn.recv()
        self._lock = threading.Lock()

    def ask(self, command: str):
        with self._lock:
            self.conn.send(command)
            return self.conn.recv()

    def stop(self) -> None:
        self.ask("stop")
        self.process.join(10)


# --- processes: memory and CPU ------------------------------------------------------------


def _children() -> dict[int, list[int]]:
    """Every process's children, from the parent pid in /proc/<pid>/stat."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    return children


def process_trees(roots: list[int], children: dict[int, list[int]] | None = None) -> list[int]:
    """The roots and all their descendants."""
    children = _children() if children is None else children
    tree, todo = [], list(roots)
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def _status_kb(pid: int, key: str, path: str = "status") -> int:
    try:
        for line in Path(f"/proc/{pid}/{path}").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def memory_mb(roots: list[int], children: dict[int, list[int]]) -> tuple[float, float]:
    """(RSS, PSS) in MB summed over the process trees of roots."""
    pids = process_trees(roots, children)
    rss = sum(_status_kb(pid, "VmRSS") for pid in pids)
    pss = sum(_status_kb(pid, "Pss", "smaps_rollup") for pid in pids)
    return rss / 1024, pss / 1024


def cpu_ticks(pids: list[int]) -> dict[int, int]:
    """user + system CPU consumed so far by each process, in clock ticks."""
    ticks = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks[pid] = int(fields[11]) + int(fields[12])  # utime, stime
    return ticks


def cpu_used(before: dict[int, int], after: dict[int, int]) -> float:
    """CPU seconds between two cpu_ticks() readings; a process that started in between counts whole."""
    return sum(ticks - before.get(pid, 0) for pid, ticks in after.items()) / os.sysconf("SC_CLK_TCK")


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies over all CPUs, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


class MemorySampler(threading.Thread):
    """Samples the RSS/PSS of some process trees every `interval` seconds; keeps the peaks."""

    def __init__(self, groups: dict[str, list[int]], interval: float = 0.5):
        super().__init__(daemon=True, name="memory-sampler")
        self.groups, self.interval = groups, interval
        self.peak = {name: (0.0, 0.0) for name in groups}
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(self.interval):
            children = _children()
            for name, roots in self.groups.items():
                rss, pss = memory_mb(roots, children)
                self.peak[name] = (max(self.peak[name][0], rss), max(self.peak[name][1], pss))

    def stop(self) -> dict[str, tuple[float, float]]:
        self.stopping.set()
        self.join()
        return self.peak


class Profiler:
    """`py-spy record` attached to each textback process; stopped (and written out) with SIGINT."""

    def __init__(self, directory: str | None, label: str, groups: dict[str, list[int]]):
        self.spies: list[subprocess.Popen] = []
        self.directory, self.label, self.groups = directory, label, groups

    def start(self) -> None:
        if not self.directory:
            return
        Path(self.directory).mkdir(parents=True, exist_ok=True)
        executable = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        for name, roots in self.groups.items():
            for pid in process_trees(roots) if name.startswith("textback") else []:
                output = Path(self.directory) / f"{self.label}-{name.replace(' ', '-')}-{pid}.txt"
                self.spies.append(
                    subprocess.Popen(
                        [
                            executable,
                            "record",
                            "--pid",
                            str(pid),
                            "--rate",
                            "100",
                            "--format",
                            "raw",
                            "--nonblocking",
                            "--output",
                            str(output),
                        ],
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                )

    def stop(self) -> None:
        for spy in self.spies:
            spy.send_signal(signal.SIGINT)
        for spy in self.spies:
            spy.wait(30)


# --- the load generator -------------------------------------------------------------------


class Sender(threading.Thread):
    """Posts the calls it is handed and notes when: each on a new connection, as Twilio does, or
    (keep_alive) on one connection it keeps open."""

    IDLE_RECONNECT = 1.5  # a connection idle this long is replaced, well inside any server's keep-alive

    def __init__(self, port: int, work: queue.Queue, keep_alive: bool):
        super().__init__(daemon=True)
        self.port, self.work, self.keep_alive = port, work, keep_alive
        self.conn, self.last_used = None, 0.0
        self.cpu = 0.0  # CPU seconds this thread used, so the load generator's own cost is known

    def run(self) -> None:
        started = time.thread_time()
        while (call := self.work.get()) is not None:
            call.sent = time.time()
            try:
                call.status = self._post(call) if self.keep_alive else self._post_once(call)
            except (OSError, HTTPException, ValueError) as exc:
                call.error = f"{type(exc).__name__}: {exc}"
                self._close()
            call.done = time.time()
        self._close()
        self.cpu = time.thread_time() - started

    def _post_once(self, call: Call) -> int:
        """Connect, send the prepared bytes, read until the server closes: no HTTP parsing in Python."""
        response = bytearray()
        with socket.create_connection(("127.0.0.1", self.port), timeout=60) as sock:
            sock.sendall(call.request)
            while chunk := sock.recv(65536):
                response += chunk
        if not response.startswith(b"HTTP/1."):
            raise HTTPException(f"not an HTTP response: {bytes(response[:40])!r}")
        return int(response.split(b" ", 2)[1])

    def _post(self, call: Call) -> int:
        if self.conn is None or time.monotonic() - self.last_used > self.IDLE_RECONNECT:
            self._connect()
        try:
            return self._exchange(call)
        except (ConnectionResetError, BrokenPipeError, HTTPException):
            # The server closed a kept-alive connection before reading this request: send it again.
            call.retried = True
            self._connect()
            return self._exchange(call)

    def _exchange(self, call: Call) -> int:
        self.conn.request("POST", "/hooks/twilio/voice", body=call.body, headers=call.headers)
        response = self.conn.getresponse()
        response.read()
        self.last_used = time.monotonic()
        return response.status

    def _connect(self) -> None:
        self._close()
        self.conn = HTTPConnection("127.0.0.1", self.port, timeout=60)
        self.conn.connect()
        self.last_used = time.monotonic()

    def _close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def fire(calls: list[Call], port: int, rate: float, concurrency: int, keep_alive: bool) -> float:
    """Open loop: hand call i to the sender pool at start + i/rate (all at once when rate is 0).

    Returns the CPU seconds the load generator used (the senders and this dispatching thread)."""
    dispatching = time.thread_time()
    work: queue.Queue = queue.Queue()
    senders = [Sender(port, work, keep_alive) for _ in range(max(1, min(concurrency, len(calls))))]
    for sender in senders:
        sender.start()
    start = time.time() + 0.05
    for index, call in enumerate(calls):
        call.intended = start + (index / rate if rate > 0 else 0.0)
        pause = call.intended - time.time()
        if pause > 0:
            time.sleep(pause)
        work.put(call)
    for _ in senders:
        work.put(None)
    for sender in senders:
        sender.join()
    return time.thread_time() - dispatching + sum(sender.cpu for sender in senders)


# --- starting textback --------------------------------------------------------------------


def seed(system: System, delay: int | None) -> None:
    """A business, a Twilio account and carrier-forwarding lines, through the CLI verbs (as tests/e2e)."""
    account = seed_business(system, ACCOUNT_SID, AUTH_TOKEN)
    # Thousands of calls an hour from one business: past the default caps on automatic texts (200 an hour).
    # With no cap the counters are still read and written for every call, so their cost is measured.
    system.cli("business", "set", "alpha", "--texts-per-hour", "0", "--texts-per-day", "0")
    common = [
        "--business",
        "alpha",
        "--account",
        account,
        "--staff-name",
        "Mike",
        "--no-voicemail",
        "--mode",
        "carrier_forward",
    ]
    system.cli("line", "add", *common, "--number", MAIN_LINE)
    if delay is not None:
        system.cli("line", "add", *common, "--number", DELAYED_LINE, "--delay", str(delay))


def start_textback(engine: str, args, directory: Path, stub_url: str) -> System:
    database = new_database(directory, args.postgres if engine == "postgres" else None)
    system = System(database=database, data_dir=directory, twilio_api_url=stub_url)
    seed(system, args.delay)
    if engine == "sqlite":
        system.start_web(with_worker=True, web_processes=args.sqlite_processes, threads=args.threads)
    else:
        system.start_web(with_worker=False, web_processes=args.web_processes, threads=args.threads)
        for _ in range(args.workers):
            system.start_worker()
    return system


# --- PostgreSQL: backends and pg_stat_database ----------------------------------------------


class PostgresMonitor:
    """Watches the bench database from the server's `postgres` database, so that watching adds
    nothing to the bench database's own counters."""

    COUNTERS = ("xact_commit", "xact_rollback", "tup_inserted", "tup_updated", "tup_deleted")
    # An idle backend flushes its pending counters at most PGSTAT_IDLE_INTERVAL (10 s) after its
    # last transaction, and pg_stat_force_next_flush() only reaches the backend that calls it.
    IDLE_FLUSH_SECONDS = 10.5

    def __init__(self, database: Database) -> None:
        import psycopg

        server, self.name = database.url.rsplit("/", 1)
        self.conn = psycopg.connect(f"{server}/postgres", autocommit=True)

    def backend_pids(self) -> list[int]:
        rows = self.conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.name,)).fetchall()
        return [pid for (pid,) in rows]

    def listeners(self) -> int:
        sql = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND query LIKE 'LISTEN%%'"
        return self.conn.execute(sql, (self.name,)).fetchone()[0]

    def counters(self) -> dict[str, int]:
        self.conn.execute("SELECT pg_stat_clear_snapshot()")
        sql = f"SELECT {', '.join(self.COUNTERS)} FROM pg_stat_database WHERE datname = %s"
        return dict(zip(self.COUNTERS, self.conn.execute(sql, (self.name,)).fetchone(), strict=True))

    def settled_counters(self, quiet_since: float, timeout: float = 30.0) -> dict[str, int]:
        """The counters once every backend has flushed what it did before quiet_since (time.time())."""
        time.sleep(max(0.0, quiet_since + self.IDLE_FLUSH_SECONDS - time.time()))
        last, deadline = self.counters(), time.monotonic() + timeout
        while time.monotonic() < deadline:
            time.sleep(1.0)
            current = self.counters()
            if current == last:
                return current
            last = current
        return last

    def wait_for_listeners(self, workers: int, timeout: float = 60.0) -> None:
        """Every `textback worker` is up once it LISTENs for outbox notifications."""
        deadline = time.monotonic() + timeout
        while self.listeners() < workers:
            if time.monotonic() > deadline:
                raise RuntimeError(f"only some of {workers} workers came up")
            time.sleep(0.2)

    def close(self) -> None:
        self.conn.close()


# --- one measured phase -------------------------------------------------------------------


def wait_for_texts(stub: StubProcess, total: int, grace: float) -> None:
    """Until the stub has received `total` texts in all, or grace seconds have passed."""
    deadline = time.monotonic() + grace
    while stub.ask("count") < total and time.monotonic() < deadline:
        time.sleep(0.1)


def warm_up(system: System, stub: StubProcess, numbers: list[str], args) -> None:
    """A few calls first, so imports, connections and caches are not part of the figures."""
    calls = prepare_calls(system.url, MAIN_LINE, numbers)
    before = stub.ask("count")
    fire(calls, system.port, rate=50, concurrency=4, keep_alive=args.keep_alive)
    wait_for_texts(stub, before + len(calls), 30)


@dataclass
class Window:
    """Clocks and counters read at the start and end of a timed phase."""

    load_before: tuple = ()
    load_after: tuple = ()
    cpu: dict = field(default_factory=dict)  # name → CPU seconds used during the phase
    machine_busy: float = 0.0  # fraction of all CPUs busy
    counters_after: dict = field(default_factory=dict)  # pg_stat_database, settled
    pg: dict = field(default_factory=dict)  # pg_stat_database counter → increase during the phase


def cpu_snapshot(groups: dict[str, list[int]], monitor: PostgresMonitor | None) -> dict[str, dict[int, int]]:
    children = _children()
    snapshot = {name: cpu_ticks(process_trees(roots, children)) for name, roots in groups.items()}
    if monitor:  # the server's backends for this database do part of every call's work
        snapshot["postgres backends"] = cpu_ticks(monitor.backend_pids())
    return snapshot


def run_timed(calls, rate: float, system: System, args, groups, stub, monitor, counters_before) -> Window:
    """Send one phase's calls, wait for their texts; CPU, load and (PostgreSQL) counters around it."""
    window = Window(load_before=os.getloadavg())
    texts_before = stub.ask("count")
    profiler = Profiler(args.py_spy, f"{'postgres' if monitor else 'sqlite'}-{rate:g}", groups)
    profiler.start()
    cpu_before, ticks_before, process_before = cpu_snapshot(groups, monitor), machine_ticks(), time.process_time()
    generator = fire(calls, system.port, rate, args.concurrency, args.keep_alive)
    wait_for_texts(stub, texts_before + len(calls), args.grace)
    time.sleep(0.2)  # the worker records the last texts just after the stub has them
    cpu_after, ticks_after, process_after = cpu_snapshot(groups, monitor), machine_ticks(), time.process_time()
    profiler.stop()
    window.cpu = {name: cpu_used(cpu_before.get(name, {}), ticks) for name, ticks in cpu_after.items()}
    window.cpu["load generator"] = generator
    window.cpu["bench process"] = process_after - process_before  # the generator + sampling + bookkeeping
    busy, total = (after - before for after, before in zip(ticks_after, ticks_before, strict=True))
    window.machine_busy = busy / total if total else 0.0
    window.load_after = os.getloadavg()
    if monitor:
        window.counters_after = monitor.settled_counters(time.time())
        window.pg = {key: window.counters_after[key] - counters_before[key] for key in monitor.COUNTERS}
    return window


# --- figures ------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float | None:
    """Nearest rank: the smallest value with at least p% of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def spread(values: list[float]) -> dict:
    """p50, p99 and max of values given in seconds, in milliseconds."""
    figures = {"p50": percentile(values, 50), "p99": percentile(values, 99), "max": max(values, default=None)}
    return {k: None if v is None else round(v * 1000, 2) for k, v in figures.items()}


def arrivals_by_caller(arrivals: list[tuple[str, float]]) -> dict[str, list[float]]:
    by_caller: dict[str, list[float]] = {}
    for to, at in arrivals:
        by_caller.setdefault(to, []).append(at)
    return by_caller


def delivery_figures(calls: list[Call], by_caller: dict[str, list[float]]) -> dict:
    latencies = [min(by_caller[c.caller]) - c.sent for c in calls if c.caller in by_caller]
    texted = [c for c in calls if c.caller in by_caller]
    first_sent = min(c.sent for c in calls)
    last_text = max((max(by_caller[c.caller]) for c in texted), default=first_sent)
    return {
        "missed_call_to_provider_ms": spread(latencies),
        "texted": len(texted),
        "lost": len(calls) - len(texted),
        "duplicated": sum(1 for c in calls if len(by_caller.get(c.caller, [])) > 1),
        "provider_requests_per_s": round(
            sum(len(by_caller.get(c.caller, [])) for c in calls) / max(last_text - first_sent, 1e-9), 1
        ),
        "end_to_end_calls_per_s": round(len(texted) / max(last_text - first_sent, 1e-9), 1),
    }


def webhook_figures(calls: list[Call]) -> dict:
    ok = [c for c in calls if c.status == 200]
    first, last_sent = min(c.sent for c in calls), max(c.sent for c in calls)
    last_done = max(c.done for c in calls)
    return {
        "webhook_ms": spread([c.done - c.sent for c in ok]),
        "webhook_from_schedule_ms": spread([c.done - c.intended for c in ok]),
        "queued_for_sender_ms": spread([c.sent - c.intended for c in calls]),
        "sent_calls_per_s": round(len(calls) / max(last_sent - first, 1e-9), 1),
        "webhook_responses_per_s": round(len(ok) / max(last_done - first, 1e-9), 1),
        "webhook_failures": len(calls) - len(ok),
        "webhook_errors": sorted({c.error or f"HTTP {c.status}" for c in calls if c.status != 200})[:5],
        "keep_alive_resends": sum(c.retried for c in calls),
    }


def cpu_figures(window: Window, calls: int) -> dict:
    per_call = {name: round(1000 * seconds / calls, 2) for name, seconds in window.cpu.items()}
    return {
        "cpu_ms_per_call": per_call,
        "textback_cpu_ms_per_call": round(sum(per_call.get(name, 0.0) for name in TEXTBACK_CPU), 2),
    }


def postgres_figures(window: Window, calls: int) -> dict:
    if not window.pg:
        return {}
    return {
        "pg_stat_per_call": {key: round(value / calls, 2) for key, value in window.pg.items()},
        "pg_stat": window.pg,
    }


def as_aware(value) -> datetime:
    if isinstance(value, str):  # SQLite stores timestamps as text, in UTC
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def lateness_figures(database: Database, calls: list[Call], by_caller: dict[str, list[float]]) -> dict:
    rows = database.query(
        "SELECT c.number, o.due_at FROM outbox_outboxitem o JOIN messaging_message m ON m.id = o.message_id "
        "JOIN messaging_contact c ON c.id = m.contact_id JOIN providers_line l ON l.id = m.line_id "
        "WHERE l.number = %s",
        (DELAYED_LINE,),
    )
    due = {number: as_aware(at).timestamp() for number, at in rows}
    late = [min(by_caller[c.caller]) - due[c.caller] for c in calls if c.caller in by_caller and c.caller in due]
    return {
        "lateness_ms": spread(late),
        "texted": len(late),
        "lost": len(calls) - len(late),
        "duplicated": sum(1 for c in calls if len(by_caller.get(c.caller, [])) > 1),
    }


def decisions(database: Database) -> dict[str, int]:
    rows = database.query(
        "SELECT decision, decision_reason, count(*) FROM calls_call GROUP BY decision, decision_reason"
    )
    return {f"{decision or 'undecided'}:{reason or '-'}": count for decision, reason, count in rows}


# --- one database, start to finish --------------------------------------------------------


def process_groups(system: System, stub: StubProcess) -> dict[str, list[int]]:
    groups = {"textback serve": [system.web.pid], "twilio stub": [stub.process.pid]}
    if system.workers:
        groups["textback worker"] = [worker.pid for worker in system.workers]
    return groups


def delayed_phase(system: System, stub: StubProcess, args, numbers: list[str]) -> list[Call]:
    calls = prepare_calls(system.url, DELAYED_LINE, numbers)
    before = stub.ask("count")
    fire(calls, system.port, args.delay_rate, args.concurrency, args.keep_alive)
    wait_for_texts(stub, before + len(calls), args.delay + args.grace)
    return calls


def measure(engine: str, args, stub: StubProcess, directory: Path) -> dict:
    print(f"\n== {engine}: starting textback …", flush=True)
    system = start_textback(engine, args, directory, stub.url)
    monitor = PostgresMonitor(system.database) if system.database.is_postgres else None
    try:
        if monitor:
            monitor.wait_for_listeners(args.workers)
        return measure_system(engine, system, args, stub, monitor)
    finally:
        if monitor:
            monitor.close()
        system.stop()
        if system.database.is_postgres:
            system.database.drop()


@dataclass
class Phase:
    rate: float
    calls: list[Call]
    window: Window
    peaks: dict


def measure_system(engine: str, system: System, args, stub: StubProcess, monitor) -> dict:
    phase_rates = args.rate or DEFAULT_RATES[engine]
    delay_calls = args.delay_calls if args.delay is not None else 0
    numbers = iter(caller_numbers(WARMUP_CALLS + args.calls * len(phase_rates) + delay_calls))
    warm_up(system, stub, [next(numbers) for _ in range(WARMUP_CALLS)], args)
    groups = process_groups(system, stub)
    counters = monitor.settled_counters(time.time()) if monitor else {}
    phases = []
    for rate in phase_rates:
        calls = prepare_calls(system.url, MAIN_LINE, [next(numbers) for _ in range(args.calls)])
        print(f"== {engine}: {len(calls)} calls {pace(rate)}, {senders(args)} …", flush=True)
        sampler = MemorySampler(groups)
        sampler.start()
        window = run_timed(calls, rate, system, args, groups, stub, monitor, counters)
        phases.append(Phase(rate, calls, window, sampler.stop()))
        counters = window.counters_after
    delayed = []
    if args.delay is not None:
        print(f"== {engine}: {args.delay_calls} calls to the line with --delay {args.delay} …", flush=True)
        delayed = delayed_phase(system, stub, args, list(numbers))
    by_caller = arrivals_by_caller(stub.ask("arrivals"))
    return assemble(engine, system, args, phases, delayed, by_caller)


def layout(engine: str, args) -> str:
    if engine == "sqlite":
        return f"textback serve ({args.sqlite_processes} web process(es), in-process worker)"
    return f"textback serve --no-worker ({args.web_processes} web processes) + {args.workers} textback worker"


def assemble(engine, system, args, phases: list[Phase], delayed, by_caller) -> dict:
    result = {
        "engine": engine,
        "layout": layout(engine, args),
        "concurrency": args.concurrency,
        "connections": "keep-alive" if args.keep_alive else "new per webhook",
        "phases": [phase_figures(phase, by_caller) for phase in phases],
        "decisions": decisions(system.database),
    }
    if delayed:
        result["delayed"] = {"delay_s": args.delay, **lateness_figures(system.database, delayed, by_caller)}
    return result


def phase_figures(phase: Phase, by_caller) -> dict:
    calls, window = phase.calls, phase.window
    return {
        "rate": phase.rate,
        "calls": len(calls),
        **webhook_figures(calls),
        **delivery_figures(calls, by_caller),
        **cpu_figures(window, len(calls)),
        **postgres_figures(window, len(calls)),
        "memory_peak_mb": {n: {"rss": round(rss, 1), "pss": round(pss, 1)} for n, (rss, pss) in phase.peaks.items()},
        "machine_cpu_busy": round(window.machine_busy, 3),
        "loadavg_before": window.load_before,
        "loadavg_after": window.load_after,
    }


# --- the report ---------------------------------------------------------------------------


def verdict(value, limit, applies: bool, below: bool = True) -> str:
    if value is None:
        return "no data"
    if not applies:
        return "(info)"
    return "PASS" if (value < limit if below else value >= limit) else "FAIL"


def at_most(value, limit, applies: bool) -> str:
    return verdict(value, limit + 1e-9, applies)


def ms(figures: dict) -> str:
    return " / ".join("-" if figures[k] is None else f"{figures[k]:.1f}" for k in ("p50", "p99", "max")) + " ms"


@dataclass
class Conditions:
    """Which budgets a phase was run under the conditions of."""

    postgres_layout: bool  # PostgreSQL, 2 web processes + 2 workers
    embedded: bool  # SQLite, one `textback serve` process
    twilio_shape: bool  # a new connection per webhook
    rate: float

    @classmethod
    def of(cls, engine: str, args, rate: float) -> "Conditions":
        return cls(
            postgres_layout=engine == "postgres" and args.web_processes == 2 and args.workers == 2,
            embedded=engine == "sqlite" and args.sqlite_processes == 1,
            twilio_shape=not args.keep_alive,
            rate=rate,
        )

    def postgres_at(self, rate: float) -> bool:
        return self.postgres_layout and self.twilio_shape and self.rate == rate

    def embedded_at(self, rate: float) -> bool:
        return self.embedded and self.twilio_shape and self.rate == rate


def budget_rows(engine: str, p: dict, args) -> list[tuple[str, str, str, str]]:
    c = Conditions.of(engine, args, p["rate"])
    serve_rss = p["memory_peak_mb"]["textback serve"]["rss"]
    rows = [
        (
            "webhook latency p50/p99/max",
            ms(p["webhook_ms"]),
            "p99 < 50 ms at 200/s, SQLite embedded",
            verdict(p["webhook_ms"]["p99"], BUDGETS["webhook_p99_ms"], c.embedded_at(200)),
        ),
        delivery_row(engine, p, c),
        (
            "end-to-end missed calls/s",
            f"{p['end_to_end_calls_per_s']:.1f}",
            "≥ 250/s (on the way to 500), PostgreSQL 2 web + 2 workers, max rate",
            verdict(p["end_to_end_calls_per_s"], BUDGETS["calls_per_s"], c.postgres_at(0), below=False),
        ),
        (
            "CPU per call, textback" + (" + PostgreSQL backends" if engine == "postgres" else ""),
            f"{p['textback_cpu_ms_per_call']:.2f} ms",
            f"≤ 8 ms (aim {AIM_CPU_MS_PER_CALL:g}), PostgreSQL 2 web + 2 workers, max rate",
            at_most(p["textback_cpu_ms_per_call"], BUDGETS["cpu_ms_per_call"], c.postgres_at(0)),
        ),
    ]
    if "pg_stat_per_call" in p:
        rows.append(
            (
                "commits per call (pg_stat_database)",
                f"{p['pg_stat_per_call']['xact_commit']:.2f}",
                "≤ 4, PostgreSQL 2 web + 2 workers, max rate",
                at_most(p["pg_stat_per_call"]["xact_commit"], BUDGETS["commits_per_call"], c.postgres_at(0)),
            )
        )
    return rows + [
        ("lost", str(p["lost"]), "0", "PASS" if p["lost"] == 0 else "FAIL"),
        ("duplicated", str(p["duplicated"]), "0", "PASS" if p["duplicated"] == 0 else "FAIL"),
        (
            "peak RSS, serve tree",
            f"{serve_rss:.1f} MB",
            "< 250 MB, SQLite embedded",
            verdict(serve_rss, BUDGETS["rss_mb"], c.embedded),
        ),
    ]


def delivery_row(engine: str, p: dict, c: Conditions) -> tuple[str, str, str, str]:
    p99 = p["missed_call_to_provider_ms"]["p99"]
    if engine == "sqlite":
        budget, applies, limit = "p99 < 1 s at 100/s, SQLite embedded", c.embedded_at(100), "sqlite_textback_p99_ms"
    else:
        budget, applies, limit = (
            "p99 < 250 ms at 100/s, PostgreSQL 2 web + 2 workers",
            c.postgres_at(100),
            "textback_p99_ms",
        )
    return (
        "missed call → provider p50/p99/max",
        ms(p["missed_call_to_provider_ms"]),
        budget,
        verdict(p99, BUDGETS[limit], applies),
    )


def lateness_rows(r: dict) -> list[tuple[str, str, str, str]]:
    if "delayed" not in r:
        return []
    d = r["delayed"]
    return [
        (
            f"due-time lateness (--delay {d['delay_s']})",
            ms(d["lateness_ms"]),
            "p99 < 100 ms",
            verdict(d["lateness_ms"]["p99"], BUDGETS["lateness_p99_ms"], True),
        ),
        (
            "delayed texts lost / duplicated",
            f"{d['lost']} / {d['duplicated']}",
            "0 / 0",
            "PASS" if d["lost"] == 0 and d["duplicated"] == 0 else "FAIL",
        ),
    ]


def info_rows(p: dict) -> list[tuple[str, str]]:
    memory = ", ".join(f"{name} {m['rss']:.0f} MB (PSS {m['pss']:.0f})" for name, m in p["memory_peak_mb"].items())
    cpu = ", ".join(f"{name} {v:.2f}" for name, v in p["cpu_ms_per_call"].items())
    rows = [
        ("calls/s offered → sent", f"{p['rate'] or 'max'} → {p['sent_calls_per_s']:.1f}"),
        ("webhook responses/s", f"{p['webhook_responses_per_s']:.1f}"),
        ("provider requests/s", f"{p['provider_requests_per_s']:.1f}"),
        ("webhook latency from schedule", ms(p["webhook_from_schedule_ms"])),
        ("queued for a free sender", ms(p["queued_for_sender_ms"])),
        ("webhook failures", f"{p['webhook_failures']} {'; '.join(p['webhook_errors'])}".strip()),
        ("keep-alive resends", str(p["keep_alive_resends"])),
        ("texted / calls", f"{p['texted']} / {p['calls']}"),
        ("CPU ms per call", cpu),
    ]
    if "pg_stat_per_call" in p:
        stat = p["pg_stat_per_call"]
        rows.append(
            (
                "pg_stat_database per call",
                f"commits {stat['xact_commit']:.2f}, rollbacks {stat['xact_rollback']:.2f}, rows inserted "
                f"{stat['tup_inserted']:.2f}, updated {stat['tup_updated']:.2f}, deleted {stat['tup_deleted']:.2f}",
            )
        )
    return rows + [
        ("peak memory", memory),
        ("machine CPU busy", f"{100 * p['machine_cpu_busy']:.0f}% of {os.cpu_count()} CPUs"),
        ("load average before → after", f"{fmt_load(p['loadavg_before'])} → {fmt_load(p['loadavg_after'])}"),
    ]


def fmt_load(load) -> str:
    return " ".join(f"{x:.2f}" for x in load)


def print_table(rows: list[tuple[str, str, str, str]]) -> None:
    widths = [max(len(row[i]) for row in rows + [("figure", "measured", "budget", "")]) for i in range(3)]
    print(f"{'figure':<{widths[0]}}  {'measured':<{widths[1]}}  {'budget':<{widths[2]}}  verdict")
    for name, value, budget, outcome in rows:
        print(f"{name:<{widths[0]}}  {value:<{widths[1]}}  {budget:<{widths[2]}}  {outcome}")


def pace(rate: float) -> str:
    return f"at {rate:g}/s offered" if rate else "as fast as the senders go"


def senders(args) -> str:
    return f"{args.concurrency} senders, " + (
        "keep-alive connections" if args.keep_alive else "a new connection per webhook"
    )


def print_report(r: dict, args) -> None:
    for p in r["phases"]:
        print(f"\n### {r['engine']}: {r['layout']}")
        print(f"### {p['calls']} calls {pace(p['rate'])}, {senders(args)}")
        print_table(budget_rows(r["engine"], p, args))
        print()
        for name, value in info_rows(p):
            print(f"  {name:<30} {value}")
    if "delayed" in r:
        print(f"\n### {r['engine']}: {args.delay_calls} calls to a line with --delay {args.delay}")
        print_table(lateness_rows(r))
    print(f"\n  decisions: {', '.join(f'{k}={v}' for k, v in sorted(r['decisions'].items()))}")


# --- main ---------------------------------------------------------------------------------


def main(argv=None) -> int:
    args = parse_args(argv)
    sys.setswitchinterval(0.001)  # sender threads hand over the GIL sooner, so response times are read promptly
    command = shlex.join([os.path.relpath(sys.executable), *sys.argv])
    engines = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    report = {"command": command, "cpus": os.cpu_count(), "loadavg_start": os.getloadavg(), "results": {}}
    print(f"$ {command}\nload average {fmt_load(report['loadavg_start'])} on {os.cpu_count()} CPUs", flush=True)
    for engine in engines:
        directory = Path(tempfile.mkdtemp(prefix=f"textback-bench-{engine}-"))
        stub = StubProcess()  # a fresh one per database: its records are that run's texts only
        try:
            report["results"][engine] = measure(engine, args, stub, directory)
        except BaseException:
            print(f"\n{engine} failed; its logs are in {directory}", file=sys.stderr)
            raise
        finally:
            stub.stop()
        print_report(report["results"][engine], args)
        finish_directory(directory, args.keep)
    report["loadavg_end"] = os.getloadavg()
    print(f"\nload average {fmt_load(report['loadavg_start'])} → {fmt_load(report['loadavg_end'])}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    return 0


def finish_directory(directory: Path, keep: bool) -> None:
    if keep:
        print(f"  (logs and database kept in {directory})")
    else:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
