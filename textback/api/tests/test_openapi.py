"""The live OpenAPI document is valid, has the bearer scheme, and every operation in it answers as documented."""

import pytest
from openapi_spec_validator import validate

from textback.messaging.models import Conversation
from textback.testing import a_missed_call, an_inbound_text

BODIES = {"messages": {"body": "On our way."}, "outcome": {"outcome": "booked", "value": "350.00"}}


@pytest.fixture
def document(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_the_live_document_is_valid_openapi_with_a_bearer_scheme(document):
    validate(document)
    assert document["components"]["securitySchemes"] == {"TokenAuth": {"type": "http", "scheme": "bearer"}}
    operations = [op for methods in document["paths"].values() for op in methods.values()]
    assert operations and all(op["security"] == [{"TokenAuth": []}] for op in operations)


def test_every_operation_in_the_document_answers_as_documented(api, document, alpha_write, beta_write, alpha_line,
                                                              monkeypatch):  # fmt: skip
    monkeypatch.setattr("textback.reports.funnel.days", lambda business, period, line_id=None: {})
    call = a_missed_call(alpha_line)
    an_inbound_text(alpha_line, "Can you come today?")
    conversation = Conversation.objects.get()
    ids = {"call_id": call.pk, "conversation_id": conversation.pk, "contact_id": conversation.contact_id}
    exercised = []
    for template, methods in document["paths"].items():
        path = template.removeprefix("/api/v1")
        for name, value in ids.items():
            path = path.replace("{" + name + "}", str(value))
        for method, operation in methods.items():
            if method == "get":
                answer, foreign = api.get(path, alpha_write), api.get(path, beta_write)
            else:
                body = BODIES[path.rsplit("/", 1)[1]]
                foreign = api.post(path, beta_write, body)
                answer = api.post(path, alpha_write, body)
            assert str(answer.status_code) in operation["responses"], (method, template, answer.content)
            assert answer.status_code < 300, (method, template, answer.content)
            if "{" in template:  # another business's object does not exist for beta's token
                assert foreign.status_code == 404, (method, template)
            exercised.append((method, template))
    assert len(exercised) == 9
