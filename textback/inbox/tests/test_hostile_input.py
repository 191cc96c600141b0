"""Hostile values in every parameter of every staff page: never a 500, never Django's stock wording, and a
refusal writes nothing.

textback/testing.py PARAMETERS declares, for each route, the query and form parameters its view reads, each
with a value the page accepts. One parameter at a time gets each HOSTILE value (the others stay valid, so the
view reaches the parsing of that one), sent as raw bytes the way a browser or a script would. A test below
fails for a route with no entry, so a new page declares its parameters too.

Run on SQLite and on PostgreSQL (TEXTBACK_DATABASE_URL): PostgreSQL refuses a NUL in any text, so a NUL that
slips through to a query is a 500 there only.
"""

import re

import pytest
from django.contrib import messages
from django.forms import BaseForm
from django.test import Client

from textback.accounts.models import Membership
from textback.testing import (
    NO_PARAMETERS,
    NOT_PEOPLE_PAGES,
    OWN_URLS,
    PARAMETERS,
    ROUTE_OBJECT,
    encoded,
    every_object,
    every_row,
    send,
    staff_routes,
    url_patterns,
)

pytestmark = pytest.mark.django_db

# As sent on the wire (percent-encoded bytes): a test client given a lone surrogate could not even encode it.
HOSTILE = {
    "superscript two": "%C2%B2",  # "²".isdigit() is True, and int("²") raises
    "Arabic-Indic digits": "%D9%A1%D9%A2",  # int() reads them; a database id they are not
    "NUL": "%00",
    "NUL after digits": "12%00",
    "lone surrogate (CESU-8)": "%ED%A0%80",
    "bytes that are not UTF-8": "%FF%FE",
    "huge number": "9" * 40,
    "negative number": "-1",
    "exponent": "1e5",
    "empty": "",
    "very long": "7" * 20000,
}
# Values that cannot be stored as text: a page must refuse them, never keep them.
NOT_TEXT = {"NUL", "NUL after digits", "lone surrogate (CESU-8)", "bytes that are not UTF-8"}
NOT_TEXT_CHARS = re.compile("[\x00\ud800-\udfff\ufffd]")

# Django's default form messages: each field of a staff page says in its own words what to fix.
STOCK_WORDING = [
    "Null characters are not allowed",
    "Select a valid choice",
    "Ensure this value has at most",
    "Ensure this value is",
    "Enter a whole number",
    "Enter a number",
    "Enter a valid",
    "This field is required",
    "Please enter a correct",
    "didn’t match",
]


def holds_what_is_not_text(rows: dict) -> bool:
    """A NUL, a lone surrogate or U+FFFD (what undecodable bytes become) stored anywhere."""
    return any(
        isinstance(value, str) and NOT_TEXT_CHARS.search(value)
        for table in rows.values()
        for row in table
        for value in row
    )


def flashed(response) -> list:
    """The messages this response queued (not those of earlier responses, which the redirects left unread)."""
    return list(getattr(response.wsgi_request, "_messages", None)._queued_messages or [])


def refused(response) -> bool:
    """The page said no: a 4xx, an error message, or a form shown again with its errors."""
    if response.status_code >= 400:
        return True
    if any(m.level >= messages.ERROR for m in flashed(response)):
        return True
    for context in response.context or []:
        values = context.flatten().values() if hasattr(context, "flatten") else context.values()
        if any(isinstance(value, BaseForm) and value.is_bound and value.errors for value in values):
            return True
    return False


def shown(response) -> str:
    text = " ".join(str(m) for m in flashed(response))
    if response.get("Content-Type", "").startswith("text/html") and not response.streaming:
        text += response.content.decode(errors="replace")
    return text


@pytest.fixture
def objects(alpha_sandbox_line, alice, bob, mary):
    Membership.objects.filter(user=bob).first().lines.add(alpha_sandbox_line)
    return every_object(alpha_sandbox_line, owner=alice, colleague=mary)


def url_of(route: str, objects) -> str:
    return OWN_URLS.get(route) or objects.url(route)


def test_every_page_declares_the_parameters_it_reads():
    routes = {name for name in url_patterns() if not name.startswith(NOT_PEOPLE_PAGES) and name not in NO_PARAMETERS}
    assert sorted(routes - set(PARAMETERS)) == [], "add the route's parameters to PARAMETERS"
    assert sorted(set(PARAMETERS) - routes) == [], "PARAMETERS names a route that is gone"
    assert set(staff_routes()) <= set(PARAMETERS)


@pytest.mark.parametrize("route", sorted(PARAMETERS))
def test_a_hostile_value_in_any_parameter_is_refused_cleanly(route, objects, alice):
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    url = url_of(route, objects)
    problems = []
    rows = every_row()
    for method, params in PARAMETERS[route].items():
        for name in params:
            for label, value in HOSTILE.items():
                response = send(client, method, url, encoded(params, objects, name, value))
                what = f"{method} {url} {name}={label}"
                before, rows = rows, every_row()
                if response.status_code >= 500:
                    problems.append(f"{what}: {response.status_code}")
                elif refused(response) and rows != before:
                    problems.append(f"{what}: refused, yet rows changed")
                elif label in NOT_TEXT and holds_what_is_not_text(rows):
                    problems.append(f"{what}: stored")
                if stock := [words for words in STOCK_WORDING if words in shown(response)]:
                    problems.append(f"{what}: Django's words {stock}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("route", sorted(name for name, p in staff_routes().items() if set(p.params) - {"slug"}))
def test_a_huge_id_in_the_address_is_not_found(route, objects, alice):
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    url = objects.url(route)
    huge = url.replace(f"/{getattr(objects, ROUTE_OBJECT[route]).pk}", "/" + "9" * 30, 1)
    for method in ("GET", "POST"):
        assert send(client, method, huge, "").status_code in (404, 405), (method, huge)
