"""The recovery report's pages: a business's dashboard and the agency page across the businesses a person
manages. Thin: the period and line are read here, the figures come from reports/funnel.py and everything
shown is put together by reports/dashboard.py (pure)."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import render
from django.utils import timezone

from textback.accounts.access import ACTIONS, RANK, business_or_404
from textback.accounts.models import Membership
from textback.reports import costs, dashboard, funnel, periods
from textback.reports.figures import DayFigures
from textback.reports.models import Costs, RollupDay


class BadLine(ValueError):
    pass


def chosen_line(params, lines: list[dashboard.LineView]) -> int | None:
    """The `line` parameter: empty or "all" for every line, else the id of one of the business's lines."""
    raw = (params.get("line") or "").strip()
    if raw in ("", "all"):
        return None
    ids = {str(line.id): line.id for line in lines}
    if raw not in ids:
        raise BadLine("line must be one of this business's lines, or all")
    return ids[raw]


def period_params(params):
    """The request's parameters as periods.parse reads them: a preset drops from/to (the form sends both), and
    "custom" needs both dates."""
    params = params.copy()
    preset = (params.get("period") or "").strip()
    if preset in periods.PRESETS:
        params.pop("from", None)
        params.pop("to", None)
    elif preset == "custom":
        params.pop("period")
        if not (params.get("from") or "").strip() and not (params.get("to") or "").strip():
            raise periods.BadPeriod("a custom period needs both from and to dates (YYYY-MM-DD)")
    return params


def _period_choice(params) -> dict:
    """What the selector shows as chosen (the raw values, escaped by the template)."""
    return {
        "period": params.get("period") or ("custom" if params.get("from") or params.get("to") else periods.DEFAULT),
        "from": params.get("from") or "",
        "to": params.get("to") or "",
        "line": params.get("line") or "all",
    }


@login_required
def report(request, slug: str):
    business = business_or_404(request, slug, "view_reports")
    lines = [
        dashboard.LineView(line.pk, line.label or line.number, line.call_mode, line.active)
        for line in business.lines.order_by("label", "number").only("pk", "label", "number", "call_mode", "active")
    ]
    context = {"business": business, "lines": lines, "presets": periods.PRESETS, "chosen": _period_choice(request.GET)}
    try:
        period = periods.parse(period_params(request.GET), business.time_zone)
        before = period.previous()  # the trends' period: BadPeriod too when it would run off the calendar
        line_id = chosen_line(request.GET, lines)
    except (periods.BadPeriod, BadLine) as error:
        return render(request, "reports/dashboard.html", {**context, "problem": str(error)}, status=400)
    in_view = [line for line in lines if line_id in (None, line.id)]
    board = dashboard.build(
        funnel.days(business, period, line_id),
        funnel.total(business, before, line_id),
        period,
        in_view,
        costs.costs_of(business),
        business.time_zone,
    )
    return render(request, "reports/dashboard.html", {**context, "board": board, "period": period})


MANAGING_ROLES = [role for role, rank in RANK.items() if rank >= RANK[ACTIONS["view_reports"]]]


@login_required
def agency(request):
    """One row per business the person manages (each figured in its own local days) and a total row.

    Its queries: a fixed few (the memberships with their active lines counted, every business's costs, every
    business's kept days) plus, per business, funnel.days over the days not kept (its recent, unsettled days)."""
    memberships = list(
        Membership.objects.filter(user=request.user, role__in=MANAGING_ROLES)
        .select_related("business")
        .annotate(line_count=Count("business__lines", filter=Q(business__lines__active=True)))
        .order_by("business__name")
    )
    if not memberships:
        raise PermissionDenied("The agency report is for managers and owners of a business.")
    context = {"presets": periods.PRESETS, "chosen": _period_choice(request.GET)}
    try:
        params = period_params(request.GET)
        chosen = [(m, periods.parse(params, m.business.time_zone)) for m in memberships]
    except periods.BadPeriod as error:
        return render(request, "reports/agency.html", {**context, "problem": str(error)}, status=400)
    now = timezone.now()
    saved = {c.business_id: c for c in Costs.objects.filter(business__in=[m.business for m in memberships])}
    kept = kept_days([(m.business, period) for m, period in chosen], now)
    rows, all_figures, all_spent = [], DayFigures(), costs.NOTHING
    for membership, period in chosen:
        business = membership.business
        figures = funnel.summed({**kept[business.pk], **days_not_kept(business, period, kept[business.pk], now)})
        spent = costs.cost(saved.get(business.pk) or Costs(business=business), figures, period.days,
                           membership.line_count)  # fmt: skip
        rows.append(agency_row(business, period, figures, spent))
        all_figures.add(figures)
        all_spent = all_spent + spent
    total = agency_row(None, None, all_figures, all_spent)
    return render(request, "reports/agency.html", {**context, "rows": rows, "total": total})


def kept_days(chosen: list[tuple], now) -> dict[int, funnel.Days]:
    """{business id: the kept (settled) days of its period}, for every business in one query: the kept rows
    funnel.days would read, read for all of them at once."""
    found: dict[int, funnel.Days] = {business.pk: {} for business, _ in chosen}
    if not chosen:
        return found
    wanted = {business.pk: (period, settled_until(business, now)) for business, period in chosen}
    rows = RollupDay.objects.filter(
        business_id__in=list(wanted),
        day__gte=min(period.first for _, period in chosen),
        day__lte=max(period.last for _, period in chosen),
    ).values_list("business_id", "day", "figures")
    for business_id, day, stored in rows:
        period, settled = wanted[business_id]
        if period.first <= day <= period.last and day <= settled:
            found[business_id][day] = {int(line): DayFigures.from_json(f) for line, f in stored.items()}
    return found


def settled_until(business, now) -> date:
    """The business's last settled local date, as funnel.days reads it."""
    return periods.today(business.time_zone, now) - timedelta(days=funnel.SETTLE_DAYS + 1)


def days_not_kept(business, period: periods.Period, kept: funnel.Days, now) -> funnel.Days:
    """The period's other days from funnel.days: one call per run of them (usually one: the recent days)."""
    runs: list[list[date]] = []
    for day in period.dates():
        if day in kept:
            continue
        if runs and day - runs[-1][-1] == timedelta(days=1):
            runs[-1].append(day)
        else:
            runs.append([day])
    found: funnel.Days = {}
    for run in runs:
        found.update(funnel.days(business, periods.Period(run[0], run[-1]), now=now))
    return found


def agency_row(business, period, figures: DayFigures, spent: costs.Cost) -> dict:
    return {
        "business": business,
        "period": period,
        "figures": figures,
        "miss_rate": dashboard.rate(figures.measured_missed, figures.measured_calls),
        "recovery_rate": dashboard.rate(figures.replied, figures.texted),
        "booking_rate": dashboard.rate(figures.booked, figures.replied),
        "cost": spent.total,
        "roi": costs.roi(figures.revenue, spent),
    }
