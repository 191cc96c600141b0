"""Hostile values in every parameter of every staff page: never a 500, never Django's stock wording, and a
refusal writes nothing.

PARAMS declares, for each route, the query and form parameters its view reads, each with a value the page
accepts. One parameter at a time gets each HOSTILE value (the others stay valid, so the view reaches the
parsing of that one), sent as raw bytes the way a browser or a script would. A test below fails for a route
with no entry, so a new page declares its parameters too.

Run on SQLite and on PostgreSQL (TEXTBACK_DATABASE_URL): PostgreSQL refuses a NUL in any text, so a NUL that
slips through to a query is a 500 there only.
"""

import re
from urllib.parse import quote

import pytest
from django.apps import apps
from django.contrib import messages
from django.forms import BaseForm
from django.test import Client

from textback.accounts.models import LoginThrottle, Membership
from textback.inbox.models import Presence
from textback.messaging.models import ConversationRead
from textback.testing import ALPHA_CELL, ROUTE_OBJECT, every_object, staff_routes, url_patterns

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
]

PROFILE = {"name": "Alpha", "time_zone": "America/Chicago", "country": "US", "help_contact": "call us",
           "textback_outcomes": "no_answer", "allowed_countries": "US", "cooldown_hours": "24",
           "staleness_minutes": "15", "sla_amber_minutes": "5", "sla_red_minutes": "15",
           "escalate_after_minutes": "5"}  # fmt: skip
LINE = {"number": lambda o: o.line.number, "label": "Van", "active": "on", "call_mode": "carrier_forward",
        "forward_to": ALPHA_CELL, "ring_seconds": "20", "delay_seconds": "0", "staff_name": "Mike",
        "textback_enabled": "on", "textback_template": "Hi {first_name|there}, sorry we missed you.",
        "voicemail_template": "", "record_voicemail": "on", "greeting": "Leave a message.",
        "keyword_replies": "ours"}  # fmt: skip
HOURS = {"mode": "weekly", "d0_opens_0": "08:00", "d0_closes_0": "17:00",
         **{f"d{day}_closed": "on" for day in range(1, 7)}}  # fmt: skip
WEBHOOK = {"name": "Ops", "kind": "slack", "url": "https://hooks.slack.com/services/T0/B0/X", "on_reply": "on",
           "active": "on"}  # fmt: skip
MY_SETTINGS = {"phone": "(512) 555-0188", "alert_email": "on", "alert_sms": "on", "alert_on_reply": "on",
               "quiet_start": "21:00", "quiet_end": "07:00"}  # fmt: skip
PASSWORD = {"name": "Newcomer", "password1": "a long pass phrase 9", "password2": "a long pass phrase 9"}

# route: {"GET": {parameter: valid value}, "POST": {...}}; a value may be a function of the Objects.
PARAMS = {
    "business": {"GET": {"show": "all", "line": lambda o: o.line.pk, "q": "leak", "before": "1700000000000000,9"}},
    "inbox-live": {"GET": {"show": "all", "line": lambda o: o.line.pk, "q": "leak"}},
    "calls": {"GET": {}},
    "call": {"GET": {}},
    "consent": {"GET": {}},
    "conversation": {"GET": {"canned": lambda o: o.canned.pk}},
    "conversation-live": {"GET": {}},
    "conversation-reply": {"POST": {"body": "On our way", "token": "f00d"}},
    "conversation-note": {"POST": {"body": "Gate code 1234"}},
    "conversation-close": {"POST": {}},
    "conversation-reopen": {"POST": {}},
    "conversation-assign": {"POST": {"assignee": lambda o: o.membership.user_id}},
    "conversation-outcome": {"POST": {"outcome": "booked", "value": "350", "reason": ""}},
    "conversation-presence": {"POST": {"typing": "1", "left": ""}},
    "message-media": {"GET": {}},  # its file is fetched only once the tenant and line checks pass
    "call-recording": {"GET": {}},
    "settings": {"GET": {}},
    "settings-profile": {"POST": PROFILE},
    "settings-hours": {"POST": HOURS},
    "settings-lines": {"GET": {}},
    "settings-line-new": {"POST": {"number": "(512) 555-0177", "label": "Van", "forward_to": ALPHA_CELL}},
    "settings-line": {"POST": LINE},
    "settings-line-preview": {
        "POST": {
            "staff_name": "Mike",
            "textback_template": "Hi {first_name}",
            "voicemail_template": "Got your voicemail",
        }
    },  # fmt: skip
    "settings-excluded": {"POST": {"number": "(512) 555-0166", "label": "Vendor"}},
    "settings-excluded-remove": {"POST": {}},
    "settings-canned": {"POST": {"title": "Late", "body": "Running late, {first_name|there}."}},
    "settings-canned-edit": {"POST": {"title": "Late", "body": "Running late."}},
    "settings-canned-delete": {"POST": {}},
    "contacts": {"GET": {"q": "512", "before": lambda o: o.contact.pk + 1}},
    "contact": {"POST": {"name": "Jane Doe", "owner": lambda o: o.membership.user_id, "tags": "vip"}},
    "contact-exclusion": {"POST": {"do": "include"}},
    "mailbox": {"GET": {"before": "1700000000000000,9"}},
    "mail": {"GET": {}},
    "staff": {"GET": {}},
    "staff-invite": {"POST": {"email": "someone@example.com", "role": "agent"}},
    "invitation-resend": {"POST": {}},
    "invitation-revoke": {"POST": {}},
    "member": {"POST": {"role": "manager", "lines": lambda o: o.line.pk}},
    "member-remove": {"POST": {}},
    "my-settings": {"POST": MY_SETTINGS},
    "alert-webhooks": {"POST": WEBHOOK},
    "alert-webhook": {"POST": {**WEBHOOK, "new_secret": "on"}},
    "alert-webhook-delete": {"POST": {}},
    "alert-webhook-test": {"POST": {}},
    "simulator": {"GET": {"handset": "+15125550147"}},
    "simulator-handset": {"GET": {"handset": "+15125550147"}},
    "simulator-call": {
        "POST": {
            "line": lambda o: o.line.pk,
            "caller": "+15125550147",
            "scenario": "no_answer",
            "voicemail_seconds": "0",
        }
    },  # fmt: skip
    "simulator-text": {"POST": {"line": lambda o: o.line.pk, "handset": "+15125550147", "body": "Hello?"}},
    # The person's own pages, and the pages a mail's link opens.
    "home": {"GET": {}},
    "login": {"POST": {"username": "alice@alpha.example", "password": "not her password"}},
    "account:home": {"GET": {}},
    "account:log-out-others": {"POST": {}},
    "account:two-factor-start": {"POST": {}},
    "account:two-factor-confirm": {"POST": {"code": "123456"}},
    "account:two-factor-off": {"POST": {"code": "123456"}},
    "account:recovery-codes": {"POST": {"code": "123456"}},
    "account:login-code": {"POST": {"code": "123456"}},
    "account:invite": {"POST": PASSWORD},
    "account:password-reset": {"POST": {"email": "alice@alpha.example"}},
    "account:password-reset-confirm": {
        "POST": {"new_password1": "a long pass phrase 9", "new_password2": "a long pass phrase 9"}
    },  # fmt: skip
}
# Routes that take no parameter from a person: provider webhooks (fuzzed in providers/tests), health checks,
# the admin (Django's own), logging out.
NOT_PEOPLE_PAGES = ("admin:", "twilio:")
NO_PARAMETERS = {"generic-call", "healthz", "metrics", "logout", "account:password-reset-sent",
                 "account:password-reset-complete"}  # fmt: skip
# Pages that are not under a business: their URL for the test.
OWN_URLS = {
    "home": "/",
    "login": "/login",
    "account:home": "/account",
    "account:log-out-others": "/account/sessions/log-out-others",
    "account:two-factor-start": "/account/two-factor/start",
    "account:two-factor-confirm": "/account/two-factor/confirm",
    "account:two-factor-off": "/account/two-factor/off",
    "account:recovery-codes": "/account/two-factor/recovery-codes",
    "account:login-code": "/login/code",
    "account:invite": "/invite/not-a-real-token",
    "account:password-reset": "/password-reset",
    "account:password-reset-confirm": "/password-reset/MQ/set-password",
}
VOLATILE = {ConversationRead, Presence, LoginThrottle}  # what reading a page or trying to log in records


def every_row() -> dict:
    """Every row the people pages could write, as plain values (read marks, presence and the login throttle
    aside: opening a page or trying a password writes those by design)."""
    tables = [m for m in apps.get_models() if m.__module__.startswith("textback") and m not in VOLATILE]
    tables.append(apps.get_model("auth", "User"))
    return {m.__name__: list(m.objects.order_by("pk").values_list()) for m in tables}


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


def encoded(params: dict, objects, hostile_name: str = "", hostile: str = "") -> str:
    """The query string or form body: the valid values, and `hostile` (raw) in the one parameter."""
    pairs = []
    for name, value in params.items():
        if name == hostile_name:
            pairs.append(f"{quote(name)}={hostile}")
        else:
            value = value(objects) if callable(value) else value
            pairs.append(f"{quote(name)}={quote(str(value))}")
    return "&".join(pairs)


def send(client: Client, method: str, url: str, data: str):
    if method == "GET":
        return client.get(f"{url}?{data}" if data else url)
    return client.post(url, data=data, content_type="application/x-www-form-urlencoded")


def test_every_page_declares_the_parameters_it_reads():
    routes = {name for name in url_patterns() if not name.startswith(NOT_PEOPLE_PAGES) and name not in NO_PARAMETERS}
    assert sorted(routes - set(PARAMS)) == [], "add the route's parameters to PARAMS"
    assert sorted(set(PARAMS) - routes) == [], "PARAMS names a route that is gone"
    assert set(staff_routes()) <= set(PARAMS)


@pytest.mark.parametrize("route", sorted(PARAMS))
def test_a_hostile_value_in_any_parameter_is_refused_cleanly(route, objects, alice):
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    url = url_of(route, objects)
    problems = []
    rows = every_row()
    for method, params in PARAMS[route].items():
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
