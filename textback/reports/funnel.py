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
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from textback.calls import outcomes
from textback.calls.models import Call
from textback.lib import hours as lib_hours
from textback.lib.sql import as_datetime
from textback.messaging.models import ConsentEvent, Conversation, ConversationEvent, Message, MessageStatus
from textback.reports.figures import ANSWER_WINDOW, BREACHES_KEPT, REPLY_WINDOW, DayFigures, bucket
from textback.reports.models import RollupDay
from textback.reports.periods import Period, day_start, today

SETTLE_DAYS = 5  # a day this old has had every reply and answer window it counts; its figures are kept
# Texts read before a day's first moment: a caller's message of up to two answer windows before can still have
# its clock running (a clock nobody stopped within ANSWER_WINDOW ends, and the next message starts one).
LOOK_BACK = 2 * ANSWER_WINDOW
CHUNK_DAYS = 7  # days figured together when many are missing (a first year-long report): bounds the memory it takes
# Lines that see the calls people answered, so a miss rate means something there (ARCHITECTURE §3).
MEASURED_MODES = frozenset({"forward_screen", "status_only"})
HANDED = frozenset(s for s, rank in MessageStatus.RANK.items() if rank >= MessageStatus.RANK[MessageStatus.QUEUED]) - {
    *MessageStatus.NOT_SENT,
    MessageStatus.RECEIVED,
}
DELIVERED = frozenset({MessageStatus.DELIVERED, MessageStatus.READ})
FAILED = frozenset({MessageStatus.UNDELIVERED, MessageStatus.FAILED})

Days = dict[date, dict[int, DayFigures]]


ALL = 0  # the key of every line's sum: in a kept day's figures ("all"), and in days(…, by_line=False)
PROVISIONAL = timedelta(minutes=5)  # how long a recent, not yet settled day's figures are reused


def days(business, period: Period, line_id: int | None = None, *, by_line: bool = True, now: datetime | None = None,
         kept: Days | None = None) -> Days:  # fmt: skip
    """{local date: {line id: figures}} for every date of the period (a date with no activity maps to {});
    `by_line=False`: {local date: {ALL: the lines' sum}}, cheaper to read (what the totals and charts need).
    `kept`: the valid kept days when the caller read them already (read_kept, for many businesses at once)."""
    now = now or timezone.now()
    local_today = today(business.time_zone, now)
    if kept is None:
        kept = read_kept({business.pk: (business, period)}, now, line_id=line_id, by_line=by_line)[business.pk]
    found: Days = dict(kept)
    missing = [d for d in period.dates() if d not in found and d <= local_today]
    found.update({d: {} for d in period.dates() if d > local_today})  # nothing has happened there yet
    if missing:
        # Before the business's first call or text there is nothing to figure, and nothing worth keeping (a
        # three-year period of nothing, asked for again and again, would otherwise fill the table).
        first = _first_activity(business)
        found.update({d: {} for d in missing if first is None or d < first})
        missing = [d for d in missing if first is not None and d >= first]
    for run in _runs(missing):
        figured = _figure(business, run[0], run[-1], now)
        _keep(business, figured, now)
        found.update(figured if by_line or line_id is not None else {d: _all(by) for d, by in figured.items()})
    if line_id is not None:
        found = {d: {line_id: by_line[line_id]} if line_id in by_line else {} for d, by_line in found.items()}
    return dict(sorted(found.items()))


def _all(by_line: dict[int, DayFigures]) -> dict[int, DayFigures]:
    return {ALL: summed({None: by_line})} if by_line else {}


def read_kept(
    wanted: dict[int, tuple], now: datetime, *, line_id: int | None = None, by_line: bool = True
) -> dict[int, Days]:
    """{business id: {date: figures}} of the kept days still good for each (business, period) wanted, in one
    query: a settled day kept as final, or a recent day figured less than PROVISIONAL ago (today never)."""
    found: dict[int, Days] = {pk: {} for pk in wanted}
    if not wanted:
        return found
    limits = {}
    for pk, (business, period) in wanted.items():
        local_today = today(business.time_zone, now)
        limits[pk] = (period, local_today - timedelta(days=SETTLE_DAYS + 1), local_today)
    whole = by_line or line_id is not None
    rows = RollupDay.objects.filter(
        business_id__in=list(wanted),
        day__gte=min(period.first for _, period in wanted.values()),
        day__lte=max(period.last for _, period in wanted.values()),
    ).values_list("business_id", "day", "computed_at", "figures" if whole else "figures__all", "figures__final")
    for pk, day, computed_at, stored, final in rows:
        period, settled_until, local_today = limits[pk]
        if not period.first <= day <= period.last or stored is None or day >= local_today:
            continue
        if (final is True) if day <= settled_until else as_datetime(computed_at) >= now - PROVISIONAL:
            if whole:
                found[pk][day] = {int(line): DayFigures.from_json(f) for line, f in stored.items() if line.isdigit()}
            else:
                found[pk][day] = {ALL: DayFigures.from_json(stored)} if stored else {}
    return found


def _first_activity(business) -> date | None:
    """The local date of the business's first recorded call or text (None: nothing yet); read once per business
    object (a page asks for this period and the one before)."""
    if getattr(business, "_report_first_activity", None) is not None:  # (none yet may change any moment)
        return business._report_first_activity
    call = Call.objects.filter(business=business).order_by("started_at").values_list("started_at", flat=True)[:1]
    text = Message.objects.filter(business=business).order_by("created_at").values_list("created_at", flat=True)[:1]
    moments = [as_datetime(m) for m in (*call, *text)]
    business._report_first_activity = min(moments).astimezone(_zone(business)).date() if moments else None
    return business._report_first_activity


def total(business, period: Period, line_id: int | None = None, *, now: datetime | None = None) -> DayFigures:
    """The period's figures, all lines (or one) summed."""
    return summed(days(business, period, line_id, by_line=False, now=now))


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
        kept = RollupDay.objects.filter(business=business, day__in=dates)
        kept.delete()
        # Again once the change is visible to others: a report that read the rows before it and writes after this
        # transaction's delete would otherwise keep the old figures (_keep also refuses figures older than it).
        transaction.on_commit(kept.delete)


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


class Figured(dict):
    """Figured days, with what they cannot be kept without: the outcome stamp read before the rows, and the dates
    whose figures may still change as time passes (an SLA breach still to come)."""

    def __init__(self, days: Days, stamp: int, unsettled: set[date]):
        super().__init__(days)
        self.stamp, self.unsettled = stamp, unsettled


def _stamp(business) -> int:
    """The business's latest outcome change (set or cleared): kept days are only written if it has not moved."""
    latest = ConversationEvent.objects.filter(
        business=business, kind__in=(ConversationEvent.OUTCOME, ConversationEvent.OUTCOME_CLEARED)
    ).order_by("-pk")
    return latest.values_list("pk", flat=True).first() or 0


def _keep(business, figured: Figured, now: datetime) -> None:
    """Keep what was figured (today excepted), unless an outcome changed since the rows were read: a settled day
    as final (no breach still to come), a recent one as provisional (good for PROVISIONAL)."""
    local_today = today(business.time_zone, now)
    settled_until = local_today - timedelta(days=SETTLE_DAYS + 1)
    keep = {d: by_line for d, by_line in figured.items() if d < local_today}
    if not keep or _stamp(business) != figured.stamp:
        return
    rows = []
    for d, by_line in keep.items():
        figures = {str(line): f.to_json() for line, f in by_line.items()}
        figures["all"] = summed({d: by_line}).to_json()
        figures["final"] = d <= settled_until and d not in figured.unsettled
        rows.append(RollupDay(business=business, day=d, computed_at=now, figures=figures))
    RollupDay.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["business", "day"], update_fields=["figures", "computed_at"]
    )


def _zone(business):
    from zoneinfo import ZoneInfo

    return ZoneInfo(business.time_zone)


@dataclass(slots=True)
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


def _figure(business, first: date, last: date, now: datetime) -> Figured:
    """Figure the dates first..last (inclusive) from the rows."""
    from textback.accounts.hours import schedule_of
    from textback.providers.models import Line

    zone, tz = _zone(business), business.time_zone
    start, end = day_start(first, tz), day_start(last + timedelta(days=1), tz)
    stamp = _stamp(business)  # before the rows: an outcome changed after this is not in them
    out: Days = {first + timedelta(days=n): {} for n in range((last - first).days + 1)}

    def fig(moment: datetime, line: int) -> DayFigures:
        by_line = out[moment.astimezone(zone).date()]
        found = by_line.get(line)
        if found is None:
            found = by_line[line] = DayFigures()
        return found

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
            created_at__gte=start - LOOK_BACK,
            created_at__lt=end + timedelta(days=1) + REPLY_WINDOW + ANSWER_WINDOW,
        )
        # Outside the days themselves only what a clock, a reply or a text-back needs.
        .filter(
            Q(created_at__gte=start, created_at__lt=end)
            | Q(direction=Message.IN)
            | Q(sender_kind=Message.STAFF)
            | Q(purpose=Message.TEXTBACK)
        )  # fmt: skip
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
            business=business, created_at__gte=start - LOOK_BACK, message__isnull=False
        ).values_list("message_id", flat=True)
    )
    textbacks = {t.call: t for t in texts if t.purpose == Message.TEXTBACK and t.call is not None}
    _replies(texts, keywords)
    _calls(calls, textbacks, measured, fig, zone)
    _bookings(business, calls, textbacks, fig)
    unsettled: set[date] = set()
    schedule = schedule_of(business)
    clocks = _Clocks(schedule, _OpenAt(schedule), business.sla_red_minutes, start, end, now, fig, unsettled)
    _answers(texts, keywords, clocks)
    for t in texts:
        if start <= t.created_at < end:
            if t.direction == Message.IN:
                fig(t.created_at, t.line).segments_in += t.segments
            elif t.status in HANDED:
                fig(t.created_at, t.line).segments_out += t.segments
    return Figured(out, stamp, {d.astimezone(zone).date() for d in unsettled})


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
                f.textback_seconds[
                    bucket(max(0, int((tb.sent_at - as_datetime(ended or started)).total_seconds())))
                ] += 1


def _bookings(business, calls, textbacks: dict[int, _Text], fig) -> None:
    """Each sent text-back opens an episode of its conversation that lasts until the next one sent; the last outcome
    a person set in that episode (from the conversation's timeline, so a later job of the same caller never
    rewrites an earlier one) is the episode's. Booked, and the caller replied to that text-back: it counts, with
    the value set, on the day and line of its call."""
    started_of = {pk: as_datetime(started) for pk, _, started, *_ in calls}
    replied = [tb for pk, tb in textbacks.items() if tb.replied and pk in started_of and tb.status in HANDED]
    if not replied:
        return
    conversations = {tb.conversation for tb in replied}
    sent: dict[int, list[datetime]] = {}
    for conversation, created in (
        Message.objects.filter(
            business=business, conversation_id__in=conversations, purpose=Message.TEXTBACK, status__in=HANDED
        ).order_by("created_at").values_list("conversation_id", "created_at")
    ):  # fmt: skip
        sent.setdefault(conversation, []).append(as_datetime(created))
    outcomes_of: dict[int, list[tuple[datetime, int | None]]] = {}
    for conversation, kind, body, at in (
        ConversationEvent.objects.filter(
            business=business, conversation_id__in=conversations,
            kind__in=(ConversationEvent.OUTCOME, ConversationEvent.OUTCOME_CLEARED),
        ).order_by("at", "pk").values_list("conversation_id", "kind", "body", "at")
    ):  # fmt: skip
        outcomes_of.setdefault(conversation, []).append((as_datetime(at), _booked_cents(kind, body)))
    for tb in replied:
        later = [t for t in sent.get(tb.conversation, []) if t > tb.created_at]
        until = later[0] if later else None
        episode = [
            cents
            for at, cents in outcomes_of.get(tb.conversation, [])
            if tb.created_at <= at and (until is None or at < until)
        ]
        if episode and episode[-1] is not None:
            f = fig(started_of[tb.call], tb.line)
            f.booked += 1
            f.revenue_cents += episode[-1]


def _booked_cents(kind: str, body: str) -> int | None:
    """The job value in cents of an outcome event that says "booked" (its body: "booked:$1,250.00"); None for any
    other outcome or a cleared one."""
    outcome, _, detail = body.partition(":")
    if kind != ConversationEvent.OUTCOME or outcome != Conversation.BOOKED:
        return None
    try:
        return int(round(Decimal(detail.replace("$", "").replace(",", "").strip() or "0") * 100))
    except InvalidOperation:
        return 0


class _OpenAt:
    """Whether the business was open at a moment (lib/hours.py is_open), each local day's intervals figured once."""

    def __init__(self, schedule):
        self.schedule, self.days = schedule, {}

    def _on(self, day: date) -> list:
        if day not in self.days:
            self.days[day] = lib_hours.opening_intervals(self.schedule, day, 1)
        return self.days[day]

    def __call__(self, at: datetime) -> bool:
        day = at.astimezone(self.schedule.tz).date()
        return any(lo <= at < hi for lo, hi in (*self._on(day - timedelta(days=1)), *self._on(day)))


@dataclass
class _Clocks:
    """What an SLA clock is figured against, and where its figures go."""

    schedule: object
    open_at: _OpenAt
    red_minutes: int
    start: datetime
    end: datetime
    now: datetime
    fig: object
    unsettled: set  # moments whose day cannot be kept yet (a breach still to come)


def _answers(texts, keywords, clocks: _Clocks) -> None:
    """The SLA clock of each conversation: it starts at a caller's text when none is waiting and stops at the
    first text a person sent; a clock nobody stopped within ANSWER_WINDOW ends unanswered, and the caller's next
    text starts a new one. Clocks started in [start, end) are counted on their day."""
    waiting: dict[int, _Text] = {}
    for t in texts:
        if t.direction == Message.IN and t.id not in keywords:
            running = waiting.get(t.conversation)
            if running is not None and t.created_at - running.created_at > ANSWER_WINDOW:
                _clock(waiting.pop(t.conversation), None, clocks)
            waiting.setdefault(t.conversation, t)
        elif t.sender_kind == Message.STAFF and t.conversation in waiting:
            _clock(waiting.pop(t.conversation), t.created_at, clocks)
    for first in waiting.values():
        _clock(first, None, clocks)


def _clock(first: _Text, answered: datetime | None, clocks: _Clocks) -> None:
    began, now = first.created_at, clocks.now
    if not clocks.start <= began < clocks.end:
        return
    f = clocks.fig(began, first.line)
    waited = (answered - began) if answered is not None else None
    if waited is not None and waited <= ANSWER_WINDOW:
        seconds = bucket(int(waited.total_seconds()))
        f.answer_seconds[seconds] += 1
        if clocks.open_at(began):
            f.answer_seconds_open[seconds] += 1
    elif answered is not None or now - began > ANSWER_WINDOW:
        f.unanswered += 1
    if waited is not None and waited <= timedelta(minutes=clocks.red_minutes):
        return  # answered within the red mark of wall-clock time: within it of opening time too
    breach = lib_hours.after_open_time(clocks.schedule, began, clocks.red_minutes * 60)
    if breach > now and answered is None:
        clocks.unsettled.add(began)  # it may yet breach (a long closure): figure its day again until then
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
