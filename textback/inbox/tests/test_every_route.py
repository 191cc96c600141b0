"""Every staff route keeps tenants apart: a user of business A gets 404 for business B's objects.

The walk below proves it for every URL pattern of the staff app, new ones included: it builds each route's
URL with BetaHVAC's objects (textback/testing.py `every_object`), and alice, AlphaPlumbing's owner, requests
it by GET and by POST (with a valid CSRF token and the form a page would send, testing.PARAMETERS) under
BetaHVAC's slug and under her own. Each answer is the one for a business or an id that does not exist: 404
(or 405 where the route refuses the method before it looks anything up), and nothing changes.

The routes' own cross-tenant tests (`@pytest.mark.cross_tenant("<url name>")`) check more: the page's
contents, each form's action. A route without one still fails the marker test at the end.
"""

import ast
from pathlib import Path

import pytest
from django.test import Client

from textback.accounts.models import Membership
from textback.testing import PARAMETERS, ROUTE_OBJECT, encoded, every_object, every_row, send, staff_routes

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def alphas(alpha_sandbox_line, alice, mary):
    return every_object(alpha_sandbox_line, owner=alice, colleague=mary)


@pytest.fixture
def betas(beta, beta_line, charlie, django_user_model):
    colleague = django_user_model.objects.create_user("dana@beta.example", "dana@beta.example", "pw-dana-123")
    Membership.objects.create(user=colleague, business=beta, role=Membership.AGENT)
    return every_object(beta_line, owner=charlie, colleague=colleague, caller="+12145550147")


@pytest.fixture
def as_alice_with_csrf(alice):
    """alice's browser, with CSRF checked as in production, and the token a page of hers carries."""
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.force_login(alice)
    client.get("/b/alpha/")
    return client, client.cookies["csrftoken"].value


@pytest.mark.parametrize("route", sorted(staff_routes()))
def test_another_business_objects_are_as_good_as_not_there(route, as_alice_with_csrf, alphas, betas):
    client, token = as_alice_with_csrf
    form = encoded(PARAMETERS[route].get("POST", {}), betas)
    theirs = betas.url(route)
    urls = [theirs]
    if "pk" in staff_routes()[route].params:
        urls.append(theirs.replace("/beta/", "/alpha/", 1))  # B's object through A's own slug
    before = every_row()
    for method in ("GET", "POST"):
        data = form if method == "POST" else ""
        absent = send(client, method, absent_url(route, alphas), data, HTTP_X_CSRFTOKEN=token).status_code
        assert absent in (404, 405), (method, route, absent)  # 405: the method is refused before any lookup
        for url in urls:
            status = send(client, method, url, data, HTTP_X_CSRFTOKEN=token).status_code
            assert status == absent, (method, url, status)
    assert every_row() == before


def absent_url(route: str, objects) -> str:
    """The route's URL for a business that does not exist (a route without an id) or for an id nobody has."""
    url = objects.url(route)
    if "pk" not in staff_routes()[route].params:
        return url.replace(f"/{objects.business.slug}/", "/no-such-business/", 1)
    pk = getattr(objects, ROUTE_OBJECT[route]).pk
    return url.replace(f"/{pk}", "/999999", 1)


def test_the_walk_covers_every_kind_of_route():
    routes = staff_routes()
    assert {"business", "conversation", "simulator", "mail", "alert-webhook-test", "member"} <= set(routes)
    assert {name for name, route in routes.items() if "pk" in route.params} >= {"call", "message-media", "contact"}


# --- and each route has a test of its own ----------------------------------------------------------------


def covered_routes() -> set[str]:
    covered = set()
    for path in [*ROOT.glob("textback/**/test_*.py"), *ROOT.glob("tests/**/test_*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "cross_tenant"
                and isinstance(node.func.value, ast.Attribute)
                and node.func.value.attr == "mark"
            ):
                covered.update(arg.value for arg in node.args if isinstance(arg, ast.Constant))
    return covered


def test_every_staff_route_has_a_cross_tenant_test():
    missing = sorted(set(staff_routes()) - covered_routes())
    assert missing == [], f"routes with no @pytest.mark.cross_tenant test: {missing}"
