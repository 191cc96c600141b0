"""Real textback processes for end-to-end tests and benchmarks.

A `System` is a database (a fresh SQLite file or a throwaway PostgreSQL
database), a web server started with `textback serve`, optionally separate
`textback worker` processes, and the local Twilio stub they send to.

Every process started here dies with the process that started it, even when
that one is killed with SIGKILL (see `popen`), so a killed `make test` leaves
no server behind.
"""

import concurrent.futures
import ctypes
import os
import queue
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
TEXTBACK = [sys.executable, "-m", "textback.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- children that die with us -------------------------------------------------------------
#
# How: the kernel's parent-death signal. The child asks for SIGKILL when its parent goes
# (prctl(PR_SET_PDEATHSIG) in preexec_fn, between fork and exec; it survives the exec), so
# nothing has to run in the dying process, which SIGKILL would not allow anyway. SIGKILL rather
# than SIGTERM because the run is over: there is nobody left to wait for a graceful stop, and a
# child that ignores or is stuck handling SIGTERM would live on.
#
# Why not a pipe the child watches: `textback serve` and `textback worker` are the product, and
# the harness must start them unchanged. Watching a pipe would take a wrapper process per server,
# which the benchmark would then count in the server's memory and CPU.
#
# Two catches:
# - The signal fires when the *thread* that forked the child ends, not the process. A server
#   started from a short-lived thread (a ThreadPoolExecutor, a helper thread) would be killed
#   as soon as that thread finished, so every child is forked by one thread that lives as long
#   as this process (`_Spawner`).
# - Only the direct child gets the signal. `textback serve`'s web processes are that child's
#   children: each asks the kernel for the same signal when it starts (textback/ops/web.py), so they
#   end with it; tests/e2e/test_harness.py proves it.
#
# Elsewhere than Linux there is no PR_SET_PDEATHSIG: children start as before and a killed run
# can leave them behind.

PR_SET_PDEATHSIG = 1


def _prctl():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _prctl()  # looked up before any fork: the child only calls it


def _die_with(parent: int):
    """preexec_fn: SIGKILL this child when `parent` (the forking thread) ends; at once if it already has."""

    def arm() -> None:
        if _PRCTL(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")  # Popen raises it in the parent
        if os.getppid() != parent:  # the parent died between fork() and prctl(): nobody is left to serve
            os._exit(1)

    return arm


class _Spawner:
    """One daemon thread that forks every child, so the parent-death signal means 'this process ended'."""

    def __init__(self) -> None:
        self._jobs: queue.Queue = queue.Queue()
        self._pid = 0
        self._lock = threading.Lock()

    def popen(self, args: list[str], **kwargs) -> subprocess.Popen:
        if _PRCTL is None:
            return subprocess.Popen(args, **kwargs)
        done: concurrent.futures.Future = concurrent.futures.Future()
        self._thread_for_this_process()
        self._jobs.put((args, kwargs, done))
        return done.result()

    def _thread_for_this_process(self) -> None:
        with self._lock:
            if self._pid != os.getpid():  # a forked copy of this process has no such thread yet
                self._jobs = queue.Queue()
                threading.Thread(target=self._run, args=(self._jobs,), name="harness-spawner", daemon=True).start()
                self._pid = os.getpid()

    @staticmethod
    def _run(jobs: queue.Queue) -> None:
        while True:
            args, kwargs, done = jobs.get()
            try:
                done.set_result(subprocess.Popen(args, preexec_fn=_die_with(os.getpid()), **kwargs))
            except BaseException as exc:
                done.set_exception(exc)


_spawner = _Spawner()


def popen(args: list[str], **kwargs) -> subprocess.Popen:
    """subprocess.Popen, for a child that must not outlive this process (see above)."""
    return _spawner.popen(args, **kwargs)


def run(args: list[str], *, input: str | None = None, timeout: float, **kwargs) -> subprocess.CompletedProcess:
    """subprocess.run(…, capture_output=True, text=True) through `popen`."""
    with popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs) as p:
        try:
            out, err = p.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            raise
    return subprocess.CompletedProcess(args, p.returncode, out, err)


# --- databases -----------------------------------------------------------------------------


@dataclass
class Database:
    url: str

    @property
    def is_postgres(self) -> bool:
        return self.url.startswith(("postgres://", "postgresql://"))

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Read the database directly (placeholders are %s for both engines)."""
        if self.is_postgres:
            import psycopg

            with psycopg.connect(self.url, autocommit=True) as conn:
                return conn.execute(sql, params).fetchall()
        with sqlite3.connect(self.url.removeprefix("sqlite:///"), timeout=20) as conn:
            return conn.execute(sql.replace("%s", "?"), params).fetchall()

    def execute(self, sql: str, params: tuple = ()) -> None:
        """Change the database directly, as an operator (or the passing of time) would."""
        if self.is_postgres:
            import psycopg

            with psycopg.connect(self.url, autocommit=True) as conn:
                conn.execute(sql, params)
            return
        with sqlite3.connect(self.url.removeprefix("sqlite:///"), timeout=20) as conn:
            conn.execute(sql.replace("%s", "?"), params)

    def copy(self, name: str, directory: Path) -> "Database":
        """A new database with the same contents (PostgreSQL: CREATE DATABASE … TEMPLATE)."""
        if self.is_postgres:
            import psycopg

            server, template = self.url.rsplit("/", 1)
            with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
                conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            return Database(f"{server}/{name}")
        target = directory / f"{name}.sqlite3"
        shutil.copy(self.url.removeprefix("sqlite:///"), target)
        return Database(f"sqlite:///{target}")

    def drop(self) -> None:
        if self.is_postgres:
            import psycopg

            server, name = self.url.rsplit("/", 1)
            with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def new_database(directory: Path, postgres_server: str | None) -> Database:
    """An empty database: a file under directory, or a new database on the PostgreSQL server."""
    name = f"textback_e2e_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    if not postgres_server:
        return Database(f"sqlite:///{directory / name}.sqlite3")
    import psycopg

    with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return Database(f"{postgres_server}/{name}")


# --- processes -----------------------------------------------------------------------------


@dataclass
class System:
    database: Database
    data_dir: Path
    twilio_api_url: str
    port: int = field(default_factory=free_port)
    extra_env: dict = field(default_factory=dict)
    web: subprocess.Popen | None = None
    workers: list[subprocess.Popen] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TEXTBACK_")}
        env.update(
            TEXTBACK_DATABASE_URL=self.database.url,
            TEXTBACK_DATA_DIR=str(self.data_dir),
            TEXTBACK_PUBLIC_URL=self.url,
            TEXTBACK_TWILIO_API_URL=self.twilio_api_url,
            TEXTBACK_SECRET_KEY="e2e-" + "x" * 60,
            TEXTBACK_LOG_LEVEL="WARNING",
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        return env

    def cli(self, *args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        result = run([*TEXTBACK, *args], input=stdin, env=self.env(), cwd=ROOT, timeout=120)
        if check and result.returncode != 0:
            raise RuntimeError(
                f"textback {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
            )
        return result

    def _log(self, name: str):
        return open(self.data_dir / f"{name}.log", "ab")

    def start_web(self, *, with_worker: bool, web_processes: int = 1, threads: int = 8) -> None:
        args = ["serve", "--bind", f"127.0.0.1:{self.port}", "--workers", str(web_processes), "--threads", str(threads)]
        if not with_worker:
            args.append("--no-worker")
        self.web = popen(
            [*TEXTBACK, *args],
            env=self.env(),
            cwd=ROOT,
            stdout=self._log("web"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait_until_up()

    def start_worker(self, threads: int = 4) -> subprocess.Popen:
        worker = popen(
            [*TEXTBACK, "worker", "--threads", str(threads)],
            env=self.env(),
            cwd=ROOT,
            stdout=self._log("worker"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.workers.append(worker)
        return worker

    def wait_until_up(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.web.poll() is not None:
                raise RuntimeError(f"textback serve exited with {self.web.returncode}:\n{self.logs('web')}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"textback serve did not come up:\n{self.logs('web')}")

    def logs(self, name: str) -> str:
        path = self.data_dir / f"{name}.log"
        return path.read_text(errors="replace")[-5000:] if path.exists() else ""

    def kill_worker(self, worker: subprocess.Popen) -> None:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
        self.workers.remove(worker)

    def stop(self) -> None:
        for proc in [*self.workers, self.web]:
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in [*self.workers, self.web]:
            if proc is not None:
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(5)
        self.workers.clear()


def seed_business(system: System, account_sid: str, auth_token: str) -> str:
    """Migrate, then create AlphaPlumbing (slug alpha) with a Twilio account through the CLI verbs.

    Returns the account id, for `textback line add --account`.
    """
    system.cli("migrate", "-v", "0")
    system.cli("business", "create", "--name", "AlphaPlumbing", "--slug", "alpha", "--time-zone", "America/Chicago")
    added = system.cli(
        "account",
        "add",
        "--business",
        "alpha",
        "--provider",
        "twilio",
        "--sid",
        account_sid,
        "--token-stdin",
        stdin=auth_token + "\n",
    )
    return added.stdout.strip().splitlines()[-1].split()[-1]


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.05):
    """Poll until predicate() is truthy; return its value (or the last falsy one on timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)
