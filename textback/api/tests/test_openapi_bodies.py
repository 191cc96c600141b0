"""Every GET endpoint's JSON, read from a real recorded history (the funnel not stubbed), validates against the
response schema the live /api/v1/openapi.json documents for it, its $refs resolved against its components."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from textback.calls import outcomes
from textback.calls.models import Call
from textback.messaging.conversations import do_set_outcome
from textback.messaging.models import Conversation, Message
from textback.reports.models import RollupDay
from textback.testing import a_missed_call, a_staff_reply, an_inbound_text, delivery_reports

A, B, C = "+15125550101", "+15125550102", "+15125550103"
NOW = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)
DOCUMENT = "urn:textback:openapi"


def ago(days: int, hours: int = 0, minutes: int = 0) -> datetime:
    return NOW - timedelta(days=days, hours=hours, minutes=minutes)


def handed(message: Message, *reports: str) -> None:
    Message.objects.filter(pk=message.pk).update(status="queued", sent_at=message.created_at + timedelta(seconds=3))
    message.refresh_from_db()
    delivery_reports(message, *reports)


@pytest.fixture
def history(alpha, alice, alpha_line):
    """Twelve days ago a missed caller is texted back, replies, is answered and booked; ten days ago a busy caller's
    text-back fails and an answered call comes in; yesterday a caller writes and is left waiting (an SLA breach)."""
    with time_machine.travel(ago(12), tick=False):
        call = a_missed_call(alpha_line, A)
        handed(Message.objects.get(call=call, purpose=Message.TEXTBACK), "delivered")
    with time_machine.travel(ago(12, minutes=-5), tick=False):
        an_inbound_text(alpha_line, "Water heater leaking, can you come today?", A)
    with time_machine.travel(ago(12, minutes=-20), tick=False):
        conversation = Conversation.objects.get(line=alpha_line, contact__number=A)
        handed(a_staff_reply(conversation, alice), "delivered")
        do_set_outcome(conversation, alice, Conversation.BOOKED, value="350.00")
    with time_machine.travel(ago(10), tick=False):
        call = a_missed_call(alpha_line, B, outcomes.BUSY)
        handed(Message.objects.get(call=call, purpose=Message.TEXTBACK), "undelivered")
        a_missed_call(alpha_line, C, outcomes.ANSWERED)
    with time_machine.travel(ago(1, hours=2), tick=False):
        an_inbound_text(alpha_line, "Hello? Anyone there?", C)
    return conversation


@pytest.fixture
def document(client, db):
    return client.get("/api/v1/openapi.json").json()


def body_schema(document: dict, template: str, method: str, status: int) -> Draft202012Validator:
    """A validator for the documented JSON body of one operation's answer."""
    registry = Registry().with_resource(DOCUMENT, Resource.from_contents(document, DRAFT202012))
    answers = document["paths"][template][method]["responses"]
    assert str(status) in answers, (method, template, status)
    pointer = f"/paths/{template.replace('~', '~0').replace('/', '~1')}/{method}/responses/{status}"
    ref = f"{DOCUMENT}#{pointer}/content/application~1json/schema"
    return Draft202012Validator({"$ref": ref}, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_every_get_answers_a_body_its_documented_schema_accepts(api, document, alpha_read, history):
    call = Call.objects.get(business=history.business, from_number=A)
    ids = {"call_id": call.pk, "conversation_id": history.pk, "contact_id": history.contact_id}
    queries = {  # each list and the metrics asked the ways that give every part of the body
        "/api/v1/calls": [{}, {"from": ago(12).date().isoformat(), "to": NOW.date().isoformat(), "limit": 1}],
        "/api/v1/conversations": [{}, {"outcome": "booked"}],
        "/api/v1/contacts": [{}, {"limit": 1}],
        "/api/v1/metrics": [{"period": "30d", "daily": "true"}, {"period": "7d"}, {"from": "2026-11-01", "to": "2026-11-02"}],
    }  # fmt: skip
    checked = []
    with time_machine.travel(NOW, tick=False):
        for _ in range(2):  # the second time the settled days come from RollupDay (kept as JSON)
            for template, methods in document["paths"].items():
                if "get" not in methods:
                    continue
                path = template.removeprefix("/api/v1")
                for name, value in ids.items():
                    path = path.replace("{" + name + "}", str(value))
                for params in queries.get(template, [{}]):
                    answer = api.get(path, alpha_read, **params)
                    assert answer.status_code == 200, (template, params, answer.content[:300])
                    validator = body_schema(document, template, "get", 200)
                    problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
                                for e in validator.iter_errors(answer.json())]  # fmt: skip
                    assert not problems, (template, params, problems)
                    checked.append(template)
        assert RollupDay.objects.filter(business=history.business).exists()

    gets = {t for t, methods in document["paths"].items() if "get" in methods}
    assert set(checked) == gets and len(gets) == 7
    metrics = api.get("/metrics", alpha_read, period="30d", daily="true").json()
    assert (metrics["calls"], metrics["booked"], metrics["revenue"], metrics["breaches"]) == (3, 1, "350.00", 1)


def test_a_body_that_breaks_the_schema_is_caught(document):
    """The check itself bites: a metrics body with revenue as a number, not a decimal string, is refused."""
    validator = body_schema(document, "/api/v1/metrics", "get", 200)
    assert list(validator.iter_errors({"revenue": 350}))
