"""The funnel from recorded events: each local day of a business, per line, as DayFigures (reports/figures.py,
whose docstring holds the definitions the pages print).

A day is figured from the rows in a handful of queries whatever its size (the calls that started on it, the
texts around it, the keyword texts, the booked conversations, the opening hours), then kept in RollupDay
once it has *settled*: SETTLE_DAYS after it, every reply window (REPLY_WINDOW after a text-back that may
itself be sent the next morning) and answer window (ANSWER_WINDOW) it counts has closed, so its figures can
no longer change by time passing. What can still change a settled day is a person setting or clearing a
conversation's outcome: `forget` drops the days that conversation counted on. Recent days are figured
afresh on every read. A year's report therefore reads 365 small rows and figures at most SETTLE_DAYS days.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from textback.calls import outcomes
from textback.calls.models import Call
from textback.lib import hours as lib_hours
from textback.lib.sql import as_datetime
from textback.messaging.models import ConsentEvent, Conversation, Message, MessageStatus
from textback.reports.figures import ANSWER_WINDOW, BREACHES_KEPT, REPLY_WINDOW, DayFigures
from textback.reports.models import RollupDay
from textback.reports.periods import Period, day_start, today

SETTLE_DAYS = 5  # a day this old has had every reply and answer window it counts; its figures are kept
CHUNK_DAYS = 31  # days figured together when many are missing (a first year-long report)
# Lines that see the calls people answered, so a miss rate means something there (ARCHITECTURE §3).
MEASURED_MODES = frozenset({"forward_screen", "status_only"})
HANDED = frozenset(s for s, rank in MessageStatus.RANK.items() if rank >= MessageStatus.RANK[MessageStatus.QUEUED]) - {
    *MessageStatus.NOT_SENT,
    MessageStatus.RECEIVED,
}
DELIVERED = frozenset({MessageStatus.DELIVERED, MessageStatus.READ})
FAILED = frozenset({MessageStatus.UNDELIVERED, MessageStatus.FAILED})

Days = dict[date, dict[int, DayFigures]]


def days(business, period: Period, line_id: int | None = None, *, now: datetime | None = None) -> Days:
    """{local date: {line id: figures}} for every date of the period (a date with no activity maps to {})."""
    now = now or timezone.now()
    settled_until = today(business.time_zone, now) - timedelta(days=SETTLE_DAYS + 1)  # the last settled date
    found: Days = {}
    kept = RollupDay.objects.filter(business=business, day__gte=period.first, day__lte=period.last)
    for day, stored in kept.values_list("day", "figures"):
        if day <= settled_until:
            found[day] = {int(line): DayFigures.from_json(f) for line, f in stored.items()}
    missing = [d for d in period.dates() if d not in found]
    for run in _runs(missing):
        figured = _figure(business, run[0], run[-1], now)
        found.update(figured)
        _keep(business, {d: figured[d] for d in run if d <= settled_until}, now)
    if line_id is not None:
        found = {d: {line_id: by_line[line_id]} if line_id in by_line else {} for d, by_line in found.items()}
    return dict(sorted(found.items()))


def total(business, period: Period, line_id: int | None = None, *, now: datetime | None = None) -> DayFigures:
    """The period's figures, all lines (or one) summed."""
    return summed(days(business, period, line_id, now=now))


def summed(found: Days) -> DayFigures:
    figures = DayFigures()
    for by_line in found.values():
        for one in by_line.values():
            figures.add(one)
    return figures


def forget(business, conversation_id: int) -> None:
    """Drop the kept days that counted this conversation: the days of the calls it texted back (its outcome
    changed, so their booked figures may have). Call inside the transaction that changes the outcome."""
    started = Message.objects.filter(
        business=business, conversation_id=conversation_id, purpose=Message.TEXTBACK, call__isnull=False
    ).values_list("call__started_at", flat=True)
    dates = {as_datetime(s).astimezone(_zone(business)).date() for s in started}
    if dates:
        RollupDay.objects.filter(business=business, day__in=dates).delete()


def forget_all(business) -> None:
    """Drop every kept day of the business (its time zone changed, so its days did)."""
    RollupDay.objects.filter(business=business).delete()


# --- figuring days from rows --------------------------------------------------------------------------------


def _runs(dates: list[date]) -> Iterable[list[date]]:
    """Consecutive dates, in runs of at most CHUNK_DAYS."""
    run: list[date] = []
    for d in dates:
        if run and (d - run[-1] != timedelta(days=1) or len(run) == CHUNK_DAYS):
            yield run
            run = []
        run.append(d)
    if run:
        yield run


def _keep(business, figured: Days, now: datetime) -> None:
    rows = [
        RollupDay(
            business=business,
            day=d,
            computed_at=now,
            figures={str(line): f.to_json() for line, f in by_line.items()},
        )  # fmt: skip
        for d, by_line in figured.items()
    ]
    RollupDay.objects.bulk_create(rows, ignore_conflicts=True)  # two readers at once: the first one's stays


def _zone(business):
    from zoneinfo import ZoneInfo

    return ZoneInfo(business.time_zone)


@dataclass
class _Text:
    id: int
    conversation: int
    line: int
    call: int | None
    direction: str
    sender_kind: str
    purpose: str
    status: str
    segments: int
    created_at: datetime
    sent_at: datetime | None
    replied: bool = False


def _figure(business, first: date, last: date, now: datetime) -> Days:
    """Figure the dates first..last (inclusive) from the rows."""
    from textback.accounts.hours import schedule_of
    from textback.providers.models import Line

    zone, tz = _zone(business), business.time_zone
    start, end = day_start(first, tz), day_start(last + timedelta(days=1), tz)
    out: Days = {first + timedelta(days=n): {} for n in range((last - first).days + 1)}

    def fig(moment: datetime, line: int) -> DayFigures:
        return out[moment.astimezone(zone).date()].setdefault(line, DayFigures())

    measured = {pk for pk, mode in Line.objects.filter(business=business).values_list("pk", "call_mode")
                if mode in MEASURED_MODES}  # fmt: skip
    calls = list(
        Call.objects.filter(business=business, started_at__gte=start, started_at__lt=end).values_list(
            "pk", "line_id", "started_at", "ended_at", "state", "outcome", "decision", "decision_reason"
        )
    )
    # Texts from a window before (an SLA clock already running) to the windows after (replies, answers).
    texts = [
        _Text(*row)
        for row in Message.objects.filter(
            business=business,
            created_at__gte=start - ANSWER_WINDOW,
            created_at__lt=end + timedelta(days=1) + REPLY_WINDOW + ANSWER_WINDOW,
        )
        .order_by("created_at", "pk")
        .values_list(
            "pk",
            "conversation_id",
            "line_id",
            "call_id",
            "direction",
            "sender_kind",
            "purpose",
            "status",
            "segments",
            "created_at",
            "sent_at",
        )  # fmt: skip
    ]
    for t in texts:
        t.created_at, t.sent_at = as_datetime(t.created_at), t.sent_at and as_datetime(t.sent_at)
    keywords = set(
        ConsentEvent.objects.filter(
            business=business, created_at__gte=start - ANSWER_WINDOW, message__isnull=False
        ).values_list("message_id", flat=True)
    )
    textbacks = {t.call: t for t in texts if t.purpose == Message.TEXTBACK and t.call is not None}
    _replies(texts, keywords)
    _calls(calls, textbacks, measured, fig, zone)
    _bookings(business, calls, textbacks, fig)
    _answers(texts, keywords, schedule_of(business), business.sla_red_minutes, start, end, now, fig)
    for t in texts:
        if start <= t.created_at < end:
            if t.direction == Message.IN:
                fig(t.created_at, t.line).segments_in += t.segments
            elif t.status in HANDED:
                fig(t.created_at, t.line).segments_out += t.segments
    return out


def _replies(texts: list[_Text], keywords: set[int]) -> None:
    """Mark each text-back its caller answered: a caller's text (not a STOP/START/HELP keyword) belongs to the
    latest text-back before it in the conversation, if that one is at most REPLY_WINDOW old."""
    latest: dict[int, _Text] = {}
    for t in texts:  # in time order
        if t.purpose == Message.TEXTBACK:
            latest[t.conversation] = t
        elif t.direction == Message.IN and t.id not in keywords:
            tb = latest.get(t.conversation)
            if tb is not None and t.created_at - tb.created_at <= REPLY_WINDOW:
                tb.replied = True


def _calls(calls, textbacks: dict[int, _Text], measured: set[int], fig, zone) -> None:
    for pk, line, started, ended, state, outcome, decision, reason in calls:
        if state != Call.ENDED:
            continue  # still ringing: counted once it ends
        started = as_datetime(started)
        f = fig(started, line)
        f.calls += 1
        seen = line in measured
        f.measured_calls += seen
        if outcome == outcomes.ANSWERED:
            f.answered += 1
            continue
        if outcome not in outcomes.MISSED:
            continue
        f.missed[outcome] += 1
        f.measured_missed += seen
        f.heat[started.astimezone(zone).hour] += 1
        tb = textbacks.get(pk)
        if tb is None:
            f.skipped[reason or ("no text-back" if decision == Call.TEXT else "not decided")] += 1
        elif tb.status in MessageStatus.NOT_SENT:
            f.skipped[tb.status] += 1
        elif tb.status not in HANDED:
            f.skipped["pending"] += 1
        else:
            f.texted += 1
            f.delivered += tb.status in DELIVERED
            f.failed += tb.status in FAILED
            f.replied += tb.replied
            if tb.sent_at is not None:
                f.textback_seconds[max(0, int((tb.sent_at - as_datetime(ended or started)).total_seconds()))] += 1


def _bookings(business, calls, textbacks: dict[int, _Text], fig) -> None:
    """A booked conversation counts once: for its latest text-back before the outcome was set, when the caller
    replied to that one and its call is one of these days' calls."""
    started_of = {pk: as_datetime(started) for pk, _, started, *_ in calls}
    replied = {tb.id: tb for pk, tb in textbacks.items() if tb.replied and pk in started_of and tb.status in HANDED}
    if not replied:
        return
    latest = Message.objects.filter(
        conversation=OuterRef("pk"), purpose=Message.TEXTBACK, created_at__lte=OuterRef("outcome_at")
    ).order_by("-created_at", "-pk")
    booked = (
        Conversation.objects.filter(
            business=business,
            pk__in={tb.conversation for tb in replied.values()},
            outcome=Conversation.BOOKED,
            outcome_at__isnull=False,
        )  # fmt: skip
        .annotate(textback=Subquery(latest.values("pk")[:1]))
        .values_list("textback", "outcome_value")
    )
    for textback, value in booked:
        tb = replied.get(textback)
        if tb is not None:
            f = fig(started_of[tb.call], tb.line)
            f.booked += 1
            f.revenue_cents += int(round((value or 0) * 100))


def _answers(texts, keywords, schedule, red_minutes: int, start, end, now, fig) -> None:
    """The SLA clock of each conversation: it starts at a caller's text when none is waiting and stops at the
    first text a person sent. Clocks started in [start, end) are counted on their day."""
    waiting: dict[int, _Text] = {}
    for t in texts:
        if t.direction == Message.IN and t.id not in keywords:
            waiting.setdefault(t.conversation, t)
        elif t.sender_kind == Message.STAFF and t.conversation in waiting:
            _clock(waiting.pop(t.conversation), t.created_at, schedule, red_minutes, start, end, now, fig)
    for first in waiting.values():
        _clock(first, None, schedule, red_minutes, start, end, now, fig)


def _clock(first: _Text, answered: datetime | None, schedule, red_minutes, start, end, now, fig) -> None:
    began = first.created_at
    if not start <= began < end:
        return
    f = fig(began, first.line)
    waited = (answered - began) if answered is not None else None
    if waited is not None and waited <= ANSWER_WINDOW:
        seconds = int(waited.total_seconds())
        f.answer_seconds[seconds] += 1
        if lib_hours.is_open(schedule, began):
            f.answer_seconds_open[seconds] += 1
    elif answered is not None or now - began > ANSWER_WINDOW:
        f.unanswered += 1
    breach = lib_hours.after_open_time(schedule, began, red_minutes * 60)
    if breach <= now and (answered is None or answered > breach):
        f.breaches += 1
        f.breach_list.append(
            {
                "conversation": first.conversation,
                "at": began.isoformat(),
                "waited": None if waited is None else int(waited.total_seconds()),
            }
        )
        f.breach_list[:] = sorted(f.breach_list, key=lambda b: b["at"], reverse=True)[:BREACHES_KEPT]
