"""Waking workers the moment work is written, instead of polling every few seconds.

Three paths, one per deployment:
- same process (`textback serve`): a self-pipe the worker thread selects on;
- PostgreSQL, any process: NOTIFY inside the writing transaction (delivered at
  commit, never before) and LISTEN in every worker;
- SQLite, separate processes: the worker watches `PRAGMA data_version`, which
  changes whenever another connection commits. Checking it costs microseconds,
  so the worker looks every 20 ms while idle.
"""

import os
import select
import sqlite3
import time
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction

CHANNEL = "textback_outbox"
SQLITE_CHECK_SECONDS = 0.02

_pipes: dict[int, tuple[int, int]] = {}


def _pipe() -> tuple[int, int]:
    """This process's self-pipe (a forked child must not share its parent's)."""
    pid = os.getpid()
    if pid not in _pipes:
        read_end, write_end = os.pipe()
        os.set_blocking(read_end, False)
        os.set_blocking(write_end, False)
        _pipes[pid] = (read_end, write_end)
    return _pipes[pid]


def poke() -> None:
    """Wake this process's worker thread, if it has one."""
    try:
        os.write(_pipe()[1], b"!")
    except BlockingIOError:  # the pipe is full: the worker has plenty of wake-ups pending
        pass


def _drain() -> None:
    try:
        while os.read(_pipe()[0], 4096):
            pass
    except BlockingIOError:
        pass


def after_commit(due_at: datetime) -> None:
    """Call inside the transaction that wrote outbox work."""
    transaction.on_commit(poke)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, '')", [CHANNEL])


class Waiter:
    """Sleeps until the timeout or until new work may have been written."""

    def wait(self, timeout: float) -> None:
        ready, _, _ = select.select([_pipe()[0]], [], [], max(timeout, 0))
        if ready:
            _drain()

    def close(self) -> None:
        pass


class PostgresWaiter(Waiter):
    def __init__(self) -> None:
        import psycopg

        db = settings.DATABASES["default"]
        self.conn = psycopg.connect(
            dbname=db["NAME"],
            user=db.get("USER") or None,
            password=db.get("PASSWORD") or None,
            host=db.get("HOST") or None,
            port=db.get("PORT") or None,
            autocommit=True,
        )
        self.conn.execute(f"LISTEN {CHANNEL}")

    def wait(self, timeout: float) -> None:
        ready, _, _ = select.select([_pipe()[0], self.conn.fileno()], [], [], max(timeout, 0))
        if _pipe()[0] in ready:
            _drain()
        if self.conn.fileno() in ready:
            for _ in self.conn.notifies(timeout=0):
                pass

    def close(self) -> None:
        self.conn.close()


class SqliteWaiter(Waiter):
    def __init__(self) -> None:
        self.conn = sqlite3.connect(settings.DATABASES["default"]["NAME"], timeout=20)
        self.version = self._version()

    def _version(self) -> int:
        return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def wait(self, timeout: float) -> None:
        deadline = time.monotonic() + max(timeout, 0)
        while True:
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([_pipe()[0]], [], [], min(max(remaining, 0), SQLITE_CHECK_SECONDS))
            if ready:
                _drain()
                return
            version = self._version()
            if version != self.version or remaining <= SQLITE_CHECK_SECONDS:
                self.version = version
                return

    def close(self) -> None:
        self.conn.close()


def waiter(*, in_web_process: bool = False) -> Waiter:
    """How this worker learns of new work.

    A worker thread inside a web process (`textback serve`) on SQLite is poked by the webhooks
    it shares the process with; it need not watch every commit of the database.
    """
    if connection.vendor == "postgresql":
        return PostgresWaiter()
    if in_web_process or settings.DATABASES["default"]["NAME"] == ":memory:":
        return Waiter()
    return SqliteWaiter()
