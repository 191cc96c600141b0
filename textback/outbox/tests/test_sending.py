"""Sending one text: claim() and deliver() driven by hand, against the sandbox carrier and a fake Twilio."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.conf import settings
from django.utils import timezone

from textback.conftest import ALPHA_NUMBER, ALPHA_SANDBOX_NUMBER, ALPHA_SID, ALPHA_TOKEN, CALLER
from textback.messaging import actions
from textback.messaging.models import ConsentEvent, Contact, ExcludedNumber, Message, MessageStatus
from textback.messaging.sending import deliver
from textback.outbox import worker
from textback.outbox.models import OutboxItem
from textback.outbox.tests.conftest import FakeTwilio, WorkerDied, dies_after_creating, error, raises
from textback.providers.sandbox.models import SandboxHandset, SandboxMessage
from textback.providers.twilio.tests.openapi import auth_problems, request_problems, require_spec

pytestmark = pytest.mark.django_db

BODY = "AlphaPlumbing: sorry we missed your call, how can we help? Reply STOP to opt out."


def lease() -> timedelta:
    return timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)


def fresh(obj):
    obj.refresh_from_db()
    return obj


def item_of(message: Message) -> OutboxItem:
    return OutboxItem.objects.get(message=message)


def carried_to(number: str = CALLER) -> list[SandboxMessage]:
    return list(SandboxMessage.objects.filter(to_number=number, direction=SandboxMessage.TO_HANDSET))


def text_in(line, body: str, number: str = CALLER) -> Message:
    return actions.do_inbound_sms(
        actions.Inbound(
            line=line, provider=line.account.provider, provider_message_id="", from_number=number, body=body
        )
    )


# --- claiming -------------------------------------------------------------------------------


def test_a_due_text_is_claimed_and_sent_once(alpha_sandbox_line, queue, run_outbox, clock):
    message = queue(alpha_sandbox_line)

    [(item, reconcile)] = run_outbox()
    run_outbox()
    clock.shift(timedelta(hours=1))
    run_outbox()

    assert (item.message_id, reconcile) == (message.pk, False)
    [carried] = carried_to()
    assert (carried.from_number, carried.body) == (ALPHA_SANDBOX_NUMBER, BODY)
    assert fresh(item).status == OutboxItem.DONE and item.attempts == 1
    assert fresh(message).provider_message_id == carried.sid


def test_two_claims_in_a_row_never_return_the_same_row(alpha_sandbox_line, queue):
    for n in range(3):
        queue(alpha_sandbox_line, to=f"+1512555014{n}")

    first = worker.claim("worker-a", 2)
    second = worker.claim("worker-b", 2)
    third = worker.claim("worker-c", 2)

    assert len(first) == 2 and len(second) == 1 and third == []
    assert not {i.pk for i, _ in first} & {i.pk for i, _ in second}
    assert {i.claimed_by for i in OutboxItem.objects.all()} == {"worker-a", "worker-b"}


def test_the_earliest_due_text_is_claimed_first(alpha_sandbox_line, queue, clock):
    later = queue(alpha_sandbox_line, to="+15125550141", due_in=-1)
    earlier = queue(alpha_sandbox_line, to="+15125550142", due_in=-5)

    [(item, _)] = worker.claim("worker-a", 1)

    assert item.message_id == earlier.pk and later.pk != earlier.pk


def test_a_text_that_is_not_due_yet_is_left_alone(alpha_sandbox_line, queue, clock):
    queue(alpha_sandbox_line, due_in=30)

    assert worker.claim("worker-a", 10) == []
    clock.shift(timedelta(seconds=30))
    assert len(worker.claim("worker-a", 10)) == 1


def test_finished_and_canceled_rows_are_never_claimed(alpha_sandbox_line, queue, run_outbox, clock):
    queue(alpha_sandbox_line)
    run_outbox()
    canceled = queue(alpha_sandbox_line, to="+15125550141", due_in=10)
    actions.cancel_pending(canceled.business, canceled.contact, why="test")

    clock.shift(timedelta(days=1))
    claimed = worker.claim("worker-a", 10)

    assert [item.kind for item, _ in claimed] == ["sandbox_dlr"]  # only the carrier's delivery report


def test_a_claimed_row_comes_back_only_when_its_lease_runs_out_and_then_must_be_reconciled(
    alpha_sandbox_line, queue, clock
):
    queue(alpha_sandbox_line)
    [(item, reconcile)] = worker.claim("worker-a", 10)
    assert reconcile is False

    clock.shift(lease() - timedelta(seconds=1))
    assert worker.claim("worker-b", 10) == []

    clock.shift(timedelta(seconds=2))
    [(again, reconcile)] = worker.claim("worker-b", 10)
    assert again.pk == item.pk and reconcile is True
    assert (fresh(again).claimed_by, again.attempts) == ("worker-b", 2)


# --- reconciling after a worker died --------------------------------------------------------


def test_after_a_lost_lease_a_text_twilio_already_has_is_adopted_without_a_second_post(
    alpha_line, queue, fake_twilio, clock
):
    message = queue(alpha_line)
    fake_twilio.script = [dies_after_creating]
    [(item, reconcile)] = worker.claim("worker-a", 10)
    with pytest.raises(WorkerDied):
        deliver(item, reconcile)

    clock.shift(lease() + timedelta(seconds=1))
    [(again, reconcile)] = worker.claim("worker-b", 10)
    assert reconcile is True
    deliver(again, reconcile)

    [created] = fake_twilio.messages
    assert len(fake_twilio.posts) == 1 and len(fake_twilio.gets) == 1
    lookup = fake_twilio.gets[0].url.params
    assert (lookup["To"], lookup["From"]) == (CALLER, ALPHA_NUMBER)
    assert fresh(message).provider_message_id == created["sid"]
    assert message.status == MessageStatus.QUEUED
    assert fresh(again).status == OutboxItem.DONE


def test_after_a_lost_lease_a_text_twilio_does_not_have_is_sent(alpha_line, queue, fake_twilio, clock):
    message = queue(alpha_line)
    [(item, _)] = worker.claim("worker-a", 10)  # the worker dies before it talks to Twilio

    clock.shift(lease() + timedelta(seconds=1))
    [(again, reconcile)] = worker.claim("worker-b", 10)
    deliver(again, reconcile)

    assert len(fake_twilio.gets) == 1 and len(fake_twilio.posts) == 1
    assert fresh(message).provider_message_id == fake_twilio.messages[0]["sid"]


def test_an_identical_older_text_at_twilio_is_not_mistaken_for_this_one(alpha_line, queue, fake_twilio, clock):
    fake_twilio.preload(CALLER, ALPHA_NUMBER, BODY, created=timezone.now() - timedelta(days=3))
    message = queue(alpha_line)
    worker.claim("worker-a", 10)

    clock.shift(lease() + timedelta(seconds=1))
    [(again, reconcile)] = worker.claim("worker-b", 10)
    deliver(again, reconcile)

    assert len(fake_twilio.posts) == 1
    assert fresh(message).provider_message_id == fake_twilio.messages[-1]["sid"]


def test_a_different_text_to_the_same_number_is_not_mistaken_for_this_one(alpha_line, queue, fake_twilio, clock):
    fake_twilio.preload(CALLER, ALPHA_NUMBER, "We can be there at 3pm.", created=timezone.now())
    queue(alpha_line)
    worker.claim("worker-a", 10)

    clock.shift(lease() + timedelta(seconds=1))
    [(again, reconcile)] = worker.claim("worker-b", 10)
    deliver(again, reconcile)

    assert len(fake_twilio.posts) == 1


def test_a_worker_that_lost_its_lease_sends_nothing_when_it_wakes_up(alpha_line, queue, fake_twilio, clock):
    message = queue(alpha_line)
    [(stale, _)] = worker.claim("worker-a", 10)
    clock.shift(lease() + timedelta(seconds=1))
    [(current, reconcile)] = worker.claim("worker-b", 10)

    deliver(stale, False)  # worker-a was only paused (GC, swap) and carries on
    assert fake_twilio.requests == []
    deliver(current, reconcile)
    deliver(stale, False)

    assert len(fake_twilio.posts) == 1
    assert fresh(message).provider_message_id == fake_twilio.messages[0]["sid"]


def test_a_sandbox_text_sent_before_a_crash_is_found_again_by_its_reference(alpha_sandbox_line, queue, clock):
    from textback.providers.sandbox import carrier

    message = queue(alpha_sandbox_line)
    [(item, _)] = worker.claim("worker-a", 10)
    original = carrier.SandboxCarrier.send_sms

    def send_then_die(self, sms):
        original(self, sms)
        raise WorkerDied

    carrier.SandboxCarrier.send_sms = send_then_die
    try:
        with pytest.raises(WorkerDied):
            deliver(item, False)
    finally:
        carrier.SandboxCarrier.send_sms = original

    clock.shift(lease() + timedelta(seconds=1))
    [(again, reconcile)] = [(i, r) for i, r in worker.claim("worker-b", 10) if i.kind == OutboxItem.SMS]
    deliver(again, reconcile)

    [carried] = carried_to()
    assert fresh(message).provider_message_id == carried.sid


def test_a_delivery_report_that_beats_the_api_response_is_not_overwritten(alpha_line, queue, fake_twilio, run_outbox):
    def accept_and_report_at_once(fake, request):
        created = fake.create(request)
        ref = parse_qs(urlsplit(fake.form(request)["StatusCallback"]).query)["m"][0]
        actions.do_message_status(
            actions.StatusReport(provider="twilio", provider_message_id=created["sid"], status="delivered", ref=ref)
        )
        return httpx.Response(201, json=created)

    message = queue(alpha_line)
    fake_twilio.script = [accept_and_report_at_once]

    run_outbox()

    assert fresh(message).status == MessageStatus.DELIVERED
    assert message.provider_message_id == fake_twilio.messages[0]["sid"]


# --- transient errors -----------------------------------------------------------------------


def test_a_503_puts_the_row_back_to_pending_with_backoff_and_the_next_attempt_looks_before_sending(
    alpha_line, queue, fake_twilio, run_outbox, clock
):
    message = queue(alpha_line)
    fake_twilio.script = [error(503, 20503, "Service Unavailable")]

    run_outbox()

    item = item_of(message)
    assert item.status == OutboxItem.PENDING and item.attempts == 1
    assert timedelta(seconds=1) <= item.due_at - timezone.now() <= timedelta(seconds=3)
    assert "503" in item.last_error
    assert fresh(message).status not in (MessageStatus.FAILED, *MessageStatus.NOT_SENT)
    assert run_outbox() == []  # not before its time

    clock.move_to(item.due_at)
    [(_, reconcile)] = run_outbox()

    assert reconcile is True  # a 5xx may come after Twilio created the message
    assert len(fake_twilio.posts) == 2 and len(fake_twilio.gets) == 1
    assert fresh(message).status == MessageStatus.QUEUED
    assert message.provider_message_id == fake_twilio.messages[0]["sid"]
    assert fresh(item).status == OutboxItem.DONE


def test_a_timeout_after_twilio_created_the_message_does_not_send_it_twice(
    alpha_line, queue, fake_twilio, run_outbox, clock
):
    message = queue(alpha_line)
    fake_twilio.script = [raises(httpx.ReadTimeout, after_creating=True)]

    run_outbox()
    item = item_of(message)
    assert item.status == OutboxItem.PENDING

    clock.move_to(item.due_at)
    [(_, reconcile)] = run_outbox()

    assert reconcile is True
    assert len(fake_twilio.posts) == 1
    assert fresh(message).provider_message_id == fake_twilio.messages[0]["sid"]


def test_a_refused_connection_is_retried_and_needs_no_lookup(alpha_line, queue, fake_twilio, run_outbox, clock):
    message = queue(alpha_line)
    fake_twilio.script = [raises(httpx.ConnectError)]

    run_outbox()
    item = item_of(message)
    assert item.status == OutboxItem.PENDING

    clock.move_to(item.due_at)
    [(_, reconcile)] = run_outbox()

    assert reconcile is False  # the request never left this machine
    assert len(fake_twilio.messages) == 1 and fresh(message).status == MessageStatus.QUEUED


def test_too_many_requests_is_retried_later(alpha_line, queue, fake_twilio, run_outbox):
    message = queue(alpha_line)
    fake_twilio.script = [error(429, 20429, "Too Many Requests")]

    run_outbox()

    assert item_of(message).status == OutboxItem.PENDING
    assert fresh(message).status != MessageStatus.FAILED


def test_a_retry_waits_at_least_as_long_as_twilio_asked(alpha_line, queue, fake_twilio, run_outbox, clock):
    message = queue(alpha_line, expires_in=None)
    fake_twilio.script = [error(429, 20429, "Too Many Requests", headers={"Retry-After": "120"})]

    run_outbox()

    assert item_of(message).due_at >= timezone.now() + timedelta(seconds=120)  # the backoff alone would be ~2 s
    clock.shift(timedelta(seconds=60))
    assert run_outbox() == []
    clock.shift(timedelta(seconds=61))
    assert len(run_outbox()) == 1 and len(fake_twilio.posts) == 2


def test_a_text_that_keeps_failing_gives_up_after_the_last_attempt(alpha_line, queue, fake_twilio, run_outbox, clock):
    message = queue(alpha_line, expires_in=None)
    fake_twilio.script = [error(503, 20503)] * (worker.MAX_ATTEMPTS + 5)

    for _ in range(worker.MAX_ATTEMPTS):
        clock.move_to(item_of(message).due_at)
        assert len(run_outbox()) == 1

    assert item_of(message).status == OutboxItem.DEAD
    assert fresh(message).status == MessageStatus.FAILED
    clock.shift(timedelta(days=1))
    assert run_outbox() == []
    assert len(fake_twilio.posts) == worker.MAX_ATTEMPTS


def test_a_retry_that_would_come_after_the_text_expires_is_not_scheduled(
    alpha_line, queue, fake_twilio, run_outbox, clock
):
    message = queue(alpha_line, expires_in=0.5)  # backoff after the first attempt is at least 1 s
    fake_twilio.script = [error(503, 20503)]

    run_outbox()

    assert item_of(message).status == OutboxItem.DEAD
    clock.shift(timedelta(minutes=5))
    run_outbox()
    assert len(fake_twilio.posts) == 1


def test_backoff_grows_exponentially_with_jitter_and_is_capped():
    for attempts in range(1, 8):
        for _ in range(50):
            wait = worker.backoff(attempts).total_seconds()
            assert 0.5 * 2**attempts <= wait <= 1.5 * 2**attempts
    waits = {worker.backoff(3).total_seconds() for _ in range(20)}
    assert len(waits) > 1  # jitter, so a burst of failures does not retry in lockstep
    assert all(worker.backoff(30).total_seconds() <= 450 for _ in range(50))


def test_a_reply_while_a_retry_is_pending_cancels_the_text_back(alpha_line, queue, fake_twilio, run_outbox, clock):
    message = queue(alpha_line)
    fake_twilio.script = [error(429, 20429, "Too Many Requests")]  # Twilio refused it: certainly not sent
    run_outbox()

    text_in(alpha_line, "Never mind, we fixed it ourselves")
    clock.move_to(item_of(message).due_at)
    run_outbox()

    assert len(fake_twilio.posts) == 1
    assert fresh(message).status == MessageStatus.CANCELED


def test_a_stop_while_a_retry_is_pending_means_it_is_never_sent(alpha_line, queue, fake_twilio, run_outbox, clock):
    message = queue(alpha_line)
    fake_twilio.script = [error(503, 20503)]
    run_outbox()

    text_in(alpha_line, "STOP")
    clock.move_to(item_of(message).due_at)
    run_outbox()

    assert len(fake_twilio.posts) == 1
    assert fresh(message).status in (MessageStatus.SUPPRESSED, MessageStatus.CANCELED)


# --- permanent errors -----------------------------------------------------------------------


def test_21610_fails_the_text_and_records_an_opt_out_from_the_provider(
    alpha, alpha_line, queue, fake_twilio, run_outbox, clock
):
    message = queue(alpha_line)
    fake_twilio.script = [error(400, 21610, "Attempt to send to unsubscribed recipient")]

    run_outbox()

    assert (fresh(message).status, message.error_code) == (MessageStatus.FAILED, "21610")
    assert item_of(message).status == OutboxItem.DEAD
    [event] = ConsentEvent.objects.all()
    assert (event.kind, event.source, event.number, event.line) == (
        ConsentEvent.OPT_OUT,
        ConsentEvent.PROVIDER,
        CALLER,
        alpha_line,
    )
    assert actions.is_opted_out(alpha, CALLER)
    clock.shift(timedelta(hours=1))
    run_outbox()
    assert len(fake_twilio.posts) == 1


def test_a_text_through_an_account_whose_token_cannot_be_decrypted_fails_once_with_a_clear_error(
    alpha_line, queue, fake_twilio, run_outbox, clock, lose_the_key, caplog
):
    lose_the_key(alpha_line.account)
    message = queue(alpha_line)

    run_outbox()

    assert fresh(message).status == MessageStatus.FAILED
    assert message.error_message.startswith(
        f"the auth token of Twilio account {alpha_line.account.pk} (alpha) cannot be decrypted with any configured key"
    )
    assert item_of(message).status == OutboxItem.DEAD
    clock.shift(timedelta(hours=1))
    run_outbox()
    assert fake_twilio.requests == []
    assert "cannot be decrypted" in caplog.text and ALPHA_TOKEN not in caplog.text


@pytest.mark.parametrize("code", [21614, 21635])  # 30006 only comes in delivery reports (test_sms_webhooks)
def test_a_landline_error_marks_the_contact_a_landline(alpha_line, queue, fake_twilio, run_outbox, code):
    message = queue(alpha_line)
    fake_twilio.script = [error(400, code)]

    run_outbox()

    assert (fresh(message).status, message.error_code) == (MessageStatus.FAILED, str(code))
    assert Contact.objects.get(number=CALLER).is_landline
    assert not ConsentEvent.objects.exists()


def test_21211_marks_the_number_invalid(alpha_line, queue, fake_twilio, run_outbox):
    message = queue(alpha_line)
    fake_twilio.script = [error(400, 21211, "The 'To' number is not a valid phone number.")]

    run_outbox()

    assert fresh(message).status == MessageStatus.FAILED
    assert Contact.objects.get(number=CALLER).is_invalid


def test_a_number_known_to_be_a_landline_is_not_tried_again(alpha_line, queue, fake_twilio, run_outbox):
    fake_twilio.script = [error(400, 21614)]
    queue(alpha_line)
    run_outbox()

    second = queue(alpha_line, "We can come at 3pm.", purpose=Message.REPLY)
    run_outbox()

    assert len(fake_twilio.posts) == 1
    assert fresh(second).status == MessageStatus.SUPPRESSED


def test_an_unknown_client_error_fails_at_once_without_teaching_anything(alpha_line, queue, fake_twilio, run_outbox):
    message = queue(alpha_line)
    fake_twilio.script = [error(400, 21408, "Permission to send an SMS has not been enabled for the region")]

    run_outbox()

    assert fresh(message).status == MessageStatus.FAILED and "21408" in message.error_code
    contact = Contact.objects.get(number=CALLER)
    assert not (contact.is_landline or contact.is_invalid) and not ConsentEvent.objects.exists()


# --- too late, opted out, canceled ----------------------------------------------------------


def test_a_text_past_its_expiry_is_recorded_as_expired_and_never_sent(
    alpha_line, queue, fake_twilio, run_outbox, clock
):
    message = queue(alpha_line, expires_in=900)

    clock.shift(timedelta(minutes=15, seconds=1))
    run_outbox()

    assert fake_twilio.requests == []
    assert fresh(message).status == MessageStatus.EXPIRED
    assert item_of(message).status == OutboxItem.DEAD


def test_a_text_just_inside_its_expiry_is_sent_with_the_time_it_has_left(
    alpha_line, queue, fake_twilio, run_outbox, clock
):
    queue(alpha_line, expires_in=900)

    clock.shift(timedelta(minutes=14))
    run_outbox()

    [post] = fake_twilio.posts
    assert 1 <= int(fake_twilio.form(post)["ValidityPeriod"]) <= 60


@pytest.mark.parametrize("source", [ConsentEvent.STAFF, ConsentEvent.PROVIDER])
def test_a_contact_who_opted_out_after_the_text_was_queued_gets_nothing(
    alpha, alpha_line, queue, fake_twilio, run_outbox, source
):
    message = queue(alpha_line)
    actions.record_consent(alpha, CALLER, ConsentEvent.OPT_OUT, source=source)

    run_outbox()

    assert fake_twilio.requests == []
    assert fresh(message).status == MessageStatus.SUPPRESSED
    assert item_of(message).status == OutboxItem.DEAD


def test_a_stop_one_second_before_the_due_time_means_nothing_is_sent(alpha_line, queue, fake_twilio, run_outbox, clock):
    message = queue(alpha_line, due_in=10)

    clock.shift(timedelta(seconds=9))
    text_in(alpha_line, "STOP")
    clock.shift(timedelta(seconds=1))
    run_outbox()

    assert fake_twilio.requests == []
    assert fresh(message).status in (MessageStatus.CANCELED, MessageStatus.SUPPRESSED)


def test_a_stop_after_the_claim_but_before_sending_still_wins(alpha_line, queue, fake_twilio, clock):
    message = queue(alpha_line)
    [(item, reconcile)] = worker.claim("worker-a", 10)

    text_in(alpha_line, "STOP")
    deliver(item, reconcile)

    assert fake_twilio.requests == []
    assert fresh(message).status in (MessageStatus.CANCELED, MessageStatus.SUPPRESSED)
    assert fresh(item).status in (OutboxItem.CANCELED, OutboxItem.DEAD)


def test_an_opt_out_confirmation_still_goes_to_an_opted_out_contact(alpha, alpha_sandbox_line, run_outbox):
    text_in(alpha_sandbox_line, "STOP")
    assert actions.is_opted_out(alpha, CALLER)

    run_outbox()

    [carried] = carried_to()
    assert carried.body == actions.opt_out_text(alpha)
    assert Message.objects.get(purpose=Message.OPT_OUT_CONFIRMATION).status == MessageStatus.SENT


def test_a_help_answer_still_goes_to_an_opted_out_contact(alpha, alpha_sandbox_line, run_outbox):
    text_in(alpha_sandbox_line, "STOP")
    run_outbox()
    text_in(alpha_sandbox_line, "HELP")
    run_outbox()

    assert [m.body for m in carried_to()] == [actions.opt_out_text(alpha), actions.help_text(alpha, alpha_sandbox_line)]


def test_the_text_back_is_suppressed_but_the_confirmation_sent_when_stop_comes_between_claim_and_send(
    alpha, alpha_sandbox_line, queue, run_outbox
):
    textback = queue(alpha_sandbox_line)
    [(item, reconcile)] = worker.claim("worker-a", 10)
    text_in(alpha_sandbox_line, "STOP")
    deliver(item, reconcile)
    run_outbox()

    assert [m.body for m in carried_to()] == [actions.opt_out_text(alpha)]
    assert fresh(textback).status in (MessageStatus.CANCELED, MessageStatus.SUPPRESSED)


def test_a_contact_who_opted_back_in_is_texted_again(alpha_sandbox_line, queue, run_outbox):
    text_in(alpha_sandbox_line, "STOP")
    text_in(alpha_sandbox_line, "START")
    message = queue(alpha_sandbox_line, "Thanks for coming back!", purpose=Message.REPLY)

    run_outbox()

    assert fresh(message).status == MessageStatus.SENT
    assert len(carried_to()) == 3  # the two confirmations and the reply


def test_a_text_canceled_by_a_reply_before_its_due_time_is_not_sent(alpha_line, queue, fake_twilio, run_outbox, clock):
    message = queue(alpha_line, due_in=30)

    text_in(alpha_line, "Hi, my sink is blocked")
    clock.shift(timedelta(seconds=31))
    run_outbox()

    assert fake_twilio.requests == []
    assert fresh(message).status == MessageStatus.CANCELED
    assert item_of(message).status == OutboxItem.CANCELED


def test_a_text_canceled_by_a_reply_after_the_claim_is_not_sent(alpha_line, queue, fake_twilio):
    message = queue(alpha_line)
    [(item, reconcile)] = worker.claim("worker-a", 10)

    text_in(alpha_line, "Hi, my sink is blocked")
    deliver(item, reconcile)

    assert fake_twilio.requests == []
    assert fresh(message).status == MessageStatus.CANCELED
    assert fresh(item).status == OutboxItem.CANCELED


# --- the sandbox carrier --------------------------------------------------------------------


def test_the_sandbox_keeps_what_it_sent_and_its_delivery_report_marks_it_delivered(
    alpha_sandbox_line, queue, run_outbox, clock
):
    message = queue(alpha_sandbox_line)

    run_outbox()
    [carried] = carried_to()
    assert (carried.from_number, carried.to_number, carried.body) == (ALPHA_SANDBOX_NUMBER, CALLER, BODY)
    assert carried.client_ref == str(message.ref)
    assert carried.status_callback.endswith(f"/hooks/sandbox/sms-status?m={message.ref}")
    assert (fresh(message).status, message.provider_message_id) == (MessageStatus.SENT, carried.sid)
    assert message.sent_at is not None

    clock.shift(timedelta(seconds=1))
    [(report, _)] = run_outbox()

    assert report.kind == "sandbox_dlr" and fresh(report).status == OutboxItem.DONE
    assert fresh(message).status == MessageStatus.DELIVERED
    assert fresh(carried).status == "delivered"


def test_the_sandbox_refuses_a_landline_and_the_contact_is_marked(alpha_sandbox_line, queue, run_outbox):
    SandboxHandset.objects.create(number=CALLER, landline=True)
    message = queue(alpha_sandbox_line)

    run_outbox()

    assert carried_to() == []
    assert fresh(message).status == MessageStatus.FAILED
    assert Contact.objects.get(number=CALLER).is_landline


# --- what goes over the wire to Twilio ------------------------------------------------------


def test_twilio_gets_to_from_body_and_a_status_callback_that_finds_the_message(
    alpha_line, queue, fake_twilio, run_outbox
):
    message = queue(alpha_line)

    run_outbox()

    [post] = fake_twilio.posts
    assert str(post.url) == f"https://api.twilio.com/2010-04-01/Accounts/{ALPHA_SID}/Messages.json"
    form = fake_twilio.form(post)
    assert (form["To"], form["From"], form["Body"]) == (CALLER, ALPHA_NUMBER, BODY)
    assert form["StatusCallback"] == f"{settings.PUBLIC_URL}/hooks/twilio/sms-status?m={message.ref}"
    assert 890 <= int(form["ValidityPeriod"]) <= 900


def test_every_request_to_twilio_matches_its_openapi_description(alpha_line, queue, fake_twilio, run_outbox, clock):
    spec = require_spec()
    queue(alpha_line, expires_in=None)  # no ValidityPeriod
    queue(alpha_line, "Hi \u00e9\u00e8 & <ok> 100% #1 + more 👍", to="+15125550141", purpose=Message.REPLY)
    fake_twilio.script = [FakeTwilio.accept, raises(httpx.ReadTimeout, after_creating=True)]
    run_outbox()
    clock.shift(timedelta(seconds=10))
    run_outbox()  # the retry reconciles with GET Messages.json first

    assert len(fake_twilio.posts) == 2 and len(fake_twilio.gets) == 1
    for request in fake_twilio.requests:
        content_type = request.headers.get("Content-Type")
        assert request_problems(spec, request.method, str(request.url), request.content or None, content_type) == []
        assert auth_problems(request.headers, ALPHA_SID) == []


def test_it_sends_an_excluded_number_no_automatic_text_of_any_kind_but_still_a_staff_reply(
    alpha_sandbox_line, queue, run_outbox
):
    ExcludedNumber.objects.create(business=alpha_sandbox_line.business, number=CALLER, label="the supplier")
    automatic = [queue(alpha_sandbox_line, purpose=purpose) for purpose in ("booking_link", "emergency_paged")]
    reply = queue(alpha_sandbox_line, "We can come at 3pm.", purpose=Message.REPLY)

    run_outbox()

    assert [fresh(m).status for m in automatic] == [MessageStatus.SUPPRESSED] * 2
    assert fresh(reply).status != MessageStatus.SUPPRESSED
    assert [c.body for c in carried_to()] == ["We can come at 3pm."]
