"""Waking workers the moment work is written, instead of polling every few seconds.

Three paths, one per deployment:
- same process (`textback serve`): a self-pipe the worker thread selects on;
- PostgreSQL, any process: NOTIFY inside the writing transaction (delivered at
  commit, never before) and LISTEN in every worker;
- SQLite, separate processes: the worker watches `PRAGMA data_version`, which
  changes whenever another connection commits. Checking it costs microseconds,
  so the worker looks every 20 ms while idle.

A wake-up says when the new work is due and in which lane (the first two paths
carry both; PostgreSQL has a channel per lane), so a worker knows whether to claim
now or sleep on, without asking the database, and a lane with no room is not
woken by news of its own work while the other lane waits for its news.
"""

import os
import select
import sqlite3
import threading
import time
from collections.abc import Collection
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction

from textback.outbox.models import OutboxItem

TEXTS, ALERTS = OutboxItem.TEXTS, OutboxItem.ALERTS
LANES = (TEXTS, ALERTS)
CHANNEL = "textback_outbox"  # the texts lane's; the alerts lane's is CHANNELS[ALERTS]
CHANNELS = {TEXTS: CHANNEL, ALERTS: f"{CHANNEL}_{ALERTS}"}
SQLITE_CHECK_SECONDS = 0.02

Heard = tuple[float, str | None]  # (when the work is due in Unix seconds, its lane; None: it could be either)

_pipes: dict[int, tuple[int, int]] = {}
_heard: list[Heard] = []  # work committed in this process since a waiter last looked
_heard_lock = threading.Lock()


def _pipe() -> tuple[int, int]:
    """This process's self-pipe (a forked child must not share its parent's)."""
    pid = os.getpid()
    if pid not in _pipes:
        read_end, write_end = os.pipe()
        os.set_blocking(read_end, False)
        os.set_blocking(write_end, False)
        _pipes[pid] = (read_end, write_end)
    return _pipes[pid]


def poke(due: float | None = None, lane: str = TEXTS) -> None:
    """Wake this process's worker thread, if it has one; `due`: when the work that was written is due."""
    if due is not None:
        with _heard_lock:
            _heard.append((due, lane))
    try:
        os.write(_pipe()[1], b"!")
    except BlockingIOError:  # the pipe is full: the worker has plenty of wake-ups pending
        pass


def _drain() -> list[Heard]:
    try:
        while os.read(_pipe()[0], 4096):
            pass
    except BlockingIOError:
        pass
    with _heard_lock:
        heard = _heard[:]
        _heard.clear()
    return heard


def after_commit(due_at: datetime, lane: str = TEXTS) -> None:
    """Call inside the transaction that wrote outbox work of this lane."""
    due = due_at.timestamp()
    transaction.on_commit(lambda: poke(due, lane))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [CHANNELS[lane], f"{due:.3f}"])


class Waiter:
    """Sleeps until the timeout or until new work may have been written; returns when that work is due and
    its lane ((`time.time()`, None) when it cannot tell, an empty list when woken for nothing new).

    `listen`: the lanes whose news should end the sleep. A lane left out already knows there is work to
    claim and is only pacing its claims, or cannot take more; news of its work can wait (it is read on the
    next wait that listens), and only a poke from this process (a finished job, a stop) ends the sleep early."""

    def wait(self, timeout: float, *, listen: Collection[str] = LANES) -> list[Heard]:
        ready, _, _ = select.select([_pipe()[0]], [], [], max(timeout, 0))
        return _drain() if ready else []

    def close(self) -> None:
        pass


class PostgresWaiter(Waiter):
    """A LISTEN connection per lane, so a lane that cannot take more work is not woken by news of it."""

    def __init__(self) -> None:
        self.conns = {lane: self._listen(CHANNELS[lane]) for lane in LANES}

    @staticmethod
    def _listen(channel: str):
        import psycopg

        db = settings.DATABASES["default"]
        conn = psycopg.connect(
            dbname=db["NAME"],
            user=db.get("USER") or None,
            password=db.get("PASSWORD") or None,
            host=db.get("HOST") or None,
            port=db.get("PORT") or None,
            autocommit=True,
        )
        conn.execute(f"LISTEN {channel}")
        return conn

    def wait(self, timeout: float, *, listen: Collection[str] = LANES) -> list[Heard]:
        sources = [_pipe()[0], *(self.conns[lane].fileno() for lane in listen)]
        ready, _, _ = select.select(sources, [], [], max(timeout, 0))
        heard = _drain() if _pipe()[0] in ready else []
        for lane in listen:
            if self.conns[lane].fileno() in ready:
                heard += [(_due(notice.payload), lane) for notice in self.conns[lane].notifies(timeout=0)]
        return heard

    def close(self) -> None:
        for conn in self.conns.values():
            conn.close()


def _due(payload: str) -> float:
    try:
        return float(payload)
    except ValueError:  # a NOTIFY from elsewhere: claim and see
        return time.time()


class SqliteWaiter(Waiter):
    def __init__(self) -> None:
        self.conn = sqlite3.connect(settings.DATABASES["default"]["NAME"], timeout=20)
        self.version = self._version()

    def _version(self) -> int:
        return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def wait(self, timeout: float, *, listen: Collection[str] = LANES) -> list[Heard]:
        if not listen:
            return super().wait(timeout, listen=())
        deadline = time.monotonic() + max(timeout, 0)
        while True:
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([_pipe()[0]], [], [], min(max(remaining, 0), SQLITE_CHECK_SECONDS))
            if ready:
                return _drain()
            version = self._version()
            if version != self.version:  # another process committed something: maybe work, maybe not
                self.version = version
                return [(time.time(), None)]
            if remaining <= SQLITE_CHECK_SECONDS:
                return []

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
