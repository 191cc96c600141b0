"""The real worker loop, in a thread, against the sandbox carrier: it wakes at once, sleeps until due, and stops.

Times are measured generously: this is behaviour (woken, not polled), not a benchmark.
"""

import select
import threading
import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from textback.conftest import CALLER
from textback.messaging import actions
from textback.messaging.models import Message, MessageStatus
from textback.outbox import wake, worker
from textback.outbox.models import OutboxItem
from textback.providers.sandbox.models import SandboxMessage
from textback.testing import RunningWorker, wait_for

BODY = "AlphaPlumbing: sorry we missed your call. Reply STOP to opt out."
PROMPT = 1.0  # seconds; an idle worker that polls instead of being woken sleeps MAX_IDLE_SECONDS (30)


def queue_committed(line, *, due_in: float = 0.0, to: str = CALLER, key: str = "t1") -> Message:
    with transaction.atomic():
        due = timezone.now() + timedelta(seconds=due_in)
        return actions.queue_text(
            line=line,
            contact=actions.contact_for(line.business, to),
            body=BODY,
            purpose=Message.TEXTBACK,
            key=key,
            due_at=due,
            expires_at=due + timedelta(minutes=15),
        )


def carried():
    return SandboxMessage.objects.filter(direction=SandboxMessage.TO_HANDSET).first()


def drain_wakeups() -> None:
    wake.Waiter().wait(0)


@pytest.fixture(autouse=True)
def _threads_share_a_real_database(request):
    """Tests that run threads get a database those threads can write to (conftest.shared_database)."""
    marker = request.node.get_closest_marker("django_db")
    if marker and marker.kwargs.get("transaction"):
        request.getfixturevalue("shared_database")


@pytest.fixture
def running_worker(shared_database):
    running = RunningWorker().start()
    yield running
    running.halt()
    assert not running.thread.is_alive(), "the worker did not stop"
    assert running.error is None


@pytest.mark.django_db(transaction=True)
def test_a_text_queued_while_the_worker_idles_is_sent_at_once(alpha_sandbox_line, running_worker):
    queue_committed(alpha_sandbox_line)
    committed = time.monotonic()

    sent = wait_for(carried)
    took = time.monotonic() - committed

    assert sent is not None and sent.to_number == CALLER
    assert took < PROMPT, f"the worker took {took:.2f} s to notice a new text"


@pytest.mark.django_db(transaction=True)
def test_a_delayed_text_is_sent_at_its_due_time_not_before(alpha_sandbox_line, running_worker):
    message = queue_committed(alpha_sandbox_line, due_in=1.0)
    due = message.outbox_item.due_at

    time.sleep(0.5)
    assert carried() is None, "sent before it was due"
    sent = wait_for(carried, timeout=5)

    assert sent is not None
    late = (sent.created_at - due).total_seconds()
    assert 0 <= late < PROMPT - 0.5, f"sent {late:.2f} s after its due time"


@pytest.mark.django_db(transaction=True)
def test_the_delivery_report_follows_and_the_message_ends_delivered(alpha_sandbox_line, running_worker):
    message = queue_committed(alpha_sandbox_line)

    delivered = wait_for(lambda: Message.objects.filter(pk=message.pk, status=MessageStatus.DELIVERED).exists())

    assert delivered
    assert set(OutboxItem.objects.values_list("status", flat=True)) == {OutboxItem.DONE}


@pytest.mark.django_db(transaction=True)
def test_many_texts_queued_at_once_are_each_sent_exactly_once(alpha_sandbox_line, running_worker):
    for n in range(20):
        queue_committed(alpha_sandbox_line, to=f"+151255501{n:02d}", key=f"t{n}")

    wait_for(lambda: SandboxMessage.objects.count() >= 20)
    time.sleep(0.3)

    assert sorted(SandboxMessage.objects.values_list("to_number", flat=True)) == [
        f"+151255501{n:02d}" for n in range(20)
    ]


@pytest.mark.django_db(transaction=True)
def test_a_crashing_handler_does_not_stop_the_worker_and_the_row_is_retried(
    alpha_sandbox_line, running_worker, monkeypatch
):
    import dataclasses

    batch, one_by_one, calls = worker.BATCHED[OutboxItem.SMS], worker.HANDLERS[OutboxItem.SMS], []

    def crashing_run(job):
        calls.append("sent in a batch")
        raise RuntimeError("a bug")

    def handler(item, reconcile):
        calls.append(f"retried, reconciling first: {reconcile}")
        one_by_one(item, reconcile)

    monkeypatch.setitem(worker.BATCHED, OutboxItem.SMS, dataclasses.replace(batch, run=crashing_run))
    monkeypatch.setitem(worker.HANDLERS, OutboxItem.SMS, handler)
    message = queue_committed(alpha_sandbox_line)

    wait_for(lambda: OutboxItem.objects.filter(message=message, status=OutboxItem.PENDING, attempts=1).exists(), 2)
    item = OutboxItem.objects.get(message=message)
    assert item.status == OutboxItem.PENDING and "a bug" in item.last_error
    assert running_worker.thread.is_alive()

    sent = wait_for(carried, timeout=10)  # the retry comes after about 2 s of backoff
    assert sent is not None and calls == ["sent in a batch", "retried, reconciling first: True"]


@pytest.mark.django_db(transaction=True)
def test_the_worker_stops_promptly_on_the_stop_event_and_a_poke(alpha_sandbox_line, running_worker):
    took = running_worker.halt()

    assert not running_worker.thread.is_alive()
    assert took < PROMPT


# --- the pieces the loop is made of ---------------------------------------------------------


@pytest.mark.django_db
def test_seconds_until_due_is_the_gap_to_the_next_due_text(alpha_sandbox_line, queue):
    now = timezone.now()
    queue(alpha_sandbox_line, due_in=5)
    queue(alpha_sandbox_line, to="+15125550141", due_in=12)

    assert worker.seconds_until_due(now) == pytest.approx(5, abs=0.1)


@pytest.mark.django_db
def test_seconds_until_due_is_capped_when_nothing_is_waiting(alpha_sandbox_line, queue):
    assert worker.seconds_until_due() == worker.MAX_IDLE_SECONDS
    queue(alpha_sandbox_line, due_in=3600)
    assert worker.seconds_until_due() == worker.MAX_IDLE_SECONDS


@pytest.mark.django_db
def test_seconds_until_due_is_zero_for_overdue_work(alpha_sandbox_line, queue):
    queue(alpha_sandbox_line, due_in=-10)

    assert worker.seconds_until_due() == 0


@pytest.mark.django_db
def test_seconds_until_due_counts_a_lease_that_will_run_out(alpha_sandbox_line, queue, settings):
    queue(alpha_sandbox_line)
    now = timezone.now()
    worker.claim("worker-a", 10, now)

    assert worker.seconds_until_due(now) == pytest.approx(min(settings.OUTBOX_LEASE_SECONDS, worker.MAX_IDLE_SECONDS))


@pytest.mark.django_db
def test_seconds_until_due_ignores_canceled_and_finished_work(alpha_sandbox_line, queue):
    message = queue(alpha_sandbox_line, due_in=2)
    actions.cancel_pending(message.business, message.contact, why="test")

    assert worker.seconds_until_due() == worker.MAX_IDLE_SECONDS


def test_a_poke_wakes_a_sleeping_waiter_at_once():
    waiter = wake.Waiter()
    drain_wakeups()
    threading.Timer(0.05, wake.poke).start()

    started = time.monotonic()
    waiter.wait(5)

    assert time.monotonic() - started < PROMPT


def test_a_waiter_that_is_not_poked_sleeps_its_whole_timeout():
    drain_wakeups()
    started = time.monotonic()
    wake.Waiter().wait(0.2)

    assert time.monotonic() - started >= 0.19


@pytest.mark.django_db
def test_queuing_a_text_wakes_the_worker_only_once_it_is_committed(
    alpha_sandbox_line, queue, django_capture_on_commit_callbacks
):
    drain_wakeups()
    read_end = wake._pipe()[0]

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        queue(alpha_sandbox_line)
        assert select.select([read_end], [], [], 0)[0] == []  # not before the commit
    for callback in callbacks:
        callback()

    assert select.select([read_end], [], [], 0)[0] == [read_end]
    drain_wakeups()
