"""Every staff route has a cross-tenant test: a user of business A gets 404 for business B's objects.

A test proves it for a route by carrying `@pytest.mark.cross_tenant("<url name>")` (one test may carry
several); it must request B's objects through that route, by GET and by every POST the route takes,
and check for 404 and that nothing changed. This test walks the URL patterns and fails for a route
without one, so a new page cannot ship without its isolation test.
"""

import ast
from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver

ROOT = Path(__file__).resolve().parents[3]
# Routes that are not the staff app's, or that show no tenant's objects.
NOT_TENANT_ROUTES = {
    "home",  # lists the user's own businesses (tested in test_isolation.py)
    "login",
    "logout",
    "healthz",
    "metrics",
    "generic-call",  # signed provider webhooks: their own tenant tests live with the providers
}
# account: the signed-in person's own pages (two-factor, sessions) and the links mails open (invitation,
# password reset), reached by who you are or by a token, never by a business's ids.
NOT_TENANT_PREFIXES = ("admin:", "twilio:", "account:")


def route_names() -> set[str]:
    names = set()

    def walk(patterns, namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(namespace + pattern.name)

    walk(get_resolver().url_patterns)
    return {n for n in names if n not in NOT_TENANT_ROUTES and not n.startswith(NOT_TENANT_PREFIXES)}


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
    missing = sorted(route_names() - covered_routes())
    assert missing == [], f"routes with no @pytest.mark.cross_tenant test: {missing}"


def test_the_walk_finds_the_staff_routes():
    assert {"business", "conversation", "simulator"} <= route_names()
