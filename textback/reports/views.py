"""The recovery report's pages: a business's dashboard and the agency page across the businesses a person
manages. Thin: the period and line are read here, the figures come from reports/funnel.py and everything
shown is put together by reports/dashboard.py (pure)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import render
from django.utils import timezone

from textback.accounts.access import ACTIONS, RANK, business_or_404
from textback.accounts.models import Membership
from textback.reports import costs, dashboard, funnel, periods
from textback.reports.figures import DayFigures
from textback.reports.models import Costs


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
    kept = funnel.read_kept({m.business.pk: (m.business, period) for m, period in chosen}, now, by_line=False)
    rows, all_figures, all_spent = [], DayFigures(), costs.NOTHING
    for membership, period in chosen:
        business = membership.business
        figures = funnel.summed(funnel.days(business, period, by_line=False, now=now, kept=kept[business.pk]))
        spent = costs.cost(saved.get(business.pk) or Costs(business=business), figures, period.days,
                           membership.line_count)  # fmt: skip
        rows.append(agency_row(business, period, figures, spent))
        all_figures.add(figures)
        all_spent = all_spent + spent
    total = agency_row(None, None, all_figures, all_spent)
    return render(request, "reports/agency.html", {**context, "rows": rows, "total": total})


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
