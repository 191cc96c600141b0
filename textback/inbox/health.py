"""/healthz for load balancers and /metrics for Prometheus."""

import hmac

from django.conf import settings
from django.db import connection
from django.db.models import Count, Min
from django.http import HttpResponse
from django.utils import timezone
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily

from textback.calls.models import Call
from textback.outbox.models import OutboxItem


def healthz(request) -> HttpResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        return HttpResponse(f"database unavailable: {type(exc).__name__}\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


class DatabaseCollector:
    """Figures read from the database at scrape time, so every process reports the same truth."""

    def collect(self):
        by_status = GaugeMetricFamily("textback_outbox_items", "Outbox rows by status", labels=["status"])
        for row in OutboxItem.objects.values("status").annotate(n=Count("pk")):
            by_status.add_metric([row["status"]], row["n"])
        yield by_status
        due = OutboxItem.objects.filter(status=OutboxItem.PENDING, due_at__lte=timezone.now())
        oldest = min(  # per lane, as the pending rows are indexed
            (at for lane, _ in OutboxItem.LANES if (at := due.filter(lane=lane).aggregate(at=Min("due_at"))["at"])),
            default=None,
        )
        lag = GaugeMetricFamily("textback_outbox_lag_seconds", "How overdue the oldest due outbox row is")
        lag.add_metric([], (timezone.now() - oldest).total_seconds() if oldest else 0.0)
        yield lag
        decisions = GaugeMetricFamily(
            "textback_call_decisions", "Calls by text-back decision and reason", labels=["decision", "reason"]
        )
        for row in Call.objects.exclude(decision="").values("decision", "decision_reason").annotate(n=Count("pk")):
            decisions.add_metric([row["decision"], row["decision_reason"]], row["n"])
        yield decisions


_registry = CollectorRegistry(auto_describe=False)
_registry.register(DatabaseCollector())


def metrics(request) -> HttpResponse:
    """Prometheus figures; with TEXTBACK_METRICS_TOKEN set, only for `Authorization: Bearer <token>`."""
    token = settings.METRICS_TOKEN
    if token and not hmac.compare_digest(request.headers.get("Authorization", ""), f"Bearer {token}"):
        return HttpResponse(
            "metrics need Authorization: Bearer <TEXTBACK_METRICS_TOKEN>\n", status=401, content_type="text/plain"
        )
    return HttpResponse(generate_latest(_registry), content_type="text/plain; version=0.0.4")
