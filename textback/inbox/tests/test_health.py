"""/healthz for load balancers, /metrics for Prometheus."""

import pytest
from django.db import connection
from django.db.utils import OperationalError

pytestmark = pytest.mark.django_db


def test_healthz_says_ok_when_the_database_answers(client):
    response = client.get("/healthz")

    assert (response.status_code, response.content) == (200, b"ok\n")


def test_healthz_says_503_when_the_database_does_not(client, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("gone")

    monkeypatch.setattr(connection, "cursor", broken)
    response = client.get("/healthz")

    assert response.status_code == 503
    assert b"database unavailable" in response.content


def test_metrics_report_call_decisions_and_the_outbox(client, alpha_sandbox_line):
    from textback.providers.sandbox import carrier

    carrier.place_call(carrier.SimulatedCall(line=alpha_sandbox_line, caller="+15125550147", scenario="busy"))
    carrier.place_call(carrier.SimulatedCall(line=alpha_sandbox_line, caller="anonymous", scenario="busy"))
    text = client.get("/metrics").content.decode()

    assert 'textback_call_decisions{decision="text",reason="missed_call"} 1.0' in text
    assert 'textback_call_decisions{decision="skip",reason="anonymous"} 1.0' in text
    assert 'textback_outbox_items{status="pending"} 1.0' in text
    assert "textback_outbox_lag_seconds" in text


def test_the_outbox_lag_counts_overdue_email_as_well_as_texts(client, db):
    import re
    from datetime import timedelta

    from django.utils import timezone

    from textback.accounts import mail

    mail.queue_email(
        to=["a@example.com"], subject="s", body="b", key="late", due_at=timezone.now() - timedelta(minutes=2)
    )
    text = client.get("/metrics").content.decode()

    lag = float(re.search(r"^textback_outbox_lag_seconds (\S+)$", text, re.M).group(1))
    assert 115 < lag < 180


def test_metrics_can_require_a_token(client, settings):
    settings.METRICS_TOKEN = "s3cret"

    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret").status_code == 200


def test_a_business_time_zone_does_not_leak_into_the_next_request_on_the_same_thread(client, alice, alpha):
    from django.utils import timezone

    alpha.time_zone = "Asia/Tokyo"
    alpha.save()
    client.force_login(alice)
    client.get(f"/b/{alpha.slug}/")
    assert timezone.get_current_timezone_name() == "Asia/Tokyo"  # the thread's state after that page

    client.get("/healthz")

    assert timezone.get_current_timezone_name() == "UTC"
