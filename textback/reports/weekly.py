"""The weekly email: last week's funnel to each owner and manager who asked for it, Monday 08:00 their time.

The rule is pure (`next_run`, `summary`); the work is one outbox row per business, due Monday at 08:00 in the
business's time zone, which queues one email per opted-in person (accounts/mail.py `queue_email`, so each
mail is retried on its own) and re-queues itself for the next Monday in the transaction that does the work,
as rules/retention.py does. A week whose row fails for good still queues the next (the chain never breaks);
a Monday with nobody opted in finishes without sending and stops the chain, and the next person to opt in
(My settings) starts it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from textback.outbox import wake, worker
from textback.outbox.models import OutboxItem
from textback.reports import funnel, periods
from textback.reports.figures import DayFigures

WEEKLY = "weekly_summary"  # the outbox kind
RUN_AT = time(8, 0)  # Monday morning, local
MONDAY = 0


def next_run(now: datetime, time_zone: str) -> datetime:
    """The first Monday RUN_AT in the business's time zone strictly after `now` (an aware UTC datetime).

    A Monday whose clocks skip RUN_AT runs at the same wall time read with the offset before the change."""
    zone = ZoneInfo(time_zone)
    local_day = now.astimezone(zone).date()
    monday = local_day - timedelta(days=local_day.weekday())
    for weeks in (0, 1, 2):
        candidate = _at(monday + timedelta(weeks=weeks), zone)
        if candidate > now:
            return candidate
    raise AssertionError("unreachable: one of three Mondays is after now")


def _at(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, RUN_AT, tzinfo=zone).astimezone(UTC)


# --- what the mail says -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    label: str
    this: str
    before: str
    change: str  # "+3", "−2", "+5.0 pts", "" when nothing to compare


def _count(now: int, before: int) -> str:
    return f"{now - before:+d}".replace("-", "−") if now != before else "same"


def _rate(now: float | None, before: float | None) -> tuple[str, str, str]:
    shown = lambda r: "—" if r is None else f"{r * 100:.1f} %"  # noqa: E731
    if now is None or before is None:
        return shown(now), shown(before), ""
    points = (now - before) * 100
    return shown(now), shown(before), "same" if abs(points) < 0.05 else f"{points:+.1f} pts".replace("-", "−")


def _money(value: Decimal) -> str:
    return f"${value:,.2f}"


def summary(week: DayFigures, before: DayFigures) -> list[Row]:
    """The mail's table: last week against the week before."""
    rows = []
    for label, now, then in [
        ("Calls", week.calls, before.calls),
        ("Missed", week.missed_total, before.missed_total),
        ("Texted back", week.texted, before.texted),
        ("Replied", week.replied, before.replied),
        ("Booked", week.booked, before.booked),
    ]:
        rows.append(Row(label, str(now), str(then), _count(now, then)))
    rows.append(Row("Recovered revenue", _money(week.revenue), _money(before.revenue),
                    "same" if week.revenue == before.revenue else
                    f"{'+' if week.revenue > before.revenue else '−'}{_money(abs(week.revenue - before.revenue))}"))  # fmt: skip
    rows.append(Row("Recovery rate", *_rate(week.recovery_rate, before.recovery_rate)))
    rows.append(Row("Booking rate", *_rate(week.booking_rate, before.booking_rate)))
    if week.miss_rate is not None or before.miss_rate is not None:
        rows.insert(2, Row("Miss rate", *_rate(week.miss_rate, before.miss_rate)))
    return rows


def dashboard_url(business) -> str:
    """The recovery report's page, on the public URL (the ROI calculator until the dashboard exists)."""
    for name in ("reports", "reports-roi"):
        try:
            return settings.PUBLIC_URL + reverse(name, args=[business.slug])
        except NoReverseMatch:
            continue
    return settings.PUBLIC_URL + "/"


def compose(business, week: periods.Period, this: DayFigures, before: DayFigures) -> tuple[str, str, str]:
    """(subject, plain text, HTML) of the mail; every name and figure escaped in the HTML by the template."""
    context = {
        "business": business,
        "week": week,
        "rows": summary(this, before),
        "revenue": _money(this.revenue),
        "url": dashboard_url(business),
        "miss_rate_unmeasured": this.miss_rate is None and this.calls > 0,
    }
    subject = f"{business.name}: {_money(this.revenue)} recovered, week of {week.first:%b %-d}"
    text = render_to_string("reports/weekly_email.txt", context)
    html = render_to_string("reports/weekly_email.html", context)
    return subject, text, html


# --- who gets it ------------------------------------------------------------------------------------------


def recipients(business) -> list:
    """The owners and managers of the business who opted in and have an email address."""
    from textback.accounts.models import Membership

    opted = Membership.objects.filter(business=business, weekly_summary=True, user__is_active=True,
                                      role__in=[Membership.OWNER, Membership.MANAGER]).select_related("user")  # fmt: skip
    return [m for m in opted.order_by("pk") if m.user.email]


def do_opted_in(business) -> None:
    """Someone opted in: keep exactly one pending Monday row for the business (call inside the transaction)."""
    pending = OutboxItem.objects.filter(business=business, kind=WEEKLY, status=OutboxItem.PENDING)
    if not pending.exists():
        _queue(business, next_run(timezone.now(), business.time_zone))


def do_time_zone_changed(business) -> None:
    """The business's time zone changed: its pending Monday moves to Monday RUN_AT in the new zone (call inside
    the transaction that saves the zone). A row already running keeps its week and queues the next in the new
    zone."""
    for item in OutboxItem.objects.select_for_update().filter(business=business, kind=WEEKLY,
                                                              status=OutboxItem.PENDING):  # fmt: skip
        due_at = next_run(timezone.now(), business.time_zone)
        key = f"{WEEKLY}:{business.pk}:{due_at:%Y%m%d%H%M}"
        if OutboxItem.objects.filter(idempotency_key=key).exclude(pk=item.pk).exists():
            key = item.idempotency_key  # that Monday's key is taken (by a row long done): keep this row's own
        OutboxItem.objects.filter(pk=item.pk).update(due_at=due_at, idempotency_key=key)
        wake.after_commit(due_at, item.lane)


def _queue(business, due_at: datetime) -> None:
    # The key is the Monday's: a second queue for the same Monday (an opt-in while the row runs) is a no-op.
    item, _ = OutboxItem.objects.get_or_create(
        idempotency_key=f"{WEEKLY}:{business.pk}:{due_at:%Y%m%d%H%M}",
        defaults={"business": business, "kind": WEEKLY, "due_at": due_at, "created_at": timezone.now()},
    )
    wake.after_commit(due_at, item.lane)


@worker.handles(WEEKLY, lane=worker.ALERTS)
def run(item: OutboxItem, reconcile: bool) -> None:
    """Queue last week's summary to each opted-in person, then next Monday's row (or stop: nobody wants it)."""
    from textback.accounts.mail import queue_email

    business = item.business
    week = periods.last_full_week(business.time_zone, item.due_at)  # the week before the Monday it was due
    people = recipients(business)
    if people:
        this, before = funnel.total(business, week), funnel.total(business, week.previous())
        subject, text, html = compose(business, week, this, before)
    with transaction.atomic():
        if not worker.still_ours(item):
            return
        if not people:
            worker.finish(item, OutboxItem.DONE, "nobody opted in")
            return
        for membership in people:
            queue_email(to=[membership.user.email], subject=subject, body=text, html=html, business=business,
                        key=f"{WEEKLY}:{business.pk}:{membership.user_id}:{week.first:%Y%m%d}")  # fmt: skip
        worker.finish(item, OutboxItem.DONE, f"{len(people)} emails")
        _queue(business, next_run(max(timezone.now(), item.due_at), business.time_zone))


@worker.on_give_up(WEEKLY)
def keep_the_chain(item: OutboxItem, error: str) -> None:
    """A Monday that failed for good still queues the next one while someone wants the mail."""
    if recipients(item.business):
        _queue(item.business, next_run(max(timezone.now(), item.due_at), item.business.time_zone))
