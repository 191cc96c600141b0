"""What one party cannot do to another: tenants see only their own data, callers cannot inject markup."""

import pytest
from django.utils.html import escape

from textback.calls.models import Call
from textback.conftest import CALLER
from textback.messaging.models import ConsentEvent, Contact, Message
from textback.providers.models import SANDBOX, Line, ProviderAccount
from textback.providers.sandbox import carrier
from textback.providers.sandbox.models import SandboxMessage
from textback.testing import a_missed_call as record_call
from textback.testing import an_inbound_text as receive

pytestmark = pytest.mark.django_db


@pytest.fixture
def beta_sandbox_line(beta):
    account = ProviderAccount.objects.create(business=beta, provider=SANDBOX, label="beta demo")
    return Line.objects.create(business=beta, account=account, number="+12145550111", forward_to=["+12145550199"])


def nothing_new_written(calls: int = 0, messages: int = 0):
    return (Call.objects.count(), Message.objects.count(), ConsentEvent.objects.count()) == (calls, messages, 0)


# --- business B's pages are 404 for a user of business A: one test per view -------------------


@pytest.mark.cross_tenant("business")
def test_another_business_page_is_not_found(as_bob, beta_call):
    assert as_bob.get("/b/beta/").status_code == 404


@pytest.mark.cross_tenant("call")
def test_another_business_call_is_not_found(as_bob, beta_call):
    assert as_bob.get(f"/b/beta/calls/{beta_call.pk}").status_code == 404


@pytest.mark.cross_tenant("conversation")
def test_another_business_conversation_is_not_found(as_bob, beta_conversation):
    assert as_bob.get(f"/b/beta/conversations/{beta_conversation.pk}").status_code == 404


@pytest.mark.cross_tenant("consent")
def test_another_business_consent_ledger_is_not_found(as_bob, beta):
    assert as_bob.get("/b/beta/consent").status_code == 404


@pytest.mark.cross_tenant("simulator")
def test_another_business_simulator_is_not_found(as_bob, beta_sandbox_line):
    assert as_bob.get("/sandbox/beta/").status_code == 404


@pytest.mark.cross_tenant("simulator-handset")
def test_another_business_handset_is_not_found(as_bob, beta_sandbox_line):
    carrier.text_from_handset(beta_sandbox_line, CALLER, "private to beta")

    response = as_bob.get("/sandbox/beta/handset", {"handset": CALLER})

    assert response.status_code == 404
    assert b"private to beta" not in response.content


@pytest.mark.cross_tenant("simulator-call")
def test_another_business_simulator_cannot_place_calls(as_bob, beta_sandbox_line):
    response = as_bob.post(
        "/sandbox/beta/call",
        {"line": beta_sandbox_line.pk, "caller": CALLER, "scenario": "no_answer", "voicemail_seconds": 0},
    )

    assert response.status_code == 404
    assert nothing_new_written()


@pytest.mark.cross_tenant("simulator-text")
def test_another_business_simulator_cannot_send_texts(as_bob, beta_sandbox_line):
    response = as_bob.post("/sandbox/beta/text", {"line": beta_sandbox_line.pk, "handset": CALLER, "body": "STOP"})

    assert response.status_code == 404
    assert nothing_new_written()
    assert SandboxMessage.objects.count() == 0


def test_a_business_that_does_not_exist_is_not_found(as_bob):
    assert as_bob.get("/b/gamma/").status_code == 404
    assert as_bob.get("/sandbox/gamma/").status_code == 404


def test_the_home_page_lists_only_the_users_own_businesses(client, charlie, alpha, beta):
    client.force_login(charlie)

    response = client.get("/")

    assert response["Location"] == "/b/beta/reports/"  # her front page as an owner


def test_the_other_direction_is_closed_too(client, charlie, alpha_call, alpha_conversation):
    client.force_login(charlie)

    for path in (
        "/b/alpha/",
        "/b/alpha/calls",
        "/b/alpha/live",
        f"/b/alpha/calls/{alpha_call.pk}",
        f"/b/alpha/conversations/{alpha_conversation.pk}",
        "/b/alpha/consent",
        "/sandbox/alpha/",
        "/sandbox/alpha/handset?handset=%2B15125550147",
    ):
        assert client.get(path).status_code == 404, path


# --- tenant-scoped objects: B's object under A's own slug is 404 ------------------------------


def test_another_business_call_under_our_slug_is_not_found(as_bob, alpha_call, beta_call):
    assert as_bob.get(f"/b/alpha/calls/{alpha_call.pk}").status_code == 200
    assert as_bob.get(f"/b/alpha/calls/{beta_call.pk}").status_code == 404


def test_another_business_conversation_under_our_slug_is_not_found(as_bob, alpha_conversation, beta_conversation):
    assert as_bob.get(f"/b/alpha/conversations/{alpha_conversation.pk}").status_code == 200
    assert as_bob.get(f"/b/alpha/conversations/{beta_conversation.pk}").status_code == 404


def test_another_business_calls_and_conversations_are_not_listed(as_bob, alpha_call, beta_call, beta_conversation):
    content = as_bob.get("/b/alpha/").content.decode() + as_bob.get("/b/alpha/calls").content.decode()

    assert "+12145550147" not in content
    assert f'/calls/{beta_call.pk}"' not in content
    assert f'/conversations/{beta_conversation.pk}"' not in content


def test_another_business_consent_events_are_not_listed(as_bob, alpha, beta_line):
    receive(beta_line, "STOP", caller="+12145550147")

    content = as_bob.get("/b/alpha/consent").content.decode()

    assert "+12145550147" not in content and "Nobody has opted out" in content


def test_another_business_line_cannot_be_used_from_our_simulator(as_bob, alpha_sandbox_line, beta_sandbox_line):
    call = as_bob.post(
        "/sandbox/alpha/call",
        {"line": beta_sandbox_line.pk, "caller": CALLER, "scenario": "no_answer", "voicemail_seconds": 0},
    )
    text = as_bob.post("/sandbox/alpha/text", {"line": beta_sandbox_line.pk, "handset": CALLER, "body": "hello"})

    assert (call.status_code, text.status_code) == (400, 400)
    assert nothing_new_written()


def test_our_handset_never_shows_another_business_texts_to_the_same_number(
    as_bob, alpha_sandbox_line, beta_sandbox_line
):
    carrier.text_from_handset(alpha_sandbox_line, CALLER, "hello alpha")
    carrier.text_from_handset(beta_sandbox_line, CALLER, "hello beta")

    content = as_bob.get("/sandbox/alpha/handset", {"handset": CALLER}).content.decode()

    assert "hello alpha" in content and "hello beta" not in content


# --- caller-supplied text is always escaped --------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
SHORT_SCRIPT = "<svg/onload=alert()>"  # fits a 20-character number column


def assert_escaped(content: str, payload: str = SCRIPT) -> None:
    assert payload not in content
    assert escape(payload) in content


def test_a_caller_id_with_markup_is_escaped_on_the_calls_and_call_pages(as_bob, alpha_line):
    call = record_call(alpha_line, caller=SCRIPT)

    assert_escaped(as_bob.get("/b/alpha/calls").content.decode())
    assert_escaped(as_bob.get(f"/b/alpha/calls/{call.pk}").content.decode())


def test_a_contact_name_with_markup_is_escaped_everywhere_it_shows(as_bob, alpha, alpha_line):
    Contact.objects.create(business=alpha, number=CALLER, name=SCRIPT)
    call = record_call(alpha_line)  # the text-back greets the contact by first name
    text = Message.objects.get(call=call)
    assert SCRIPT in text.body

    for path in (
        "/b/alpha/",
        "/b/alpha/calls",
        f"/b/alpha/calls/{call.pk}",
        f"/b/alpha/conversations/{text.conversation_id}",
    ):
        assert_escaped(as_bob.get(path).content.decode())


def test_a_message_body_with_markup_is_escaped_in_the_conversation(as_bob, alpha_line):
    message = receive(alpha_line, f"hi {SCRIPT}\nsecond line")

    content = as_bob.get(f"/b/alpha/conversations/{message.conversation_id}").content.decode()

    assert_escaped(content)
    assert "second line" in content


def test_a_message_body_with_markup_is_escaped_on_the_handset(as_bob, alpha_sandbox_line):
    carrier.text_from_handset(alpha_sandbox_line, CALLER, SCRIPT)

    assert_escaped(as_bob.get("/sandbox/alpha/handset", {"handset": CALLER}).content.decode())
    assert_escaped(as_bob.get("/sandbox/alpha/", {"handset": CALLER}).content.decode())


def test_a_number_with_markup_is_escaped_in_the_consent_ledger_and_conversation(as_bob, alpha_line):
    message = receive(alpha_line, "STOP", caller=SHORT_SCRIPT)

    assert_escaped(as_bob.get("/b/alpha/consent").content.decode(), SHORT_SCRIPT)
    assert_escaped(as_bob.get(f"/b/alpha/conversations/{message.conversation_id}").content.decode(), SHORT_SCRIPT)


def test_a_handset_number_with_markup_in_the_address_is_escaped(as_bob, alpha_sandbox_line):
    assert_escaped(as_bob.get("/sandbox/alpha/", {"handset": SCRIPT}).content.decode())
    assert SCRIPT not in as_bob.get("/sandbox/alpha/handset", {"handset": SCRIPT}).content.decode()


def test_a_simulated_caller_id_with_markup_is_escaped_in_the_confirmation(as_bob, alpha_sandbox_line):
    response = as_bob.post(
        "/sandbox/alpha/call",
        {"line": alpha_sandbox_line.pk, "caller": SCRIPT, "scenario": "no_answer", "voicemail_seconds": 0},
        follow=True,
    )

    assert response.status_code == 200
    assert_escaped(response.content.decode())
