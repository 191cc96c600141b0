"""CSV exports: calls, conversations and the funnel for a period and a line, streamed, safe in a spreadsheet."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from textback.calls import outcomes
from textback.messaging.conversations import do_set_outcome
from textback.messaging.models import Conversation
from textback.testing import a_missed_call, an_inbound_text

pytestmark = pytest.mark.django_db
CST = timedelta(hours=-6)
NOV_2_LATE = datetime(2026, 11, 2, 23, 30, tzinfo=UTC) - CST  # Nov 2 local, Nov 3 in UTC
LATER = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def rows(response) -> list[list[str]]:
    assert response.streaming
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.fixture
def history(alpha, alice, alpha_line, alpha_sandbox_line):
    with time_machine.travel(NOV_2_LATE, tick=False):
        a_missed_call(alpha_line, "+15125550101", caller_name='=HYPERLINK("x")')
        a_missed_call(alpha_sandbox_line, "+15125550102", outcomes.ANSWERED)
    with time_machine.travel(NOV_2_LATE + timedelta(minutes=3), tick=False):
        an_inbound_text(alpha_line, "yes please", "+15125550101")
        convo = Conversation.objects.get(line=alpha_line)
        do_set_outcome(convo, alice, "lost", reason="=1+1 went elsewhere")


def test_the_calls_export_has_local_and_utc_times_and_the_textback(mary, history, alpha_line):
    with time_machine.travel(LATER, tick=False):
        response = signed_in(mary).get("/b/alpha/reports/calls.csv", {"from": "2026-11-02", "to": "2026-11-02"})
    assert response["Content-Disposition"] == 'attachment; filename="calls-alpha-2026-11-02-to-2026-11-02.csv"'
    header, *body = rows(response)
    assert header[:4] == ["started (local)", "started (UTC)", "time zone", "line"]
    assert len(body) == 2
    first = dict(zip(header, body[0], strict=True))
    assert first["started (local)"] == "2026-11-02 23:30:00" and first["started (UTC)"] == "2026-11-03 05:30:00"
    assert first["caller"] == "+15125550101" and first["decision"] == "Text back"
    assert first["text-back status"] == "canceled"  # never handed to a provider: the outcome ended it


def test_a_line_narrows_the_export(mary, history, alpha_sandbox_line):
    with time_machine.travel(LATER, tick=False):
        response = signed_in(mary).get(
            "/b/alpha/reports/calls.csv", {"from": "2026-11-02", "to": "2026-11-02", "line": alpha_sandbox_line.pk}
        )
    assert [row[5] for row in rows(response)[1:]] == ["+15125550102"]


def test_a_formula_a_caller_or_a_person_typed_is_neutralised(mary, history):
    with time_machine.travel(LATER, tick=False):
        response = signed_in(mary).get("/b/alpha/reports/conversations.csv", {"period": "30d"})
    header, *body = rows(response)
    convo = dict(zip(header, body[0], strict=True))
    assert convo["lost reason"] == "'=1+1 went elsewhere"
    assert convo["contact"] == "+15125550101"  # a phone number is kept as it is
    assert convo["source"].startswith("MCT-Inbound") and convo["outcome"] == "Lost"


def test_the_funnel_export_has_a_row_per_day_per_line_or_the_total(mary, history, alpha_line, alpha_sandbox_line):
    client = signed_in(mary)
    with time_machine.travel(LATER, tick=False):
        by_day = rows(client.get("/b/alpha/reports/funnel.csv", {"from": "2026-11-01", "to": "2026-11-03"}))
        total = rows(
            client.get("/b/alpha/reports/funnel.csv", {"from": "2026-11-01", "to": "2026-11-03", "total": "1"})
        )
    header = by_day[0]
    days = [dict(zip(header, row, strict=True)) for row in by_day[1:]]
    assert [(d["first day"], d["line"], d["calls"], d["answered"]) for d in days] == [
        ("2026-11-02", alpha_line.number, "1", "0"), ("2026-11-02", alpha_sandbox_line.number, "1", "1")]  # fmt: skip
    summed = dict(zip(header, total[1], strict=True))
    assert (summed["line"], summed["calls"], summed["missed"], summed["missed: No answer"]) == ("all", "2", "1", "1")


@pytest.mark.parametrize(
    "params, words",
    [
        ({"period": "2y"}, "period must be one of"),
        ({"from": "2026-11-30", "to": "2026-11-01"}, "the period ends before it starts"),
        ({"line": "99999"}, "line must be one of this business's lines"),
    ],
)
def test_a_bad_period_or_line_gets_a_clear_400(mary, alpha, beta_line, params, words):
    response = signed_in(mary).get("/b/alpha/reports/calls.csv", params)
    assert response.status_code == 400 and words in response.content.decode()


def test_another_business_line_is_not_a_line_here(mary, alpha, beta_line):
    assert signed_in(mary).get("/b/alpha/reports/calls.csv", {"line": beta_line.pk}).status_code == 400


def test_an_agent_cannot_export(bob, alpha):
    assert signed_in(bob).get("/b/alpha/reports/calls.csv").status_code == 403


def test_the_exports_page_links_each_export(mary, alpha_line):
    text = signed_in(mary).get("/b/alpha/reports/exports").content.decode()
    for name in ("calls", "conversations", "funnel"):
        assert f'action="/b/alpha/reports/{name}.csv"' in text


@pytest.mark.cross_tenant("reports-exports", "reports-calls-csv", "reports-conversations-csv", "reports-funnel-csv")
def test_another_business_exports_are_not_found(alice, beta):
    client = signed_in(alice)
    for path in ("exports", "calls.csv", "conversations.csv", "funnel.csv"):
        assert client.get(f"/b/beta/reports/{path}").status_code == 404
