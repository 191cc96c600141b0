"""API test helpers: tokens for the cast's businesses and a client that sends them."""

import pytest

from textback.api import tokens
from textback.api.models import ApiToken


@pytest.fixture(autouse=True)
def forgotten(monkeypatch):
    """The report's kept days forgotten (funnel.forget), recorded: [(business id, conversation id)]."""
    calls = []
    monkeypatch.setattr("textback.reports.funnel.forget", lambda business, pk: calls.append((business.pk, pk)))
    return calls


@pytest.fixture
def alpha_read(alpha, alice):
    return tokens.do_create(alpha, "Reports", ApiToken.READ, alice).plain


@pytest.fixture
def alpha_write(alpha, alice):
    return tokens.do_create(alpha, "CRM", ApiToken.READ_WRITE, alice).plain


@pytest.fixture
def beta_write(beta, charlie):
    return tokens.do_create(beta, "Beta CRM", ApiToken.READ_WRITE, charlie).plain


class Api:
    def __init__(self, client):
        self.client = client

    def get(self, path: str, token: str | None, **params):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        return self.client.get(f"/api/v1{path}", params, **headers)

    def post(self, path: str, token: str | None, body, **headers):
        if token:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        data = body if isinstance(body, (str, bytes)) else __import__("json").dumps(body)
        return self.client.post(f"/api/v1{path}", data, content_type="application/json", **headers)


@pytest.fixture
def api(client):
    return Api(client)
