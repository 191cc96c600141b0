"""Real textback processes for end-to-end tests and benchmarks.

A `System` is a database (a fresh SQLite file or a throwaway PostgreSQL
database), a web server started with `textback serve`, optionally separate
`textback worker` processes, and the local Twilio stub they send to.
"""

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
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
        result = subprocess.run(
            [*TEXTBACK, *args], input=stdin, capture_output=True, text=True, env=self.env(), cwd=ROOT, timeout=120
        )
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
        self.web = subprocess.Popen(
            [*TEXTBACK, *args],
            env=self.env(),
            cwd=ROOT,
            stdout=self._log("web"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait_until_up()

    def start_worker(self, threads: int = 4) -> subprocess.Popen:
        worker = subprocess.Popen(
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
