"""CSV exports of the recovery report: calls, conversations and the funnel, for a period and a line.

Each is streamed (a year of a busy business never sits in memory: the rows are read in chunks and written
as they come), every cell passes messaging/records.py `safe_cell` (a cell a spreadsheet would run as a
formula gets a leading '), and the file is named with the business's slug and the period's dates.

- calls: the calls that started in the period (local days), with their text-back's fate;
- conversations: the threads with a message in the period (created before its end, last message after its
  start);
- funnel: one row per local day per line with every DayFigures count, or (`total=1`) the period's sum.
"""

import csv
from datetime import UTC
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.db.models import Min, OuterRef, Subquery
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from textback.accounts.access import business_or_404
from textback.calls.decide import REASONS
from textback.calls.models import Call
from textback.lib.text import MAX_ID, whole_number
from textback.messaging.models import Conversation, Message
from textback.messaging.records import safe_cell
from textback.providers.models import Line
from textback.reports import funnel, periods
from textback.reports.figures import DayFigures, percentile

CHUNK = 2000

CALL_COLUMNS = ["started (local)", "started (UTC)", "time zone", "line", "line label", "caller", "outcome",
                "decision", "reason", "variant", "text-back status"]  # fmt: skip
CONVERSATION_COLUMNS = ["contact", "contact name", "line", "source", "status", "outcome", "value", "lost reason",
                        "first message (UTC)", "last message (UTC)", "assignee"]  # fmt: skip
FUNNEL_COUNTS = ["calls", "answered", "measured_calls", "measured_missed", "texted", "delivered", "failed",
                 "replied", "booked", "unanswered", "breaches", "segments_out", "segments_in"]  # fmt: skip


class BadExport(ValueError):
    """A request the export cannot answer; the message says what to fix."""


class _Echo:
    def write(self, value: str) -> str:
        return value


def stream(header: list[str], rows) -> "iter[str]":
    """CSV text, a row at a time, every cell made safe for a spreadsheet."""
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([safe_cell(cell) for cell in row])


def _utc(moment) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


# --- the rows ---------------------------------------------------------------------------------------------


def call_rows(business, period: periods.Period, line_id: int | None):
    start, end = period.bounds(business.time_zone)
    textback = Message.objects.filter(call=OuterRef("pk"), purpose=Message.TEXTBACK).order_by("created_at", "pk")
    calls = (
        Call.objects.filter(business=business, started_at__gte=start, started_at__lt=end)
        .select_related("line")
        .annotate(textback_status=Subquery(textback.values("status")[:1]))
        .order_by("started_at", "pk")
    )
    if line_id is not None:
        calls = calls.filter(line_id=line_id)
    zone = ZoneInfo(business.time_zone)
    for call in calls.iterator(chunk_size=CHUNK):
        yield [
            call.started_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"), _utc(call.started_at),
            business.time_zone, call.line.number, call.line.label, call.from_number,
            call.get_outcome_display() if call.outcome else "in progress", call.get_decision_display(),
            REASONS.get(call.decision_reason, call.decision_reason), call.variant, call.textback_status or "",
        ]  # fmt: skip


def conversation_rows(business, period: periods.Period, line_id: int | None):
    start, end = period.bounds(business.time_zone)
    first = Message.objects.filter(conversation=OuterRef("pk")).values("conversation")
    conversations = (
        Conversation.objects.filter(business=business, created_at__lt=end, last_message_at__gte=start)
        .select_related("line", "contact", "assignee")
        .annotate(first_message_at=Subquery(first.annotate(at=Min("created_at")).values("at")[:1]))
        .order_by("created_at", "pk")
    )
    if line_id is not None:
        conversations = conversations.filter(line_id=line_id)
    for c in conversations.iterator(chunk_size=CHUNK):
        yield [
            c.contact.number, c.contact.name, c.line.number, c.get_source_display(), c.get_status_display(),
            c.get_outcome_display(), c.outcome_value if c.outcome_value is not None else "", c.lost_reason,
            _utc(c.first_message_at), _utc(c.last_message_at), c.assignee.get_username() if c.assignee else "",
        ]  # fmt: skip


def funnel_header() -> list[str]:
    from textback.calls import outcomes

    missed = [f"missed: {outcomes.LABELS[o]}" for o in outcomes.OUTCOMES if o in outcomes.MISSED]
    return ["first day", "last day", "line", "missed", *missed, *FUNNEL_COUNTS, "skipped", "skipped by reason",
            "revenue", "text-back seconds p50", "text-back seconds p90", "first answer seconds p50",
            "first answer seconds p90", "first answer seconds p50 (open hours)"]  # fmt: skip


def funnel_row(first, last, line: str, f: DayFigures) -> list:
    from textback.calls import outcomes

    missed = [f.missed.get(o, 0) for o in outcomes.OUTCOMES if o in outcomes.MISSED]
    skipped = "; ".join(f"{reason}={n}" for reason, n in sorted(f.skipped.items()) if n)
    speeds = [percentile(f.textback_seconds, 0.5), percentile(f.textback_seconds, 0.9),
              percentile(f.answer_seconds, 0.5), percentile(f.answer_seconds, 0.9),
              percentile(f.answer_seconds_open, 0.5)]  # fmt: skip
    return [first.isoformat(), last.isoformat(), line, f.missed_total, *missed,
            *(getattr(f, name) for name in FUNNEL_COUNTS), sum(f.skipped.values()), skipped, f"{f.revenue:.2f}",
            *("" if s is None else s for s in speeds)]  # fmt: skip


def funnel_rows(business, period: periods.Period, line_id: int | None, total: bool):
    if total:
        yield funnel_row(period.first, period.last, "all" if line_id is None else _number(business, line_id),
                         funnel.total(business, period, line_id))  # fmt: skip
        return
    numbers = dict(Line.objects.filter(business=business).values_list("pk", "number"))
    for step in _chunks(period):  # a month of days at a time: a year is never figured at once
        for day, by_line in funnel.days(business, step, line_id).items():
            for line, figures in sorted(by_line.items()):
                yield funnel_row(day, day, numbers.get(line, str(line)), figures)


def _chunks(period: periods.Period, days: int = 31):
    first = period.first
    while first <= period.last:
        last = min(period.last, first + periods.timedelta(days=days - 1))
        yield periods.Period(first, last)
        first = last + periods.timedelta(days=1)


def _number(business, line_id: int) -> str:
    return Line.objects.filter(business=business, pk=line_id).values_list("number", flat=True).first() or ""


# --- the views --------------------------------------------------------------------------------------------


def read_request(business, params) -> tuple[periods.Period, int | None]:
    """The period and line asked for (BadExport / BadPeriod with what to fix)."""
    # Every check before the streamed response starts: a bad period is a 400, never a cut-off 200. (Period itself
    # refuses dates off the calendar a report can read, so its bounds never overflow.)
    period = periods.parse(params, business.time_zone)
    raw = (params.get("line") or "").strip()
    if not raw:
        return period, None
    line_id = whole_number(raw, MAX_ID)
    if line_id is None or not Line.objects.filter(business=business, pk=line_id).exists():
        raise BadExport("line must be one of this business's lines (its id), or left out for every line")
    return period, line_id


def _export(request, slug: str, what: str, header: list[str], rows):
    business = business_or_404(request, slug, "view_reports")
    try:
        period, line_id = read_request(business, request.GET)
    except (BadExport, periods.BadPeriod) as problem:
        return HttpResponse(f"Cannot export: {problem}.\n", status=400, content_type="text/plain; charset=utf-8")
    response = StreamingHttpResponse(
        stream(header, rows(business, period, line_id)), content_type="text/csv; charset=utf-8"
    )
    name = f"{what}-{business.slug}-{period.first:%Y-%m-%d}-to-{period.last:%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def calls_csv(request, slug: str):
    return _export(request, slug, "calls", CALL_COLUMNS, call_rows)


@login_required
@require_GET
def conversations_csv(request, slug: str):
    return _export(request, slug, "conversations", CONVERSATION_COLUMNS, conversation_rows)


@login_required
@require_GET
def funnel_csv(request, slug: str):
    total = request.GET.get("total") == "1"
    rows = lambda business, period, line_id: funnel_rows(business, period, line_id, total)  # noqa: E731
    return _export(request, slug, "funnel-total" if total else "funnel", funnel_header(), rows)


@login_required
@require_GET
def exports_page(request, slug: str):
    business = business_or_404(request, slug, "view_reports")
    lines = Line.objects.filter(business=business).order_by("number")
    context = {"business": business, "lines": lines, "presets": list(periods.PRESETS), "default": periods.DEFAULT}
    return render(request, "reports/exports.html", context)
