"""GET /api/v1/metrics: the recovery funnel of a period (reports/funnel.py), every figure and its rates.

Rates are read from the period's sums (never averaged); the miss rate is null, with a note, where no line of the
period sees answered calls (carrier-forwarding and generic lines); speeds are nearest-rank percentiles of the
histograms, in whole seconds; revenue is a decimal string."""

from ninja import Query

from textback.api import schemas
from textback.api.reads import line_of
from textback.api.v1 import ApiError, api
from textback.reports import costs, funnel
from textback.reports.figures import DayFigures, percentile
from textback.reports.periods import BadPeriod, parse

NOT_MEASURED = "not measured in this mode: carrier-forwarding and generic lines never see answered calls"


def speed(histogram) -> dict:
    return {
        "count": sum(histogram.values()),
        "p50": percentile(histogram, 0.5),
        "p90": percentile(histogram, 0.9),
    }


def figures_json(f: DayFigures) -> dict:
    return {
        "calls": f.calls,
        "answered": f.answered,
        "missed": {k: v for k, v in sorted(f.missed.items()) if v},
        "missed_total": f.missed_total,
        "measured_calls": f.measured_calls,
        "measured_missed": f.measured_missed,
        "texted": f.texted,
        "skipped": {k: v for k, v in sorted(f.skipped.items()) if v},
        "delivered": f.delivered,
        "failed": f.failed,
        "replied": f.replied,
        "booked": f.booked,
        "revenue": f"{f.revenue:.2f}",
        "unanswered": f.unanswered,
        "breaches": f.breaches,
        "segments_out": f.segments_out,
        "segments_in": f.segments_in,
        "heat": {str(hour): f.heat[hour] for hour in sorted(f.heat) if f.heat[hour]},
        "miss_rate": f.miss_rate,
        "miss_rate_note": None if f.measured_calls else NOT_MEASURED,
        "recovery_rate": f.recovery_rate,
        "booking_rate": f.booking_rate,
        "textback_seconds": speed(f.textback_seconds),
        "answer_seconds": speed(f.answer_seconds),
        "answer_seconds_open": speed(f.answer_seconds_open),
    }


class MetricsQuery(schemas.Schema):
    start: str | None = schemas.Field(None, alias="from", description="First local day (YYYY-MM-DD), inclusive.")
    end: str | None = schemas.Field(None, alias="to", description="Last local day (YYYY-MM-DD), inclusive.")
    period: str | None = schemas.Field(None, description="7d, 30d, 90d or 365d (ending today) instead of from/to.")
    line: int | None = schemas.Field(None, description="One line's id; all lines when left out.")
    daily: bool = schemas.Field(False, description="Also one row per local day.")


@api.get("/metrics", response=schemas.Metrics, tags=["metrics"], summary="The recovery funnel of a period")
def metrics(request, query: Query[MetricsQuery]):
    business = request.auth.business
    try:
        period = parse({"from": query.start, "to": query.end, "period": query.period}, business.time_zone)
    except BadPeriod as exc:
        raise ApiError(400, f"period: {exc}.") from None
    line_id = line_of(business, query.line)
    by_day = funnel.days(business, period, line_id)
    total, daily = DayFigures(), []
    for day in period.dates():
        one = DayFigures()
        for figures in by_day.get(day, {}).values():
            one.add(figures)
        total.add(one)
        if query.daily:
            daily.append({"date": day.isoformat(), **figures_json(one)})
    breaches = sorted(total.breach_list, key=lambda b: b.get("at") or "", reverse=True)[:50]
    active = business.lines.filter(active=True)  # a switched-off line costs nothing, as on the report page
    lines = (active.filter(pk=line_id) if line_id is not None else active).count()
    spent = costs.cost(costs.costs_of(business), total, period.days, lines)  # as the report page counts it
    roi = costs.roi(total.revenue, spent)
    return {
        "business": business.slug,
        "time_zone": business.time_zone,
        "period": {"from": period.first.isoformat(), "to": period.last.isoformat(), "days": period.days},
        "line_id": line_id,
        **figures_json(total),
        "breach_list": breaches,
        "cost": {
            "software": f"{costs.cents(spent.software):.2f}",
            "sms": f"{costs.cents(spent.sms):.2f}",
            "numbers": f"{costs.cents(spent.numbers):.2f}",
            "calls": f"{costs.cents(spent.calls):.2f}",
            "total": f"{spent.total:.2f}",
        },
        "roi": None if roi is None else f"{roi}",
        "daily": daily if query.daily else None,
    }
