"""Data retention: the nightly run's time (a pure rule, property-tested across zones and DST changes) and what
the run forgets and keeps."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from textback.alerts.models import Alert
from textback.calls.models import Call, WebhookEvent
from textback.messaging import revocations
from textback.messaging.models import ConsentEvent, ConversationEvent, Message, MessageStatus
from textback.outbox.models import OutboxItem
from textback.rules import paging, retention
from textback.testing import a_missed_call, an_inbound_text

ZONES = ["America/Chicago", "America/New_York", "Europe/Paris", "Australia/Lord_Howe", "America/Santiago",
         "Asia/Kolkata", "Pacific/Chatham", "America/St_Johns", "UTC"]  # fmt: skip
moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC))


# --- when it runs -----------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(now=moments, zone=st.sampled_from(ZONES))
def test_the_next_run_is_after_now_and_within_a_day_and_a_bit(now, zone):
    run = retention.next_run(now, zone)

    assert now < run <= now + timedelta(hours=25)


@settings(max_examples=300, deadline=None)
@given(now=moments, zone=st.sampled_from(ZONES))
def test_the_next_run_is_at_3_am_local_or_just_after_when_the_clocks_skip_3_am(now, zone):
    local = retention.next_run(now, zone).astimezone(ZoneInfo(zone))

    assert (local.hour, local.minute) in ((3, 0), (3, 30), (4, 0))  # Lord Howe moves its clocks by 30 minutes


@settings(max_examples=200, deadline=None)
@given(now=moments, zone=st.sampled_from(ZONES))
def test_running_at_the_run_time_gives_the_next_night_not_the_same_one(now, zone):
    first = retention.next_run(now, zone)
    second = retention.next_run(first, zone)

    assert timedelta(hours=22) <= second - first <= timedelta(hours=26)


def test_a_chicago_business_runs_at_3_am_central_across_the_spring_change():
    before_change = datetime(2026, 3, 7, 12, tzinfo=UTC)  # Saturday; clocks go forward Sunday 2 AM

    run = retention.next_run(before_change, "America/Chicago")

    assert run == datetime(2026, 3, 8, 8, tzinfo=UTC)  # 3 AM CDT (UTC-5): the hour after the skipped one


def test_the_cutoff_is_exactly_n_days_before_now():
    now = datetime(2026, 6, 1, 12, tzinfo=UTC)
    assert retention.cutoff(now, 30) == datetime(2026, 5, 2, 12, tzinfo=UTC)


# --- what a run does --------------------------------------------------------------------------------------


pytest_db = pytest.mark.django_db


@pytest.fixture
def old_and_new(alpha_sandbox_line):
    """Texts and a voicemail from 100 days ago, and a text from today."""
    with time_machine.travel(timezone.now() - timedelta(days=100)):
        call = a_missed_call(alpha_sandbox_line)
        Call.objects.filter(pk=call.pk).update(recording_url="https://api.twilio.com/rec/RE1", voicemail=True)
        an_inbound_text(alpha_sandbox_line, "old words", media=[{"url": "https://x.example/p.jpg",
                                                                  "content_type": "image/jpeg"}])  # fmt: skip
        an_inbound_text(alpha_sandbox_line, "STOP")
    an_inbound_text(alpha_sandbox_line, "new words", "+15125550148")
    return alpha_sandbox_line.business


@pytest_db
def test_a_run_blanks_old_bodies_pictures_and_recording_links_and_keeps_every_row(old_and_new, run_outbox):
    counts = (Message.objects.count(), Call.objects.count(), ConsentEvent.objects.count())
    retention.do_set_retention(old_and_new, 30)
    item = OutboxItem.objects.get(kind=retention.RETENTION)

    with time_machine.travel(item.due_at + timedelta(seconds=1)):
        run_outbox()

    assert (Message.objects.count(), Call.objects.count(), ConsentEvent.objects.count()) == counts
    assert list(Message.objects.exclude(body="").values_list("body", flat=True)) == ["new words"]
    assert not Message.objects.exclude(media=[]).exists()
    call = Call.objects.get()
    assert (call.recording_url, call.voicemail) == ("", True)  # it was a voicemail; only its link is gone
    assert ConsentEvent.objects.get().keyword == "STOP"  # the ledger is a legal record, kept whole
    item.refresh_from_db()
    assert (item.status, item.result) == (OutboxItem.DONE, "4 texts, 1 recordings")


@pytest_db
def test_a_run_queues_exactly_one_row_for_the_next_night(old_and_new, run_outbox):
    retention.do_set_retention(old_and_new, 30)
    first = OutboxItem.objects.get(kind=retention.RETENTION)

    with time_machine.travel(first.due_at + timedelta(seconds=1)):
        run_outbox()

    [pending] = OutboxItem.objects.filter(kind=retention.RETENTION, status=OutboxItem.PENDING)
    assert pending.due_at == retention.next_run(first.due_at, old_and_new.time_zone)
    assert pending.due_at - first.due_at == timedelta(days=1)


@pytest_db
def test_it_forgets_the_copies_of_old_words_in_alerts_provider_payloads_and_the_timeline(old_and_new, run_outbox):
    business = old_and_new
    conversation = Message.objects.get(body="old words").conversation
    long_ago = timezone.now() - timedelta(days=100)

    def an_alert(key, when, status=Alert.SENT):
        return Alert.objects.create(
            business=business, event=Alert.REPLY, channel=Alert.EMAIL, to="bob@alpha.example", subject="Jane texted",
            body="old words", payload={"text": "old words"}, key=key, status=status, created_at=when,
        )  # fmt: skip

    old_alert, waiting, new_alert = (
        an_alert("a1", long_ago),
        an_alert("a2", long_ago, Alert.QUEUED),
        an_alert("a3", timezone.now()),
    )
    old_hook = WebhookEvent.objects.create(provider="twilio", endpoint="sms", key="SM1", business=business,
                                           payload={"Body": "old words"}, received_at=long_ago)  # fmt: skip
    new_hook = WebhookEvent.objects.create(provider="twilio", endpoint="sms", key="SM2", business=business,
                                           payload={"Body": "new words"}, received_at=timezone.now())  # fmt: skip
    for kind, body in (
        (revocations.OPT_OUT_DISMISSED, "old words"),
        (paging.PAGED, "Emergency (\u201cold words\u201d): paged bob"),
    ):
        ConversationEvent.objects.create(
            business=business, conversation=conversation, kind=kind, body=body, at=long_ago
        )
    retention.do_set_retention(business, 30)

    with time_machine.travel(OutboxItem.objects.get(kind=retention.RETENTION).due_at + timedelta(seconds=1)):
        run_outbox()

    old_alert.refresh_from_db()
    assert (old_alert.body, old_alert.subject, old_alert.payload) == ("", "", {})
    assert Alert.objects.get(pk=waiting.pk).body == "old words"  # not sent yet: it goes out whole
    assert Alert.objects.get(pk=new_alert.pk).body == "old words"
    assert WebhookEvent.objects.get(pk=old_hook.pk).payload == {}
    assert WebhookEvent.objects.get(pk=new_hook.pk).payload == {"Body": "new words"}
    said = list(ConversationEvent.objects.filter(at__lt=long_ago + timedelta(seconds=1)).values_list("body", flat=True))
    assert "old words" not in " ".join(said) and "Emergency: paged bob" in said


@pytest_db
def test_a_pending_text_is_never_blanked_before_it_is_sent(alpha_sandbox_line, queue):
    business = alpha_sandbox_line.business
    with time_machine.travel(timezone.now() - timedelta(days=3)):
        waiting = queue(alpha_sandbox_line, "On our way", due_in=10 * 86400, expires_in=None)

    queued_words = waiting.body
    retention.forget_older_than(business, timezone.now())

    waiting.refresh_from_db()
    assert (waiting.status, waiting.body) == (MessageStatus.SCHEDULED, queued_words)
    assert "On our way" in queued_words


@pytest_db
def test_switching_retention_off_cancels_the_nightly_row(alpha):
    retention.do_set_retention(alpha, 7)
    retention.do_set_retention(alpha, None)

    assert not OutboxItem.objects.filter(kind=retention.RETENTION, status=OutboxItem.PENDING).exists()


@pytest_db
def test_it_keeps_the_nightly_run_when_retention_is_switched_off_and_on_again_before_3_am(alpha):
    retention.do_set_retention(alpha, 30)
    retention.do_set_retention(alpha, None)
    retention.do_set_retention(alpha, 30)

    [pending] = OutboxItem.objects.filter(kind=retention.RETENTION, status=OutboxItem.PENDING)
    assert pending.due_at == retention.next_run(timezone.now(), alpha.time_zone)
    assert (pending.result, pending.finished_at) == ("", None)


@pytest_db
def test_keep_forever_by_default_queues_nothing(alpha):
    assert retention.days_for(alpha) is None
    assert not OutboxItem.objects.filter(kind=retention.RETENTION).exists()


@pytest_db
def test_another_business_texts_are_left_alone(old_and_new, beta_line, run_outbox):
    with time_machine.travel(timezone.now() - timedelta(days=100)):
        an_inbound_text(beta_line, "beta's old words", "+12145550147")
    retention.do_set_retention(old_and_new, 30)

    with time_machine.travel(OutboxItem.objects.get(kind=retention.RETENTION).due_at + timedelta(seconds=1)):
        run_outbox()

    assert Message.objects.filter(body="beta's old words").exists()


@pytest_db
def test_a_night_that_fails_for_good_still_queues_the_next_one(alpha):
    retention.do_set_retention(alpha, 30)
    failed = OutboxItem.objects.get(kind=retention.RETENTION)
    OutboxItem.objects.filter(pk=failed.pk).update(status=OutboxItem.DEAD)

    with time_machine.travel(failed.due_at + timedelta(minutes=5)):
        retention.keep_the_chain(failed, "internal error")

    [pending] = OutboxItem.objects.filter(kind=retention.RETENTION, status=OutboxItem.PENDING)
    assert pending.due_at == retention.next_run(failed.due_at, alpha.time_zone)


@pytest_db
def test_a_run_over_more_texts_than_a_batch_blanks_them_all(alpha_sandbox_line, monkeypatch):
    monkeypatch.setattr(retention, "BATCH", 2)
    with time_machine.travel(timezone.now() - timedelta(days=10)):
        for n in range(5):
            an_inbound_text(alpha_sandbox_line, f"old words {n}")

    texts, _recordings = retention.forget_older_than(alpha_sandbox_line.business, timezone.now() - timedelta(days=1))

    assert texts == 5 and not Message.objects.exclude(body="").exists()
