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

Work runs in two lanes, each with its own sending threads, claims and wake-ups:
texts (to customers and staff phones) and alerts (email and webhooks, which may
wait seconds on somebody else's server). A lane that is full never keeps the
other from claiming, so a dead webhook cannot hold up a text-back. Rows that
share an endpoint (one webhook address, the mail server) go at most
ENDPOINT_LIMIT at a time; the others wait their turn, so one business's dead
endpoint cannot take the whole alerts lane either.
"""

import functools
import heapq
import logging
import os
import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, close_old_connections, connections, transaction
from django.db.models import F, Min
from django.utils import timezone

from textback.lib import sql
from textback.outbox import wake
from textback.outbox.models import LANE_OF, OutboxItem

log = logging.getLogger(__name__)

IN_FLIGHT = "in_flight"  # written at claim time: if we die now, nobody knows whether it was sent
UNCERTAIN = "uncertain"  # the request may have reached the provider (e.g. a read timeout)
WAITING = "waiting"  # held back: its endpoint had ENDPOINT_LIMIT deliveries in flight
TEXTS, ALERTS = OutboxItem.TEXTS, OutboxItem.ALERTS
ENDPOINT_LIMIT = 2  # deliveries in flight to one webhook address or mail server, across all workers
ENDPOINT_WAIT = timedelta(seconds=30)  # a held-back row looks again after this, if no delivery ahead of it ends first
MAX_ATTEMPTS = 8
MAX_IDLE_SECONDS = 30.0
CLAIM_INTERVAL_SECONDS = 0.05  # under load, work written within this time is claimed together
RECORD_WITHIN_SECONDS = 0.02  # a finished send waits at most this long to be recorded with others
UNSURE_ALERTS_SECONDS = 1.0  # a wake-up that cannot say its lane claims alerts this much later, not per commit

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


def handles(kind: str, *, lane: str) -> Callable[[Handler], Handler]:
    """Register the function that carries out one outbox row of this kind (also the reconcile path), and
    the kind's lane: TEXTS for whatever texts a phone (or only writes rows), ALERTS for email and webhooks."""

    def register(func: Handler) -> Handler:
        HANDLERS[kind] = func
        LANE_OF[kind] = lane
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


def _claim_rows(worker: str, limit: int, now: datetime, lane: str | None) -> list[tuple[OutboxItem, bool]]:
    """Lock and lease up to `limit` due rows of the lane (None: every lane) inside the caller's transaction,
    in one statement on PostgreSQL (the claim runs for every batch of texts); each with whether to reconcile
    first."""
    db = connections[DEFAULT_DB_ALIAS]
    lease_until = now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    width = len(OutboxItem._meta.concrete_fields)
    lanes = [lane] if lane else []
    due = [
        *lanes,
        *sql.params(OutboxItem, {"due_at": now}, db),
        *lanes,
        *sql.params(OutboxItem, {"lease_until": now}, db),
        limit,
    ]
    lease = [worker, *sql.params(OutboxItem, {"lease_until": lease_until, "last_attempt_at": now}, db)]
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            # A queue's partial indexes fill with entries for rows that moved on; a plain index scan marks
            # each such entry dead the first time it passes it, a bitmap scan (the planner's usual choice
            # for "few rows") never does, so every claim would wade through all of them until a vacuum.
            cursor.execute("SET LOCAL enable_bitmapscan = off")
            cursor.execute(_claim_sql(bool(lane)), [*lanes, now, limit, *lanes, now, limit, limit, *lease])
            rows = [(sql.instance_from(OutboxItem, row[:width], db), row[width]) for row in cursor.fetchall()]
        else:  # SQLite: the IMMEDIATE transaction already keeps every other claimer out
            cursor.execute(_due_sql(bool(lane)), due)
            found = [sql.instance_from(OutboxItem, row, db) for row in cursor.fetchall()]
            rows = [(item, item.result) for item in found]
            if found:
                ids = [item.pk for item in found]
                cursor.execute(_lease_sql(len(ids)), [*lease, *ids])
                for item in found:
                    item.status, item.claimed_by, item.lease_until = OutboxItem.CLAIMED, worker, lease_until
                    item.attempts, item.last_attempt_at, item.result = item.attempts + 1, now, IN_FLIGHT
    return [(item, previous in (IN_FLIGHT, UNCERTAIN)) for item, previous in rows]


_LEASE = (
    "status = 'claimed', claimed_by = %s, lease_until = %s, attempts = attempts + 1, last_attempt_at = %s, "
    "result = 'in_flight'"
)


def _in_lane(lane: bool) -> str:
    return "lane = %s AND " if lane else ""


@functools.cache
def _claim_sql(lane: bool) -> str:
    """PostgreSQL: due rows and rows whose lease ran out, each found in order through its own partial index,
    locked, leased and returned with the result they had (which says whether to reconcile first)."""
    return (
        f"WITH pending AS (SELECT id, result, due_at FROM outbox_outboxitem WHERE {_in_lane(lane)}"
        "status = 'pending' AND due_at <= %s ORDER BY due_at LIMIT %s FOR UPDATE SKIP LOCKED), "
        f"expired AS (SELECT id, result, due_at FROM outbox_outboxitem WHERE {_in_lane(lane)}"
        "status = 'claimed' AND lease_until < %s ORDER BY lease_until LIMIT %s FOR UPDATE SKIP LOCKED), "
        "due AS (SELECT id, result FROM (SELECT * FROM pending UNION ALL SELECT * FROM expired) AS found "
        "ORDER BY due_at LIMIT %s) "
        f"UPDATE outbox_outboxitem o SET {_LEASE.replace('attempts + 1', 'o.attempts + 1')} FROM due "
        f"WHERE o.id = due.id RETURNING {sql.columns_of(OutboxItem, 'o')}, due.result"
    )


@functools.cache
def _due_sql(lane: bool) -> str:
    return (
        f"SELECT {sql.columns_of(OutboxItem)} FROM outbox_outboxitem WHERE ({_in_lane(lane)}status = 'pending' "
        f"AND due_at <= %s) OR ({_in_lane(lane)}status = 'claimed' AND lease_until < %s) ORDER BY due_at LIMIT %s"
    )


def _lease_sql(count: int) -> str:
    return f"UPDATE outbox_outboxitem SET {_LEASE} WHERE id IN ({', '.join(['%s'] * count)})"


def _hold_back(claimed: list[tuple[OutboxItem, bool]], now: datetime) -> list[tuple[OutboxItem, bool]]:
    """Give back, inside the claim's transaction, the rows whose endpoint would have more than ENDPOINT_LIMIT
    deliveries in flight; they wait until one ahead of them ends (or ENDPOINT_WAIT). A claim without such
    rows (every batch of texts) costs nothing here."""
    shared = [item for item, _ in claimed if item.endpoint]
    if not shared:
        return claimed
    in_flight = Counter(
        OutboxItem.objects.filter(
            status=OutboxItem.CLAIMED, endpoint__in={item.endpoint for item in shared}, lease_until__gte=now
        )
        .exclude(pk__in=[item.pk for item in shared])
        .values_list("endpoint", flat=True)
    )
    kept, held = [], {False: [], True: []}
    for item, reconcile in claimed:
        if item.endpoint and in_flight[item.endpoint] >= ENDPOINT_LIMIT:
            held[reconcile].append(item.pk)
            continue
        in_flight[item.endpoint] += 1
        kept.append((item, reconcile))
    for reconcile, ids in held.items():
        if ids:  # as if never claimed; one that must reconcile first still will
            OutboxItem.objects.filter(pk__in=ids).update(
                status=OutboxItem.PENDING, due_at=now + ENDPOINT_WAIT, lease_until=None, claimed_by="",
                attempts=F("attempts") - 1, result=UNCERTAIN if reconcile else WAITING,
            )  # fmt: skip
    return kept


def _next_in_line(item: OutboxItem) -> None:
    """A delivery to the item's endpoint ended: the row that has waited longest for it may go now."""
    if not item.endpoint:
        return
    now = timezone.now()
    waiting = OutboxItem.objects.filter(
        status=OutboxItem.PENDING, endpoint=item.endpoint, result=WAITING, due_at__gt=now
    ).order_by("due_at", "pk")
    if OutboxItem.objects.filter(pk__in=waiting.values("pk")[:1]).update(due_at=now):
        wake.after_commit(now, item.lane)


def claim(
    worker: str, limit: int, now: datetime | None = None, lane: str | None = None
) -> list[tuple[OutboxItem, bool]]:
    """Take up to `limit` due rows of the lane (None: every lane). Each comes with whether to reconcile first."""
    now = now or timezone.now()
    with transaction.atomic():
        return _hold_back(_claim_rows(worker, limit, now, lane), now)


def claim_jobs(worker: str, limit: int, now: datetime | None = None, lane: str | None = None) -> tuple[list[Job], int]:
    """(the jobs to run, how many rows the claim found): claim, and take each batched kind's rows in the same
    transaction, so a batch of texts costs one commit to claim and check."""
    started, now = time.monotonic(), now or timezone.now()
    with transaction.atomic():
        found = _claim_rows(worker, limit, now, lane)
        claimed = _hold_back(found, now)
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
    return jobs, len(found)


def seconds_until_due(now: datetime | None = None, lane: str | None = None) -> float:
    """How long an idle worker (or one lane of it) may sleep before something becomes due."""
    now = now or timezone.now()
    rows = OutboxItem.objects.filter(lane=lane) if lane else OutboxItem.objects.all()
    pending = rows.filter(status=OutboxItem.PENDING).aggregate(at=Min("due_at"))["at"]
    leases = rows.filter(status=OutboxItem.CLAIMED).aggregate(at=Min("lease_until"))["at"]
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
    closed = 1 == _mine(item).update(
        status=status, result=result[:40], last_error=error[:300], finished_at=timezone.now(), lease_until=None
    )
    if closed:
        _next_in_line(item)
    return closed


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
    wake.after_commit(due, item.lane)
    _next_in_line(item)
    return due


def wait_until(item: OutboxItem, due: datetime, why: str) -> None:
    """Put the row back to wait until `due`, using no attempt (inside a transaction, lease held): it was not
    tried, only found to be early (an alert in its person's quiet time)."""
    OutboxItem.objects.filter(pk=item.pk).update(
        status=OutboxItem.PENDING, due_at=due, lease_until=None, attempts=F("attempts") - 1, result=why[:40]
    )
    wake.after_commit(due, item.lane)
    _next_in_line(item)


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
class Lane:
    """One lane of a worker: its own sending threads, its own claims, and the due times it has heard of."""

    name: str
    threads: int
    busy: int = 0  # claimed jobs not yet finished
    due: DueTimes = field(default_factory=DueTimes)
    last_claim: float = 0.0
    pool: ThreadPoolExecutor | None = None

    @property
    def capacity(self) -> int:
        return min(self.threads * 2 - self.busy, settings.OUTBOX_BATCH)  # a short queue keeps threads fed


@dataclass
class Worker:
    name: str = ""
    threads: int = 0  # texts lane
    alert_threads: int = 0  # alerts lane (email, webhooks)
    in_web_process: bool = False  # a thread of `textback serve`, woken by its own webhooks

    def __post_init__(self) -> None:
        self.name = self.name or f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 10000}"
        self.threads = self.threads or settings.WORKER_THREADS
        self.alert_threads = self.alert_threads or settings.WORKER_ALERT_THREADS
        self.lanes = {TEXTS: Lane(TEXTS, self.threads), ALERTS: Lane(ALERTS, self.alert_threads)}
        self._lock = threading.Lock()
        self._finished: dict[str, list[tuple[Job, object]]] = {}
        self._first_finished = 0.0  # when the oldest result not yet recorded came in (time.monotonic())
        self._next_look = 0.0

    def run(self, stop: threading.Event) -> None:
        """Loop until stopped. A database that goes away (restart, failover, a locked SQLite file)
        pauses the loop and reconnects; it never ends it."""
        for lane in self.lanes.values():
            lane.pool = ThreadPoolExecutor(lane.threads, thread_name_prefix=f"outbox-{lane.name}")
        log.info("outbox worker %s started: %d threads for texts, %d for alerts", self.name, self.threads,
                 self.alert_threads)  # fmt: skip
        waiter, failures = None, 0
        try:
            while not stop.is_set():
                try:
                    waiter = waiter or wake.waiter(in_web_process=self.in_web_process)
                    self._tick(waiter)
                    failures = 0
                except Exception:
                    failures += 1
                    log.exception("outbox worker %s: the loop failed (%d in a row); retrying", self.name, failures)
                    self._reset(waiter)
                    waiter = None
                    self._next_look = 0.0
                    stop.wait(min(0.5 * 2**failures, MAX_IDLE_SECONDS))
        finally:
            for lane in self.lanes.values():
                lane.pool.shutdown(wait=True)
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

    def _tick(self, waiter: wake.Waiter) -> None:
        texts = self.lanes[TEXTS]
        if self._finished and (texts.busy == 0 or time.monotonic() - self._first_finished >= RECORD_WITHIN_SECONDS):
            self._record_finished()
        now = time.time()
        if now >= self._next_look:  # what no wake-up told us: work written before we started, expired leases
            close_old_connections()
            for lane in self.lanes.values():
                lane.due.add([now + seconds_until_due(lane=lane.name)])
            self._next_look = now + MAX_IDLE_SECONDS
        wait_until, listening = self._next_look, []
        for lane in self.lanes.values():
            until, listens = self._serve(lane, now)
            wait_until = min(wait_until, until)
            if listens:
                listening.append(lane.name)
        if self._finished:
            wait_until = min(wait_until, now + RECORD_WITHIN_SECONDS - (time.monotonic() - self._first_finished))
        for due, lane in waiter.wait(max(wait_until - time.time(), 0.0), listen=listening):
            if lane in self.lanes:
                self.lanes[lane].due.add([due])
            else:  # another process committed something (SQLite): texts look now, alerts (never urgent) soon
                texts.due.add([due])
                self.lanes[ALERTS].due.add([due + UNSURE_ALERTS_SECONDS])

    def _serve(self, lane: Lane, now: float) -> tuple[float, bool]:
        """Claim for the lane if it has room and work is due; (when to look at it again, whether news of its
        work should wake us: not while it paces its claims or has no room; a finishing job pokes us)."""
        if lane.capacity <= 0:
            return now + MAX_IDLE_SECONDS, False
        if lane.due.next() > now:
            return lane.due.next(), True
        if now - lane.last_claim < CLAIM_INTERVAL_SECONDS:  # pacing: claim when the interval is over
            return lane.last_claim + CLAIM_INTERVAL_SECONDS, False
        self._claim(lane, now)
        return lane.due.next(), True

    def _claim(self, lane: Lane, now: float) -> None:
        lane.last_claim = now
        capacity = lane.capacity
        jobs, claimed = claim_jobs(self.name, capacity, lane=lane.name)
        if claimed < capacity:
            lane.due.claimed_until(now)
        for job in jobs:
            with self._lock:
                lane.busy += 1
            lane.pool.submit(self._run_one, lane, job)

    def _run_one(self, lane: Lane, job: Job) -> None:
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
                lane.busy -= 1
                idle = lane.busy == 0
            if idle or job.work is None or lane.threads * 2 - lane.busy == 1:
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
