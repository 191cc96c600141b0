"""Every simulator input with a NUL, a lone surrogate or an absurd length is a 400 with a reason, on both databases.

The requests are written as raw bytes, as a browser or a script would send them: a lone surrogate can
only arrive encoded (CESU-8 %ED%A0%80, which is not UTF-8), and Django reads undecodable bytes as U+FFFD.
"""

from urllib.parse import quote

import pytest

from textback.calls.models import Call
from textback.conftest import CALLER
from textback.messaging.models import Message
from textback.providers.models import Line
from textback.providers.sandbox.forms import CallForm, TextForm
from textback.providers.sandbox.models import SandboxMessage

pytestmark = pytest.mark.django_db

NUL = "%00"
SURROGATE = "%ED%A0%80"  # U+D800 as CESU-8
TRUNCATED = "%F0%9F"  # the first half of an emoji
BAD_VALUES = {
    "nul": (f"%2B1512{NUL}5550147", "contains a NUL character"),
    "lone surrogate": (f"%2B1512{SURROGATE}", "is not valid text"),
    "undecodable bytes": (f"%2B1512{TRUNCATED}", "is not valid text"),
    "absurd length": ("5" * 100_000, "is longer than 40 characters"),
}


@pytest.fixture
def simulator(client, alice, alpha_sandbox_line):
    client.force_login(alice)
    return client


def nothing_was_written() -> bool:
    return Call.objects.count() == Message.objects.count() == SandboxMessage.objects.count() == 0


def post(client, path: str, fields: dict, raw: dict):
    """POST a form: `fields` are encoded as a browser would, `raw` values are sent exactly as given."""
    body = "&".join([f"{k}={quote(str(v))}" for k, v in fields.items()] + [f"{k}={v}" for k, v in raw.items()])
    return client.post(path, body, content_type="application/x-www-form-urlencoded")


# --- ?handset= on the pages ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/sandbox/alpha/", "/sandbox/alpha/handset"])
@pytest.mark.parametrize("kind", BAD_VALUES)
def test_a_bad_handset_in_the_address_is_a_bad_request_that_says_why(simulator, path, kind):
    value, reason = BAD_VALUES[kind]

    response = simulator.get(f"{path}?handset={value}")

    assert response.status_code == 400
    content = response.content.decode()
    assert f"The handset number in the address {reason}" in content
    assert "Back to the phone simulator" in content


@pytest.mark.parametrize("path", ["/sandbox/alpha/", "/sandbox/alpha/handset"])
def test_a_long_but_possible_handset_still_shows(simulator, path):
    assert simulator.get(f"{path}?handset={'5' * 40}").status_code == 200


# --- placing a call --------------------------------------------------------------------------

CALL = {"caller": CALLER, "scenario": "no_answer", "voicemail_seconds": "0"}


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("caller", f"%2B1512{NUL}5550147", "contains a NUL character"),
        ("caller", f"%2B1512{SURROGATE}", "is not valid text"),
        ("caller", f"%2B1512{TRUNCATED}", "is not valid text"),
        ("caller", "5" * 100_000, "at most 40 characters"),
        ("scenario", f"no_answer{NUL}", "Choose what happens to the call."),
        ("scenario", "x" * 100_000, "Choose what happens to the call."),
        ("voicemail_seconds", f"1{NUL}", "Give the voicemail’s length as 0 to 120 seconds."),
        ("voicemail_seconds", "9" * 5000, "Give the voicemail’s length as 0 to 120 seconds."),
        ("voicemail_seconds", "9" * 30, "Give the voicemail’s length as 0 to 120 seconds."),
        ("line", f"1{NUL}", "Choose one of the business’s sandbox lines."),
        ("line", "9" * 30, "Choose one of the business’s sandbox lines."),
        ("line", "9" * 5000, "Choose one of the business’s sandbox lines."),
    ],
)
def test_a_call_with_bad_input_is_a_bad_request_that_says_why(simulator, alpha_sandbox_line, field, value, message):
    fields = {"line": alpha_sandbox_line.pk, **CALL}
    fields.pop(field, None)

    response = post(simulator, "/sandbox/alpha/call", fields, {field: value})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert nothing_was_written()


# --- texting from the handset ----------------------------------------------------------------


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("handset", f"%2B1512{NUL}5550147", "contains a NUL character"),
        ("handset", f"%2B1512{SURROGATE}", "is not valid text"),
        ("handset", "5" * 100_000, "at most 20 characters"),
        ("body", f"Hi{NUL}there", "contains a NUL character"),
        ("body", f"Hi {SURROGATE}", "is not valid text"),
        ("body", f"Hi {TRUNCATED}", "is not valid text"),
        ("body", "x" * 100_000, "at most 1600 characters"),
        ("line", f"1{NUL}", "Choose one of the business’s sandbox lines."),
        ("line", "9" * 5000, "Choose one of the business’s sandbox lines."),
    ],
)
def test_a_text_with_bad_input_is_a_bad_request_that_says_why(simulator, alpha_sandbox_line, field, value, message):
    fields = {"line": alpha_sandbox_line.pk, "handset": CALLER, "body": "hi"}
    fields.pop(field)

    response = post(simulator, "/sandbox/alpha/text", fields, {field: value})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert nothing_was_written()


def test_a_body_too_large_for_any_form_is_a_bad_request_with_a_message(simulator, alpha_sandbox_line):
    fields = {"line": alpha_sandbox_line.pk, "handset": CALLER, "body": "x" * 300_000}

    response = post(simulator, "/sandbox/alpha/text", fields, {})

    assert response.status_code == 400
    assert "too large" in response.content.decode()
    assert nothing_was_written()


def test_an_emoji_and_accents_are_still_fine(simulator, alpha_sandbox_line):
    response = post(
        simulator, "/sandbox/alpha/text", {"line": alpha_sandbox_line.pk, "handset": CALLER, "body": "Merci 🔧 é"}, {}
    )

    assert response.status_code == 302
    assert Message.objects.get().body == "Merci 🔧 é"


# --- the forms themselves, for text that only code (never a request) can hand them ------------


@pytest.mark.parametrize("caller", ["+1512\ud800", "\udfff"])
def test_the_call_form_refuses_a_lone_surrogate(alpha_sandbox_line, caller):
    form = CallForm({"line": alpha_sandbox_line.pk, **CALL, "caller": caller}, lines=Line.objects.all())

    assert not form.is_valid() and "is not valid text" in str(form.errors["caller"])


def test_the_text_form_refuses_a_lone_surrogate(alpha_sandbox_line):
    data = {"line": alpha_sandbox_line.pk, "handset": CALLER, "body": "hi \ud83d"}

    form = TextForm(data, lines=Line.objects.all())

    assert not form.is_valid() and "is not valid text" in str(form.errors["body"])
