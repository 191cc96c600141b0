"""Data retention: message bodies and recordings older than a business's N days are forgotten, nightly.

The rule is pure (`next_run`, `cutoff`); the work is one outbox row per business per night, due at 03:00 in
the business's time zone, which re-queues itself for the next night in the transaction that does the work.
Rows stay (a text keeps its direction, purpose, status, length and time; a call its outcome and times), so
every count and report stays as it was; only the words, the pictures and the recording links go, with their
copies in alerts, provider payloads and the timeline. The consent ledger is a legal record and is kept whole.

Recordings and pictures live at the provider (we only pass them on, inbox/media.py): forgetting their
links is what textback can do; deleting them at the provider is the provider account's setting.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from textback.outbox import wake, worker
from textback.outbox.models import OutboxItem

RETENTION = "retention"  # the outbox kind
RUN_AT = time(3, 0)  # local time: after the day's work, before the next day's
BATCH = 2000  # rows blanked per statement, so a first run over years of texts holds no lock for long
MAX_DAYS = 36500


def cutoff(now: datetime, days: int) -> datetime:
    """Anything created before this is older than `days` days."""
    return now - timedelta(days=days)


def next_run(now: datetime, time_zone: str) -> datetime:
    """The first RUN_AT in the business's time zone strictly after `now` (an aware UTC datetime).

    On a night whose clocks skip RUN_AT, the run is at the same wall time read with the offset before the
    change, i.e. an hour later; a night whose clocks repeat it runs once (the first)."""
    zone = ZoneInfo(time_zone)
    local_day = now.astimezone(zone).date()
    for offset in (0, 1, 2):
        candidate = _at(local_day + timedelta(days=offset), zone)
        if candidate > now:
            return candidate
    raise AssertionError("unreachable: one of three nights is after now")


def _at(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, RUN_AT, tzinfo=zone).astimezone(UTC)


# --- the job ----------------------------------------------------------------------------------------------


def days_for(business) -> int | None:
    from textback.rules.models import Retention

    return Retention.objects.filter(business=business).values_list("days", flat=True).first()


def do_set_retention(business, days: int | None) -> None:
    """Set the business's retention (None: keep forever) and keep exactly one pending nightly row when set."""
    from textback.rules.models import Retention

    Retention.objects.update_or_create(business=business, defaults={"days": days})
    pending = OutboxItem.objects.filter(business=business, kind=RETENTION, status=OutboxItem.PENDING)
    if days is None:
        pending.update(status=OutboxItem.CANCELED, result="retention switched off", finished_at=timezone.now())
    elif not pending.exists():
        _queue(business, next_run(timezone.now(), business.time_zone))


def _queue(business, due_at: datetime) -> None:
    item, created = OutboxItem.objects.get_or_create(
        idempotency_key=f"{RETENTION}:{business.pk}:{due_at:%Y%m%d%H%M}",
        defaults={"business": business, "kind": RETENTION, "due_at": due_at, "created_at": timezone.now()},
    )
    if not created and item.status == OutboxItem.CANCELED:
        # Switched off and on again before the night came: that night's row was canceled, and the key is the
        # night's, so revive it rather than leave no row (and no nightly run ever after).
        OutboxItem.objects.filter(pk=item.pk, status=OutboxItem.CANCELED).update(
            status=OutboxItem.PENDING, result="", finished_at=None, attempts=0, last_error=""
        )
    wake.after_commit(due_at)


@worker.handles(RETENTION, lane=worker.TEXTS)
def run(item: OutboxItem, reconcile: bool) -> None:
    """Forget what is older than the business's retention, then queue tomorrow night's run.

    The blanking runs in batches of its own transactions, before the row is closed: a first run over years
    of texts holds no lock for long, and running it twice (a lease taken over) blanks nothing twice."""
    business = item.business
    days = days_for(business)
    texts = recordings = 0
    if days is not None:
        texts, recordings = forget_older_than(business, cutoff(timezone.now(), days))
    with transaction.atomic():
        if not worker.still_ours(item):
            return
        if days is None:  # switched off since this row was queued
            worker.finish(item, OutboxItem.CANCELED, "retention switched off")
            return
        worker.finish(item, OutboxItem.DONE, f"{texts} texts, {recordings} recordings")
        _queue(business, next_run(max(timezone.now(), item.due_at), business.time_zone))


@worker.on_give_up(RETENTION)
def keep_the_chain(item: OutboxItem, error: str) -> None:
    """A night that failed for good still queues the next one: the chain of nightly rows never breaks."""
    if days_for(item.business) is not None:
        _queue(item.business, next_run(max(timezone.now(), item.due_at), item.business.time_zone))


def forget_older_than(business, before: datetime) -> tuple[int, int]:
    """Blank the bodies and pictures of texts, the recording links of calls, and the copies of their words,
    from before `before`. Returns (texts, recordings) blanked."""
    from textback.calls.models import Call
    from textback.messaging.models import Message, MessageStatus

    old_texts = Message.objects.filter(business=business, created_at__lt=before).exclude(
        status__in=[MessageStatus.SCHEDULED, MessageStatus.SUBMITTING]
    )
    texts = _in_batches(old_texts.exclude(body="", media=[]), body="", media=[])
    old_calls = Call.objects.filter(business=business, started_at__lt=before).exclude(recording_url="")
    recordings = _in_batches(old_calls, recording_url="")
    _forget_copies(business, before)
    return texts, recordings


def _forget_copies(business, before: datetime) -> None:
    """The words live on in copies, blanked as erasure blanks them: the alerts that quoted a text (reply
    alerts, page texts, emails; one not sent yet goes out whole), the providers' raw webhook payloads (Body,
    RecordingUrl…), and the timeline events that quote the caller (messaging/records.py)."""
    from textback.alerts.models import Alert
    from textback.calls.models import WebhookEvent
    from textback.messaging.models import ConversationEvent
    from textback.messaging.records import forget_caller_words

    old_alerts = Alert.objects.filter(business=business, created_at__lt=before).exclude(
        status__in=[Alert.QUEUED, Alert.RETRYING]
    )
    _in_batches(old_alerts.exclude(body="", subject="", payload={}), body="", subject="", payload={})
    old_events = WebhookEvent.objects.filter(business=business, received_at__lt=before).exclude(payload={})
    _in_batches(old_events, payload={})
    with transaction.atomic():
        forget_caller_words(ConversationEvent.objects.filter(business=business, at__lt=before))


def _in_batches(queryset, **blank) -> int:
    done, last = 0, 0
    while ids := list(queryset.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:BATCH]):
        with transaction.atomic():
            done += queryset.model.objects.filter(pk__in=ids).update(**blank)
        last = ids[-1]
    return done
