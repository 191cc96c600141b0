"""Claiming due outbox rows, running them, and recording what happened.

Claims use `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, so any number of
workers share the queue without sending anything twice; on SQLite the same ORM
call runs in an IMMEDIATE transaction, which serialises claimers. A claim is a
lease: a worker that dies leaves rows whose lease runs out, and the next claim
of such a row is told to reconcile with the provider before doing anything.
"""

import logging
import os
import random
import socket
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, connections, transaction
from django.db.models import F, Min, Q
from django.utils import timezone

from textback.outbox import wake
from textback.outbox.models import OutboxItem

log = logging.getLogger(__name__)

IN_FLIGHT = "in_flight"  # written at claim time: if we die now, nobody knows whether it was sent
UNCERTAIN = "uncertain"  # the request may have reached the provider (e.g. a read timeout)
MAX_ATTEMPTS = 8
MAX_IDLE_SECONDS = 30.0

Handler = Callable[[OutboxItem, bool], None]
HANDLERS: dict[str, Handler] = {}
GAVE_UP: dict[str, list[Callable[[OutboxItem, str], None]]] = {}


def handles(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that carries out outbox rows of one kind."""

    def register(func: Handler) -> Handler:
        HANDLERS[kind] = func
        return func

    return register


def on_give_up(kind: str):
    """Register what to record when a row of this kind is abandoned after an unexpected error."""

    def register(func):
        GAVE_UP.setdefault(kind, []).append(func)
        return func

    return register


def _load_handlers() -> None:
    from textback.calls import actions  # noqa: F401  (registers "decide_call")
    from textback.messaging import sending  # noqa: F401  (registers "sms")
    from textback.providers.sandbox import carrier  # noqa: F401  (registers "sandbox_dlr")


# --- claiming --------------------------------------------------------------------------


def _due(now: datetime) -> Q:
    return Q(status=OutboxItem.PENDING, due_at__lte=now) | Q(status=OutboxItem.CLAIMED, lease_until__lt=now)


def claim(worker: str, limit: int, now: datetime | None = None) -> list[tuple[OutboxItem, bool]]:
    """Take up to `limit` due rows. Each comes with whether to reconcile before acting."""
    now = now or timezone.now()
    if not OutboxItem.objects.filter(_due(now)).exists():  # a read, so idle workers never take the write lock
        return []
    with transaction.atomic():
        rows = list(OutboxItem.objects.select_for_update(skip_locked=True).filter(_due(now)).order_by("due_at")[:limit])
        lease_until = now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
        OutboxItem.objects.filter(pk__in=[row.pk for row in rows]).update(
            status=OutboxItem.CLAIMED,
            claimed_by=worker,
            lease_until=lease_until,
            attempts=F("attempts") + 1,
            last_attempt_at=now,
            result=IN_FLIGHT,
        )
    claimed = []
    for row in rows:
        reconcile = row.result in (IN_FLIGHT, UNCERTAIN)
        row.status, row.claimed_by, row.lease_until = OutboxItem.CLAIMED, worker, lease_until
        row.attempts, row.last_attempt_at, row.result = row.attempts + 1, now, IN_FLIGHT
        claimed.append((row, reconcile))
    return claimed


def seconds_until_due(now: datetime | None = None) -> float:
    """How long an idle worker may sleep before something becomes due."""
    now = now or timezone.now()
    pending = OutboxItem.objects.filter(status=OutboxItem.PENDING).aggregate(at=Min("due_at"))["at"]
    leases = OutboxItem.objects.filter(status=OutboxItem.CLAIMED).aggregate(at=Min("lease_until"))["at"]
    times = [t for t in (pending, leases) if t is not None]
    if not times:
        return MAX_IDLE_SECONDS
    return min(max((min(times) - now).total_seconds(), 0.0), MAX_IDLE_SECONDS)


# --- recording results (handlers call these inside their own transaction) -------------------


def still_ours(item: OutboxItem) -> bool:
    """Lock the row and check our lease was not taken over; call inside a transaction."""
    current = OutboxItem.objects.select_for_update().filter(pk=item.pk).values("status", "claimed_by").first()
    return bool(current) and current["status"] == OutboxItem.CLAIMED and current["claimed_by"] == item.claimed_by


def _mine(item: OutboxItem):
    return OutboxItem.objects.filter(pk=item.pk, status=OutboxItem.CLAIMED, claimed_by=item.claimed_by)


def renew_lease(item: OutboxItem) -> bool:
    """Extend our lease before a slow step (a provider request); False if another worker took the row."""
    item.lease_until = timezone.now() + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    return 1 == _mine(item).update(lease_until=item.lease_until)


def finish(item: OutboxItem, status: str, result: str, error: str = "") -> bool:
    """Close the row if we still hold its lease; False if another worker took it over."""
    return 1 == _mine(item).update(
        status=status, result=result[:40], last_error=error[:300], finished_at=timezone.now(), lease_until=None
    )


def backoff(attempts: int) -> timedelta:
    """Exponential with jitter: about 2 s, 4 s, 8 s … capped at 5 minutes."""
    base = min(2.0**attempts, 300.0)
    return timedelta(seconds=base * random.uniform(0.5, 1.5))


def retry_later(item: OutboxItem, error: str, *, uncertain: bool) -> datetime | None:
    """Put the row back for another attempt. Returns when, or None if it is not worth retrying."""
    due = timezone.now() + backoff(item.attempts)
    if item.attempts >= MAX_ATTEMPTS or (item.expires_at and due > item.expires_at):
        return None
    OutboxItem.objects.filter(pk=item.pk).update(
        status=OutboxItem.PENDING,
        due_at=due,
        lease_until=None,
        result=UNCERTAIN if uncertain else "retry",
        last_error=error[:300],
    )
    return due


# --- the loop --------------------------------------------------------------------------


@dataclass
class Worker:
    name: str = ""
    threads: int = 0
    in_web_process: bool = False  # a thread of `textback serve`, woken by its own webhooks

    def __post_init__(self) -> None:
        self.name = self.name or f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 10000}"
        self.threads = self.threads or settings.WORKER_THREADS
        self._busy = 0
        self._lock = threading.Lock()

    def run(self, stop: threading.Event) -> None:
        """Loop until stopped. A database that goes away (restart, failover, a locked SQLite file)
        pauses the loop and reconnects; it never ends it."""
        _load_handlers()
        pool = ThreadPoolExecutor(self.threads, thread_name_prefix="outbox")
        log.info("outbox worker %s started with %d sending threads", self.name, self.threads)
        waiter, failures = None, 0
        try:
            while not stop.is_set():
                try:
                    waiter = waiter or wake.waiter(in_web_process=self.in_web_process)
                    self._tick(pool, waiter)
                    failures = 0
                except Exception:
                    failures += 1
                    log.exception("outbox worker %s: the loop failed (%d in a row); retrying", self.name, failures)
                    self._reset(waiter)
                    waiter = None
                    stop.wait(min(0.5 * 2**failures, MAX_IDLE_SECONDS))
        finally:
            pool.shutdown(wait=True)
            if waiter:
                waiter.close()
            log.info("outbox worker %s stopped", self.name)

    @staticmethod
    def _reset(waiter: wake.Waiter | None) -> None:
        """Drop every connection the loop holds; the next tick opens fresh ones."""
        if waiter:
            try:
                waiter.close()
            except Exception:
                pass
        connections.close_all()
        return None

    def _tick(self, pool: ThreadPoolExecutor, waiter: wake.Waiter) -> None:
        close_old_connections()
        free = self.threads * 2 - self._busy  # a short queue per thread keeps every thread fed
        claimed = claim(self.name, min(free, settings.OUTBOX_BATCH)) if free > 0 else []
        for item, reconcile in claimed:
            with self._lock:
                self._busy += 1
            pool.submit(self._run_one, item, reconcile)
        if claimed and len(claimed) == free:
            waiter.wait(MAX_IDLE_SECONDS)  # every slot is taken; a finishing job pokes us
        elif not claimed:
            waiter.wait(seconds_until_due())

    def _run_one(self, item: OutboxItem, reconcile: bool) -> None:
        try:
            close_old_connections()
            HANDLERS[item.kind](item, reconcile)
        except Exception as exc:  # a bug or a lost database must not kill the worker or lose the row
            log.exception("outbox item %s (%s) failed unexpectedly", item.pk, item.kind)
            self._give_back(item, exc)
        finally:
            with self._lock:
                self._busy -= 1
            wake.poke()

    @staticmethod
    def _give_back(item: OutboxItem, exc: Exception) -> None:
        """Retry later (reconciling first), or give up for good; if even that fails, the lease runs out."""
        try:
            with transaction.atomic():
                if still_ours(item) and retry_later(item, f"internal error: {exc!r}", uncertain=True) is None:
                    finish(item, OutboxItem.DEAD, "internal_error", repr(exc))
                    for handler in GAVE_UP.get(item.kind, ()):
                        handler(item, repr(exc))
        except Exception:
            log.exception("could not record the failure of outbox item %s; its lease will expire", item.pk)
            connections.close_all()
