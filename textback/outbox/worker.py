"""Claiming due outbox rows, running them, and recording what happened.

Claims use `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, so any number of
workers share the queue without sending anything twice; on SQLite the same ORM
call runs in an IMMEDIATE transaction, which serialises claimers. A claim is a
lease: a worker that dies leaves rows whose lease runs out, and the next claim
of such a row is told to reconcile with the provider before doing anything.

Texts go in batches (ARCHITECTURE §5): one transaction claims a batch and makes
each text's last checks, the sending threads hand them to the provider at the
same time, and one transaction records what the provider said for all that have
finished. Other kinds of work run one row at a time.
"""

import functools
import heapq
import logging
import os
import random
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, close_old_connections, connections, transaction
from django.db.models import Min
from django.utils import timezone

from textback.lib import sql
from textback.outbox import wake
from textback.outbox.models import OutboxItem

log = logging.getLogger(__name__)

IN_FLIGHT = "in_flight"  # written at claim time: if we die now, nobody knows whether it was sent
UNCERTAIN = "uncertain"  # the request may have reached the provider (e.g. a read timeout)
MAX_ATTEMPTS = 8
MAX_IDLE_SECONDS = 30.0
CLAIM_INTERVAL_SECONDS = 0.05  # under load, work written within this time is claimed together
RECORD_WITHIN_SECONDS = 0.02  # a finished send waits at most this long to be recorded with others

# Each app registers its kinds of work from its AppConfig.ready() (see handles() and handles_in_batches());
# the outbox itself imports no app above it.
Handler = Callable[[OutboxItem, bool], None]
HANDLERS: dict[str, Handler] = {}
GAVE_UP: dict[str, list[Callable[[OutboxItem, str], None]]] = {}


@dataclass
class Job:
    """A claimed row and what to do with it. `work` is what a batched kind prepared for it."""

    item: OutboxItem
    reconcile: bool
    work: object = None
    claimed_at: float = 0.0  # time.monotonic()


@dataclass(frozen=True)
class Batched:
    """How a kind of work is carried out in batches.

    `take(items)` runs inside the claim's transaction and returns the jobs to run (it finishes the
    rows it stops itself); `run(job)` runs in a sending thread with no transaction open and returns a
    result; `record(results)` gets (job, result) pairs and runs inside one transaction.
    """

    take: Callable[[list[OutboxItem]], list[Job]]
    run: Callable[[Job], object]
    record: Callable[[list[tuple[Job, object]]], None]


BATCHED: dict[str, Batched] = {}


def handles(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that carries out one outbox row of this kind (also the reconcile path)."""

    def register(func: Handler) -> Handler:
        HANDLERS[kind] = func
        return func

    return register


def handles_in_batches(kind: str, batched: Batched) -> None:
    BATCHED[kind] = batched


def on_give_up(kind: str):
    """Register what to record when a row of this kind is abandoned after an unexpected error."""

    def register(func):
        GAVE_UP.setdefault(kind, []).append(func)
        return func

    return register


# --- claiming --------------------------------------------------------------------------


def _claim_rows(worker: str, limit: int, now: datetime) -> list[tuple[OutboxItem, bool]]:
    """Lock and lease up to `limit` due rows (inside the caller's transaction), in one statement on
    PostgreSQL (the claim runs for every batch of texts); each with whether to reconcile first."""
    db = connections[DEFAULT_DB_ALIAS]
    lease_until = now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    width = len(OutboxItem._meta.concrete_fields)
    due = [*sql.params(OutboxItem, {"due_at": now, "lease_until": now}, db), limit]
    lease = [worker, *sql.params(OutboxItem, {"lease_until": lease_until, "last_attempt_at": now}, db)]
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            # A queue's partial indexes fill with entries for rows that moved on; a plain index scan marks
            # each such entry dead the first time it passes it, a bitmap scan (the planner's usual choice
            # for "few rows") never does, so every claim would wade through all of them until a vacuum.
            cursor.execute("SET LOCAL enable_bitmapscan = off")
            cursor.execute(_claim_sql(), [now, limit, now, limit, limit, *lease])
            rows = [(sql.instance_from(OutboxItem, row[:width], db), row[width]) for row in cursor.fetchall()]
        else:  # SQLite: the IMMEDIATE transaction already keeps every other claimer out
            cursor.execute(_due_sql(), due)
            found = [sql.instance_from(OutboxItem, row, db) for row in cursor.fetchall()]
            rows = [(item, item.result) for item in found]
            if found:
                ids = [item.pk for item in found]
                cursor.execute(_lease_sql(len(ids)), [*lease, *ids])
                for item in found:
                    item.status, item.claimed_by, item.lease_until = OutboxItem.CLAIMED, worker, lease_until
                    item.attempts, item.last_attempt_at, item.result = item.attempts + 1, now, IN_FLIGHT
    return [(item, previous in (IN_FLIGHT, UNCERTAIN)) for item, previous in rows]


_DUE = "(status = 'pending' AND due_at <= %s) OR (status = 'claimed' AND lease_until < %s) ORDER BY due_at LIMIT %s"
_LEASE = (
    "status = 'claimed', claimed_by = %s, lease_until = %s, attempts = attempts + 1, last_attempt_at = %s, "
    "result = 'in_flight'"
)


@functools.cache
def _claim_sql() -> str:
    """PostgreSQL: due rows and rows whose lease ran out, each found in order through its own partial index,
    locked, leased and returned with the result they had (which says whether to reconcile first)."""
    return (
        "WITH pending AS (SELECT id, result, due_at FROM outbox_outboxitem WHERE status = 'pending' AND due_at <= %s "
        "ORDER BY due_at LIMIT %s FOR UPDATE SKIP LOCKED), "
        "expired AS (SELECT id, result, due_at FROM outbox_outboxitem WHERE status = 'claimed' AND lease_until < %s "
        "ORDER BY lease_until LIMIT %s FOR UPDATE SKIP LOCKED), "
        "due AS (SELECT id, result FROM (SELECT * FROM pending UNION ALL SELECT * FROM expired) AS found "
        "ORDER BY due_at LIMIT %s) "
        f"UPDATE outbox_outboxitem o SET {_LEASE.replace('attempts + 1', 'o.attempts + 1')} FROM due "
        f"WHERE o.id = due.id RETURNING {sql.columns_of(OutboxItem, 'o')}, due.result"
    )


@functools.cache
def _due_sql() -> str:
    return f"SELECT {sql.columns_of(OutboxItem)} FROM outbox_outboxitem WHERE {_DUE}"


def _lease_sql(count: int) -> str:
    return f"UPDATE outbox_outboxitem SET {_LEASE} WHERE id IN ({', '.join(['%s'] * count)})"


def claim(worker: str, limit: int, now: datetime | None = None) -> list[tuple[OutboxItem, bool]]:
    """Take up to `limit` due rows. Each comes with whether to reconcile before acting."""
    with transaction.atomic():
        return _claim_rows(worker, limit, now or timezone.now())


def claim_jobs(worker: str, limit: int, now: datetime | None = None) -> tuple[list[Job], int]:
    """(the jobs to run, how many rows were claimed): claim, and take each batched kind's rows in the
    same transaction, so a batch of texts costs one commit to claim and check."""
    started = time.monotonic()
    with transaction.atomic():
        claimed = _claim_rows(worker, limit, now or timezone.now())
        jobs, batches = [], {}
        for item, reconcile in claimed:
            if item.kind in BATCHED and not reconcile:
                batches.setdefault(item.kind, []).append(item)
            else:
                jobs.append(Job(item, reconcile, claimed_at=started))
        for kind, items in batches.items():
            for job in BATCHED[kind].take(items):
                job.claimed_at = started
                jobs.append(job)
    return jobs, len(claimed)


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


def lease_is_young(job: Job) -> bool:
    """Whether the claim's lease still covers a provider request that starts now with plenty to spare."""
    return time.monotonic() - job.claimed_at < settings.OUTBOX_LEASE_SECONDS / 3


def finish(item: OutboxItem, status: str, result: str, error: str = "") -> bool:
    """Close the row if we still hold its lease; False if another worker took it over."""
    return 1 == _mine(item).update(
        status=status, result=result[:40], last_error=error[:300], finished_at=timezone.now(), lease_until=None
    )


def finish_many(items: list[OutboxItem], status: str, result: str) -> int:
    """Close rows we still hold (all claimed by one worker); how many were still ours. One statement."""
    if not items:
        return 0
    ids = [item.pk for item in items]
    finished_at = sql.params(OutboxItem, {"finished_at": timezone.now()})[0]
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(
            "UPDATE outbox_outboxitem SET status = %s, result = %s, last_error = '', finished_at = %s, "
            f"lease_until = NULL WHERE id IN ({sql.placeholders(ids)}) AND status = 'claimed' AND claimed_by = %s",
            [status, result[:40], finished_at, *ids, items[0].claimed_by],
        )
        return cursor.rowcount


def backoff(attempts: int) -> timedelta:
    """Exponential with jitter: about 2 s, 4 s, 8 s … capped at 5 minutes."""
    base = min(2.0**attempts, 300.0)
    return timedelta(seconds=base * random.uniform(0.5, 1.5))


def retry_later(item: OutboxItem, error: str, *, uncertain: bool, not_before: float | None = None) -> datetime | None:
    """Put the row back for another attempt, no sooner than `not_before` seconds from now (a provider's
    Retry-After). Returns when, or None if it is not worth retrying."""
    wait = max(backoff(item.attempts), timedelta(seconds=not_before or 0))
    due = timezone.now() + wait
    if item.attempts >= MAX_ATTEMPTS or (item.expires_at and due > item.expires_at):
        return None
    OutboxItem.objects.filter(pk=item.pk).update(
        status=OutboxItem.PENDING,
        due_at=due,
        lease_until=None,
        result=UNCERTAIN if uncertain else "retry",
        last_error=error[:300],
    )
    wake.after_commit(due)
    return due


# --- the loop --------------------------------------------------------------------------


class DueTimes:
    """When the work we have heard of falls due (a heap of Unix times)."""

    def __init__(self) -> None:
        self._heap: list[float] = []

    def add(self, times) -> None:
        for at in times:
            heapq.heappush(self._heap, at)

    def next(self) -> float:
        return self._heap[0] if self._heap else float("inf")

    def claimed_until(self, now: float) -> None:
        """Everything due by `now` has been claimed (by us or another worker)."""
        while self._heap and self._heap[0] <= now:
            heapq.heappop(self._heap)


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
        self._finished: dict[str, list[tuple[Job, object]]] = {}
        self._first_finished = 0.0  # when the oldest result not yet recorded came in (time.monotonic())
        self._due = DueTimes()
        self._last_claim = self._next_look = 0.0

    def run(self, stop: threading.Event) -> None:
        """Loop until stopped. A database that goes away (restart, failover, a locked SQLite file)
        pauses the loop and reconnects; it never ends it."""
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
                    self._next_look = 0.0
                    stop.wait(min(0.5 * 2**failures, MAX_IDLE_SECONDS))
        finally:
            pool.shutdown(wait=True)
            self._record_finished()
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

    def _tick(self, pool: ThreadPoolExecutor, waiter: wake.Waiter) -> None:
        if self._finished and (self._busy == 0 or time.monotonic() - self._first_finished >= RECORD_WITHIN_SECONDS):
            self._record_finished()
        now = time.time()
        if now >= self._next_look:  # what no wake-up told us: work written before we started, expired leases
            close_old_connections()
            self._due.add([now + seconds_until_due()])
            self._next_look = now + MAX_IDLE_SECONDS
        capacity = min(self.threads * 2 - self._busy, settings.OUTBOX_BATCH)  # a short queue keeps threads fed
        wait_until, listen = min(self._due.next(), self._next_look), True
        if capacity > 0 and self._due.next() <= now:
            if now - self._last_claim >= CLAIM_INTERVAL_SECONDS:
                self._claim(pool, capacity, now)
                wait_until = min(self._due.next(), self._next_look)
            else:  # pacing: claim again when the interval is over, whatever else is written meanwhile
                wait_until, listen = self._last_claim + CLAIM_INTERVAL_SECONDS, False
        elif capacity <= 0:
            wait_until, listen = now + MAX_IDLE_SECONDS, False  # every slot is taken; a finishing job pokes us
        if self._finished:
            wait_until = min(wait_until, now + RECORD_WITHIN_SECONDS - (time.monotonic() - self._first_finished))
        self._due.add(waiter.wait(max(wait_until - time.time(), 0.0), listen=listen))

    def _claim(self, pool: ThreadPoolExecutor, capacity: int, now: float) -> None:
        self._last_claim = now
        jobs, claimed = claim_jobs(self.name, capacity)
        if claimed < capacity:
            self._due.claimed_until(now)
        for job in jobs:
            with self._lock:
                self._busy += 1
            pool.submit(self._run_one, job)

    def _run_one(self, job: Job) -> None:
        try:
            if job.work is not None:
                result = BATCHED[job.item.kind].run(job)
                with self._lock:
                    if not self._finished:
                        self._first_finished = time.monotonic()
                    self._finished.setdefault(job.item.kind, []).append((job, result))
            else:
                HANDLERS[job.item.kind](job.item, job.reconcile)
        except Exception as exc:  # a bug or a lost database must not kill the worker or lose the row
            log.exception("outbox item %s (%s) failed unexpectedly", job.item.pk, job.item.kind)
            self._give_back(job.item, exc)
        finally:
            with self._lock:
                self._busy -= 1
                idle = self._busy == 0
            if idle or job.work is None or self.threads * 2 - self._busy == 1:
                wake.poke()  # everything claimed is done (record it, claim more), or a slot opened up

    def _record_finished(self) -> None:
        """Record every batched job that finished since we last looked: one transaction per kind."""
        with self._lock:
            finished, self._finished = self._finished, {}
        for kind, results in finished.items():
            try:
                with transaction.atomic():
                    BATCHED[kind].record(results)
            except Exception:  # their leases run out and the next claim reconciles with the provider
                log.exception("could not record %d finished %s jobs; they will be reconciled", len(results), kind)
                connections.close_all()

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
