"""Recovery when things go wrong at the worst moment: lost leases, lost answers, lost databases."""

import threading
from datetime import timedelta

import httpx
import pytest
from django.conf import settings
from django.utils import timezone

from textback.conftest import ALPHA_NUMBER, CALLER
from textback.messaging import actions
from textback.messaging.models import Message, MessageStatus
from textback.messaging.sending import deliver
from textback.outbox import wake, worker
from textback.outbox.models import OutboxItem
from textback.outbox.tests.conftest import OUTBOX_BODY, WorkerDied, dies_after_creating, raises

pytestmark = pytest.mark.django_db


def lease() -> timedelta:
    return timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)


def fresh(obj):
    obj.refresh_from_db()
    return obj


def test_taking_a_text_renews_the_lease_so_it_covers_the_provider_request(alpha_line, queue, fake_twilio, clock):
    queue(alpha_line)
    [(item, _)] = worker.claim("worker-a", 10)
    clock.shift(lease() - timedelta(seconds=5))  # it waited in the queue almost the whole lease

    seen = {}

    def look_at_the_lease(fake, request):
        seen["lease_until"] = OutboxItem.objects.get(pk=item.pk).lease_until
        return fake.accept(request)

    fake_twilio.script = [look_at_the_lease]
    deliver(item, False)

    assert seen["lease_until"] >= timezone.now() + lease() - timedelta(seconds=1)
    assert worker.claim("worker-b", 10) == []  # nobody else could take it over while it was being sent


def test_a_text_that_went_out_just_before_its_expiry_is_recorded_as_sent_not_expired(
    alpha_line, queue, fake_twilio, clock
):
    message = queue(alpha_line, expires_in=30)
    fake_twilio.script = [dies_after_creating]
    [(item, reconcile)] = worker.claim("worker-a", 10)
    with pytest.raises(WorkerDied):
        deliver(item, reconcile)

    clock.shift(lease() + timedelta(seconds=1))  # now past the text's expiry
    [(again, reconcile)] = worker.claim("worker-b", 10)
    deliver(again, reconcile)

    assert fresh(message).status == MessageStatus.QUEUED
    assert fresh(message).provider_message_id == fake_twilio.messages[0]["sid"]
    assert len(fake_twilio.posts) == 1


def test_a_lost_answer_for_one_of_two_identical_texts_is_not_matched_to_the_other(
    alpha_line, queue, fake_twilio, clock
):
    """Two HELP answers with the same words, minutes apart: the second one's lost answer must not adopt the first's SID."""
    first = queue(alpha_line, purpose=Message.HELP)
    [(item, reconcile)] = worker.claim("worker-a", 10)
    deliver(item, reconcile)
    clock.shift(timedelta(seconds=20))
    second = queue(alpha_line, purpose=Message.HELP)
    [(item, reconcile)] = worker.claim("worker-a", 10)  # dies before talking to Twilio

    clock.shift(lease() + timedelta(seconds=1))
    [(again, reconcile)] = worker.claim("worker-b", 10)
    deliver(again, reconcile)

    assert len(fake_twilio.posts) == 2
    assert fresh(first).provider_message_id != fresh(second).provider_message_id
    assert fresh(second).status == MessageStatus.QUEUED


def test_a_twilio_trial_prefix_does_not_hide_a_text_that_was_sent(alpha_line, queue, fake_twilio, clock):
    message = queue(alpha_line)
    worker.claim("worker-a", 10)
    fake_twilio.preload(CALLER, ALPHA_NUMBER, f"Sent from your Twilio trial account - {OUTBOX_BODY}", timezone.now())

    clock.shift(lease() + timedelta(seconds=1))
    [(again, reconcile)] = worker.claim("worker-b", 10)
    deliver(again, reconcile)

    assert fake_twilio.posts == []
    assert fresh(message).provider_message_id == fake_twilio.messages[0]["sid"]


def test_a_lookup_that_fails_is_retried_later_and_still_looks_first(alpha_line, queue, fake_twilio, clock):
    message = queue(alpha_line)
    worker.claim("worker-a", 10)
    clock.shift(lease() + timedelta(seconds=1))
    [(again, reconcile)] = worker.claim("worker-b", 10)
    fake_twilio.listing = lambda request: httpx.Response(503, json={"code": 20500, "message": "down"})

    deliver(again, reconcile)

    assert fake_twilio.posts == []
    row = fresh(again)
    assert (row.status, row.result) == (OutboxItem.PENDING, worker.UNCERTAIN)
    assert fresh(message).status in MessageStatus.PENDING


def test_a_text_given_up_after_a_timeout_is_corrected_when_twilio_reports_it(alpha_line, queue, fake_twilio, clock):
    message = queue(alpha_line, expires_in=0.5)
    fake_twilio.script = [raises(httpx.ReadTimeout, after_creating=True)]
    [(item, reconcile)] = worker.claim("worker-a", 10)
    deliver(item, reconcile)  # no retry fits before the expiry
    assert fresh(message).status == MessageStatus.FAILED
    assert "may have reached the provider" in fresh(message).error_message

    report = actions.StatusReport(
        provider="twilio", provider_message_id=fake_twilio.messages[0]["sid"], status="delivered", ref=str(message.ref)
    )
    actions.do_message_status(report)

    assert fresh(message).status == MessageStatus.DELIVERED


def test_a_stop_does_not_relabel_a_text_already_being_handed_over(alpha_line, queue):
    message = queue(alpha_line)
    Message.objects.filter(pk=message.pk).update(status=MessageStatus.SUBMITTING)

    actions.do_inbound_sms(actions.Inbound(alpha_line, "twilio", "SM" + "5" * 32, CALLER, "STOP"))

    assert fresh(message).status == MessageStatus.SUBMITTING


def test_an_unexpected_error_that_ends_a_row_marks_its_text_failed(alpha_sandbox_line, queue, monkeypatch):
    message = queue(alpha_sandbox_line)
    Message.objects.filter(pk=message.pk).update(status=MessageStatus.SUBMITTING)
    [(item, _)] = worker.claim("worker-a", 10)
    OutboxItem.objects.filter(pk=item.pk).update(attempts=worker.MAX_ATTEMPTS)
    item.attempts = worker.MAX_ATTEMPTS

    worker.Worker(name="worker-a")._give_back(item, RuntimeError("bug"))

    assert fresh(item).status == OutboxItem.DEAD
    assert (fresh(message).status, fresh(message).error_message) == (
        MessageStatus.FAILED,
        "internal error: RuntimeError('bug')",
    )


@pytest.mark.django_db(transaction=True)
def test_the_worker_keeps_going_after_the_database_fails_once(shared_database, alpha_sandbox_line, queue, monkeypatch):
    real_claim, failures = worker.claim_jobs, []

    def claim_failing_once(*args, **kwargs):
        if not failures:
            failures.append(1)
            raise RuntimeError("the database went away")
        return real_claim(*args, **kwargs)

    monkeypatch.setattr(worker, "claim_jobs", claim_failing_once)
    stop = threading.Event()
    thread = threading.Thread(target=worker.Worker(name="survivor", threads=1).run, args=(stop,))
    thread.start()
    try:
        message = queue(alpha_sandbox_line)
        wake.poke()
        for _ in range(100):
            if fresh(message).status not in MessageStatus.PENDING:
                break
            stop.wait(0.05)
    finally:
        stop.set()
        wake.poke()
        thread.join(10)

    assert failures == [1]
    assert fresh(message).status in (MessageStatus.SENT, MessageStatus.DELIVERED)
