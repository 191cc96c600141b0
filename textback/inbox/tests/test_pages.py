"""The staff pages: logging in, and what each page shows about calls, texts and consent."""

import pytest
from django.test import Client
from django.utils.html import escape

from textback.calls import decide
from textback.calls.models import Call, WebhookEvent
from textback.conftest import CALLER
from textback.messaging.models import ConsentEvent, Message
from textback.testing import an_inbound_text as receive

pytestmark = pytest.mark.django_db

ALICE = ("alice@alpha.example", "pw-alice-123")


def log_in(client, username: str, password: str):
    return client.post("/login", {"username": username, "password": password})


def is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


# --- logging in ------------------------------------------------------------------------------


def test_the_login_page_shows_a_form(client):
    response = client.get("/login")

    assert response.status_code == 200
    content = response.content.decode()
    assert 'name="username"' in content and 'name="password"' in content
    assert 'name="csrfmiddlewaretoken"' in content


def test_an_owner_logs_in_and_lands_on_her_business_report(client, alice):
    response = log_in(client, *ALICE)

    assert response.status_code == 302 and response["Location"] == "/"
    assert is_logged_in(client)
    assert client.get("/")["Location"] == "/b/alpha/reports/"


def test_logging_in_returns_to_the_page_asked_for(client, alice):
    response = client.post(
        "/login?next=/b/alpha/consent", {"username": ALICE[0], "password": ALICE[1], "next": "/b/alpha/consent"}
    )

    assert response["Location"] == "/b/alpha/consent"


def test_logging_in_never_redirects_to_another_site(client, alice):
    response = client.post("/login", {"username": ALICE[0], "password": ALICE[1], "next": "https://evil.example/"})

    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_a_wrong_password_is_refused_with_a_message(client, alice):
    response = log_in(client, ALICE[0], "wrong")

    assert response.status_code == 200
    assert "That email or username and password do not match an account here." in response.content.decode()
    assert not is_logged_in(client)


def test_after_ten_wrong_passwords_logging_in_is_refused_for_a_while(client, alice):
    for _ in range(10):
        assert log_in(client, ALICE[0], "wrong").status_code == 200

    response = log_in(client, *ALICE)

    assert response.status_code == 429
    assert "Too many failed attempts" in response.content.decode()
    assert not is_logged_in(client)


def test_nine_wrong_passwords_still_allow_the_right_one(client, alice):
    for _ in range(9):
        log_in(client, ALICE[0], "wrong")

    assert log_in(client, *ALICE).status_code == 302


def test_the_limit_ignores_the_case_of_the_username(client, alice):
    for _ in range(10):
        log_in(client, ALICE[0].upper(), "wrong")

    assert log_in(client, *ALICE).status_code == 429


def test_the_limit_cannot_be_sidestepped_by_padding_the_username_with_spaces(client, alice):
    """Django strips the username before authenticating, so ' alice' is alice: it must count as alice."""
    for _ in range(10):
        log_in(client, ALICE[0], "wrong")

    response = log_in(client, f" {ALICE[0]} ", ALICE[1])

    assert response.status_code == 429
    assert not is_logged_in(client)


def test_one_users_failures_do_not_lock_out_another(client, alice, bob):
    for _ in range(10):
        log_in(client, ALICE[0], "wrong")

    assert log_in(client, "bob@alpha.example", "pw-bob-123").status_code == 302


def test_logging_out_ends_the_session(client, alice):
    client.force_login(alice)

    response = client.post("/logout")

    assert response.status_code == 302 and response["Location"] == "/login"
    assert not is_logged_in(client)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/b/alpha/",
        "/b/alpha/calls",
        "/b/alpha/calls/1",
        "/b/alpha/conversations/1",
        "/b/alpha/consent",
        "/sandbox/alpha/",
        "/sandbox/alpha/handset?handset=%2B15125550147",
    ],
)
def test_pages_require_logging_in(client, alpha, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/login?next=")


@pytest.mark.parametrize("path", ["/sandbox/alpha/call", "/sandbox/alpha/text"])
def test_simulator_actions_require_logging_in(client, alpha_sandbox_line, path):
    response = client.post(
        path,
        {"line": alpha_sandbox_line.pk, "caller": CALLER, "scenario": "no_answer", "handset": CALLER, "body": "hi"},
    )

    assert response.status_code == 302 and response["Location"].startswith("/login?next=")
    assert Call.objects.count() == 0 and Message.objects.count() == 0


# --- home and the business page --------------------------------------------------------------


def test_a_user_of_several_businesses_chooses_one(client, alice, beta):
    from textback.accounts.models import Membership

    Membership.objects.create(user=alice, business=beta, role=Membership.AGENT)
    client.force_login(alice)

    content = client.get("/").content.decode()

    assert "AlphaPlumbing" in content and "BetaHVAC" in content


def test_a_user_without_a_business_is_told_how_to_get_one(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("nobody", "nobody@example.com", "pw-nobody-123"))

    response = client.get("/")

    assert response.status_code == 200
    assert "not a member of any business" in response.content.decode()


def test_the_calls_page_lists_calls_with_outcome_decision_and_reason(client, bob, alpha_line, alpha_call):
    from textback.testing import a_missed_call as record_call

    record_call(alpha_line, caller="anonymous")
    record_call(alpha_line, caller="+15125550148", outcome="busy")
    client.force_login(bob)

    response = client.get("/b/alpha/calls")

    assert response.status_code == 200
    content = response.content.decode()
    rows = content.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:]
    assert len(rows) == 3
    newest, anonymous, first = rows
    assert "(512) 555-0148" in newest and "Busy" in newest and "Texted back" in newest
    assert "anonymous" in anonymous and "No answer" in anonymous and "Not texted" in anonymous
    assert decide.REASONS[decide.ANONYMOUS] in anonymous
    assert "(512) 555-0147" in first and "Texted back" in first and decide.REASONS[decide.TEXT_MISSED_CALL] in first
    assert f'href="/b/alpha/calls/{alpha_call.pk}"' in first


def test_the_inbox_lists_conversations(client, bob, alpha_conversation):
    client.force_login(bob)

    content = client.get("/b/alpha/").content.decode()

    assert f'href="/b/alpha/conversations/{alpha_conversation.pk}"' in content


def test_an_empty_calls_page_points_to_the_simulator(client, bob):
    client.force_login(bob)

    content = client.get("/b/alpha/calls").content.decode()

    assert "No calls yet" in content and 'href="/sandbox/alpha/"' in content


# --- a call --------------------------------------------------------------------------------


def test_the_call_page_shows_what_happened_and_why(client, bob, alpha_call):
    client.force_login(bob)

    response = client.get(f"/b/alpha/calls/{alpha_call.pk}")

    assert response.status_code == 200
    content = response.content.decode()
    assert "Call from (512) 555-0147" in content
    assert "No answer" in content and "Texted back" in content
    assert decide.REASONS[decide.TEXT_MISSED_CALL] in content
    assert "sorry we missed your call" in content  # the text it caused


def test_the_call_page_lists_the_provider_events_for_the_call(client, bob, alpha, alpha_call):
    WebhookEvent.objects.create(
        provider="twilio",
        endpoint="dial",
        key=f"{alpha_call.line.account_id}:{alpha_call.provider_call_id}:no-answer",
        business=alpha,
        received_at=alpha_call.started_at,
    )
    client.force_login(bob)

    content = client.get(f"/b/alpha/calls/{alpha_call.pk}").content.decode()

    assert f"<td>{alpha_call.provider_call_id}:no-answer</td>" in content


def test_the_call_page_lists_only_its_own_provider_events(client, bob, alpha, alpha_line):
    """Asterisk call ids are "<epoch>.<sequence>": 1767225600.4 is a prefix of 1767225600.42, a different call."""
    import json
    import time

    from textback.providers.generic.views import sign

    for call_id in ("1767225600.4", "1767225600.42"):
        body = json.dumps(
            {"call_id": call_id, "line": alpha_line.number, "from": CALLER, "outcome": "NOANSWER"}
        ).encode()
        stamp = str(int(time.time()))
        client.post(
            "/hooks/generic/call",
            data=body,
            content_type="application/json",
            HTTP_X_TEXTBACK_TIMESTAMP=stamp,
            HTTP_X_TEXTBACK_SIGNATURE=sign(alpha.signing_secret, stamp, body),
        )
    short = Call.objects.get(provider_call_id=f"{alpha.pk}:1767225600.4")
    client.force_login(bob)

    content = client.get(f"/b/alpha/calls/{short.pk}").content.decode()

    assert f"{alpha.pk}:1767225600.4<" in content
    assert "1767225600.42" not in content


def test_the_call_page_explains_a_skipped_call(client, bob, alpha_line):
    from textback.testing import a_missed_call as record_call

    call = record_call(alpha_line, caller="+18762345678")
    client.force_login(bob)

    content = client.get(f"/b/alpha/calls/{call.pk}").content.decode()

    assert "Not texted" in content and escape(decide.REASONS[decide.COUNTRY_NOT_ALLOWED]) in content


def test_a_call_that_does_not_exist_is_404(client, bob):
    client.force_login(bob)

    assert client.get("/b/alpha/calls/999999").status_code == 404


# --- the consent ledger --------------------------------------------------------------------


def test_the_consent_ledger_lists_opt_outs_opt_ins_and_help_requests(client, bob, alpha_line):
    for word in ("STOP", "START", "HELP"):
        receive(alpha_line, word)
    client.force_login(bob)

    response = client.get("/b/alpha/consent")

    assert response.status_code == 200
    content = response.content.decode()
    assert content.index("Asked for help") < content.index("Opted back in") < content.index("Opted out")  # newest first
    assert content.count("(512) 555-0147") == 3
    assert ConsentEvent.objects.count() == 3


def test_an_empty_consent_ledger_says_so(client, bob):
    client.force_login(bob)

    assert "Nobody has opted out" in client.get("/b/alpha/consent").content.decode()


# --- every form is CSRF-protected ----------------------------------------------------------


@pytest.fixture
def strict_client():
    return Client(enforce_csrf_checks=True)


def test_logging_in_without_a_csrf_token_is_forbidden(strict_client, alice):
    response = strict_client.post("/login", {"username": ALICE[0], "password": ALICE[1]})

    assert response.status_code == 403
    assert not is_logged_in(strict_client)


def test_logging_in_with_the_forms_csrf_token_works(strict_client, alice):
    strict_client.get("/login")
    token = strict_client.cookies["csrftoken"].value

    response = strict_client.post("/login", {"username": ALICE[0], "password": ALICE[1], "csrfmiddlewaretoken": token})

    assert response.status_code == 302


def test_logging_out_without_a_csrf_token_is_forbidden(strict_client, alice):
    strict_client.force_login(alice)

    response = strict_client.post("/logout")

    assert response.status_code == 403
    assert is_logged_in(strict_client)


def test_placing_a_simulated_call_without_a_csrf_token_is_forbidden(strict_client, alice, alpha_sandbox_line):
    strict_client.force_login(alice)

    response = strict_client.post(
        "/sandbox/alpha/call",
        {"line": alpha_sandbox_line.pk, "caller": CALLER, "scenario": "no_answer", "voicemail_seconds": 0},
    )

    assert response.status_code == 403
    assert Call.objects.count() == 0


def test_texting_from_the_simulator_without_a_csrf_token_is_forbidden(strict_client, alice, alpha_sandbox_line):
    strict_client.force_login(alice)

    response = strict_client.post(
        "/sandbox/alpha/text", {"line": alpha_sandbox_line.pk, "handset": CALLER, "body": "STOP"}
    )

    assert response.status_code == 403
    assert Message.objects.count() == 0 and ConsentEvent.objects.count() == 0
