"""The ROI calculator page and the costs and trade settings (thin views over reports/roi.py and costs.py)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from textback.accounts.access import business_or_404
from textback.calls.models import Call
from textback.inbox.setup import posted
from textback.providers.models import Line
from textback.reports import funnel, roi
from textback.reports.costs import FIELDS, costs_of, do_set_costs
from textback.reports.forms import CostsForm, RoiForm

MISSED_ONLY_MODES = (Line.CARRIER_FORWARD, Line.GENERIC_PBX)


@login_required
def costs_settings(request, slug: str):
    business = business_or_404(request, slug, "manage_settings")
    costs = costs_of(business)
    form = CostsForm(posted(request), instance=costs)
    if form.is_valid():
        with transaction.atomic():
            changed = do_set_costs(business, **{name: form.cleaned_data[name] for name in FIELDS})
        messages.success(request, "Saved your costs and trade." if changed else "Nothing had changed.")
        return redirect("settings-costs", slug)
    status = 400 if form.is_bound else 200
    return render(request, "reports/costs.html", {"business": business, "form": form}, status=status)


def starting_points(business, now) -> tuple[dict, roi.Extras, object]:
    """Each input's start, the costs besides software, and the measuring period (None: benchmarks)."""
    costs = costs_of(business)
    first_call = Call.objects.filter(business=business).order_by("started_at").values_list("started_at", flat=True)
    period = roi.measuring_period(first_call.first(), business.time_zone, now)
    figures = funnel.total(business, period) if period else None
    modes = list(Line.objects.filter(business=business, active=True).values_list("call_mode", flat=True))
    missed_only = bool(modes) and all(mode in MISSED_ONLY_MODES for mode in modes)
    starts = roi.prefill(costs.trade, costs, figures, missed_only)
    return starts, roi.extras_for(costs, len(modes), figures), period


@login_required
@require_GET
def calculator(request, slug: str):
    business = business_or_404(request, slug, "view_reports")
    starts, extras, period = starting_points(business, timezone.now())
    asked = any(name in request.GET for name in roi.INPUTS)
    form = RoiForm(request.GET if asked else None, initial={name: start.value for name, start in starts.items()})
    if asked and not form.is_valid():
        result = None
    else:
        values = form.cleaned_data if asked else {name: starts[name].value for name in roi.INPUTS}
        result = roi.calculate(*(float(values[name]) for name in roi.INPUTS), extras=extras)
    costs = costs_of(business)
    context = {
        "business": business,
        "form": form,
        "fields": [(form[name], starts[name]) for name in roi.INPUTS],
        "result": result.shown() if result else None,
        "extras": extras,
        "extras_data": {name: repr(value) for name, value in vars(extras).items()},  # exact, for roi.js
        "period": period,
        "trade": costs.get_trade_display(),
        "measured": period is not None,
    }
    return render(request, "reports/roi.html", context, status=400 if asked and not form.is_valid() else 200)
