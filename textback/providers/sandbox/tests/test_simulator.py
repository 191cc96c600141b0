"""The phone simulator: play a caller dialling the business, and the caller's handset texting back."""

from urllib.parse import parse_qs, urlsplit

import pytest

from textback.calls import decide, outcomes
from textback.calls.models import Call
from textback.conftest import ALPHA_CELL, CALLER
from textback.messaging.models import ConsentEvent, Conversation, Message
from textback.providers.models import SANDBOX, Line, ProviderAccount
from textback.providers.sandbox import carrier
from textback.providers.sandbox.models import SandboxMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def simulator(client, alice, alpha_sandbox_line):
    client.force_login(alice)
    return client


def place(client, line, scenario: str = "no_answer", caller: str = CALLER, voicemail_seconds=0, **kwargs):
    return client.post(
        "/sandbox/alpha/call",
        {"line": line.pk, "caller": caller, "scenario": scenario, "voicemail_seconds": voicemail_seconds},
        **kwargs,
    )


def text(client, line, body: str, handset: str = CALLER, **kwargs):
    return client.post("/sandbox/alpha/text", {"line": line.pk, "handset": handset, "body": body}, **kwargs)


def textbacks() -> list[Message]:
    return list(Message.objects.filter(purpose=Message.TEXTBACK))


# --- placing calls ---------------------------------------------------------------------------


def test_the_simulator_page_offers_every_scenario(simulator):
    response = simulator.get("/sandbox/alpha/")

    assert response.status_code == 200
    content = response.content.decode()
    for scenario in carrier.SCENARIOS:
        assert f'value="{scenario}"' in content
    assert f"Handset {CALLER}" in content


@pytest.mark.parametrize(
    "scenario, outcome, decision, reason",
    [
        ("no_answer", outcomes.NO_ANSWER, Call.TEXT, decide.TEXT_MISSED_CALL),
        ("busy", outcomes.BUSY, Call.TEXT, decide.TEXT_MISSED_CALL),
        ("hang_up", outcomes.CALLER_HUNG_UP, Call.TEXT, decide.TEXT_MISSED_CALL),
        ("screened_out", outcomes.SCREENED_OUT, Call.TEXT, decide.TEXT_MISSED_CALL),
        ("answered", outcomes.ANSWERED, Call.SKIP, decide.OUTCOME_NOT_SELECTED),
    ],
)
def test_each_scenario_records_the_call_with_its_outcome_and_decision(
    simulator, alpha_sandbox_line, scenario, outcome, decision, reason
):
    response = place(simulator, alpha_sandbox_line, scenario)

    assert response.status_code == 302
    call = Call.objects.get()
    assert (call.line, call.provider, call.from_number, call.state) == (alpha_sandbox_line, SANDBOX, CALLER, Call.ENDED)
    assert (call.outcome, call.decision, call.decision_reason) == (outcome, decision, reason)
    assert len(textbacks()) == (1 if decision == Call.TEXT else 0)


def test_placing_a_call_says_what_happened(simulator, alpha_sandbox_line):
    response = place(simulator, alpha_sandbox_line, "busy", follow=True)

    assert "Call from (512) 555-0147: Busy; text-back queued." in response.content.decode()


def test_placing_a_skipped_call_says_why(simulator, alpha_sandbox_line):
    response = place(simulator, alpha_sandbox_line, "answered", follow=True)

    assert "Answered; not texted: The business does not text for this call outcome." in response.content.decode()


def test_a_ten_second_voicemail_makes_the_outcome_voicemail(simulator, alpha_sandbox_line):
    place(simulator, alpha_sandbox_line, "no_answer", voicemail_seconds=10)

    call = Call.objects.get()
    assert (call.outcome, call.voicemail, call.voicemail_seconds, call.decision) == (
        outcomes.VOICEMAIL,
        True,
        10,
        Call.TEXT,
    )
    assert "We got your voicemail" in textbacks()[0].body


def test_an_answered_call_leaves_no_voicemail(simulator, alpha_sandbox_line):
    place(simulator, alpha_sandbox_line, "answered", voicemail_seconds=10)

    call = Call.objects.get()
    assert (call.outcome, call.voicemail) == (outcomes.ANSWERED, False)


def test_a_caller_who_hung_up_leaves_no_voicemail(simulator, alpha_sandbox_line):
    place(simulator, alpha_sandbox_line, "hang_up", voicemail_seconds=10)

    assert (Call.objects.get().outcome, Call.objects.get().voicemail) == (outcomes.CALLER_HUNG_UP, False)


def test_an_anonymous_simulated_caller_is_not_texted(simulator, alpha_sandbox_line):
    place(simulator, alpha_sandbox_line, caller="Anonymous")

    call = Call.objects.get()
    assert (call.from_number, call.decision_reason) == ("anonymous", decide.ANONYMOUS)


def test_a_caller_typed_nationally_is_recorded_in_e164(simulator, alpha_sandbox_line):
    place(simulator, alpha_sandbox_line, caller="(512) 555-0147")

    assert Call.objects.get().from_number == CALLER


def test_a_garbage_caller_id_is_passed_on_as_a_carrier_would(simulator, alpha_sandbox_line):
    place(simulator, alpha_sandbox_line, caller="+1512555014")

    call = Call.objects.get()
    assert (call.from_number, call.decision_reason, call.contact) == ("+1512555014", decide.INVALID_NUMBER, None)


def test_a_staff_phone_calling_the_line_is_not_texted(simulator, alpha_sandbox_line):
    place(simulator, alpha_sandbox_line, caller=ALPHA_CELL)

    assert Call.objects.get().decision_reason == decide.OWN_NUMBER


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"scenario": "voicemail"}, "scenario"),
        ({"scenario": ""}, "scenario"),
        ({"voicemail_seconds": 999}, "voicemail_seconds"),
        ({"voicemail_seconds": -1}, "voicemail_seconds"),
        ({"voicemail_seconds": "ten"}, "voicemail_seconds"),
        ({"caller": ""}, "caller"),
        ({"caller": "5" * 41}, "caller"),
        ({"line": 999999}, "line"),
    ],
)
def test_a_bad_call_form_is_a_bad_request_with_errors_and_no_call(simulator, alpha_sandbox_line, changes, field):
    data = {"line": alpha_sandbox_line.pk, "caller": CALLER, "scenario": "no_answer", "voicemail_seconds": 0, **changes}

    response = simulator.post("/sandbox/alpha/call", data)

    assert response.status_code == 400
    assert field in response.context["call_form"].errors
    assert 'class="errorlist' in response.content.decode() or field == "line"
    assert Call.objects.count() == 0 and Message.objects.count() == 0


def test_a_twilio_line_cannot_be_used_from_the_simulator(simulator, alpha_line):
    response = place(simulator, alpha_line)

    assert response.status_code == 400
    assert Call.objects.count() == 0


def test_the_simulator_without_sandbox_lines_says_how_to_add_one(client, charlie):
    client.force_login(charlie)

    content = client.get("/sandbox/beta/").content.decode()

    assert "no sandbox lines" in content


# --- texting from the handset ----------------------------------------------------------------


def conversation() -> Conversation:
    return Conversation.objects.get()


def test_a_reply_from_the_handset_lands_in_the_conversation(simulator, alpha_sandbox_line):
    place(simulator, alpha_sandbox_line)

    response = text(simulator, alpha_sandbox_line, "Hi, my sink is clogged")

    assert response.status_code == 302
    inbound = Message.objects.get(direction=Message.IN)
    assert (inbound.body, inbound.contact.number, inbound.conversation, inbound.status) == (
        "Hi, my sink is clogged",
        CALLER,
        conversation(),
        "received",
    )
    assert ConsentEvent.objects.count() == 0
    carried = SandboxMessage.objects.get(direction=SandboxMessage.FROM_HANDSET)
    assert (carried.from_number, carried.to_number, carried.body) == (
        CALLER,
        alpha_sandbox_line.number,
        "Hi, my sink is clogged",
    )


def test_a_reply_before_the_text_back_is_sent_cancels_it(simulator, alpha_sandbox_line):
    place(simulator, alpha_sandbox_line)

    text(simulator, alpha_sandbox_line, "never mind, fixed it")

    assert textbacks()[0].status == "canceled"


def test_stop_from_the_handset_opts_out_and_is_confirmed(simulator, alpha, alpha_sandbox_line):
    place(simulator, alpha_sandbox_line)

    text(simulator, alpha_sandbox_line, "STOP")

    [event] = ConsentEvent.objects.all()
    assert (event.business, event.number, event.kind, event.keyword, event.line) == (
        alpha,
        CALLER,
        ConsentEvent.OPT_OUT,
        "STOP",
        alpha_sandbox_line,
    )
    assert event.message.body == "STOP" and event.message.conversation == conversation()
    assert textbacks()[0].status == "canceled"
    [confirmation] = Message.objects.filter(purpose=Message.OPT_OUT_CONFIRMATION)
    assert "unsubscribed" in confirmation.body


def test_a_caller_who_texted_stop_is_not_texted_after_the_next_call(simulator, alpha_sandbox_line):
    text(simulator, alpha_sandbox_line, "STOP")

    place(simulator, alpha_sandbox_line)

    assert Call.objects.get().decision_reason == decide.OPTED_OUT


def test_start_from_the_handset_opts_back_in(simulator, alpha_sandbox_line):
    text(simulator, alpha_sandbox_line, "STOP")

    text(simulator, alpha_sandbox_line, "START")

    kinds = list(ConsentEvent.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds == [ConsentEvent.OPT_OUT, ConsentEvent.OPT_IN]
    assert Message.objects.filter(purpose=Message.OPT_IN_CONFIRMATION).count() == 1
    place(simulator, alpha_sandbox_line)
    assert Call.objects.get().decision == Call.TEXT


def test_help_from_the_handset_is_answered_and_recorded(simulator, alpha_sandbox_line):
    text(simulator, alpha_sandbox_line, "HELP")

    [event] = ConsentEvent.objects.all()
    assert (event.kind, event.keyword) == (ConsentEvent.HELP, "HELP")
    [answer] = Message.objects.filter(purpose=Message.HELP)
    assert "call (512) 555-0100" in answer.body


def test_the_consent_ledger_page_shows_what_the_handset_sent(simulator, alpha_sandbox_line):
    for word in ("STOP", "START", "HELP"):
        text(simulator, alpha_sandbox_line, word)

    content = simulator.get("/b/alpha/consent").content.decode()

    assert "Opted out" in content and "Opted back in" in content and "Asked for help" in content


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"body": ""}, "body"),
        ({"body": "   "}, "body"),
        ({"handset": "12345"}, "handset"),
        ({"body": "x" * 1601}, "body"),
    ],
)
def test_a_bad_text_form_is_a_bad_request_and_nothing_is_sent(simulator, alpha_sandbox_line, changes, field):
    data = {"line": alpha_sandbox_line.pk, "handset": CALLER, "body": "hello", **changes}

    response = simulator.post("/sandbox/alpha/text", data)

    assert response.status_code == 400
    assert field in response.context["text_form"].errors
    assert Message.objects.count() == 0 and SandboxMessage.objects.count() == 0


# --- the handset's screen --------------------------------------------------------------------


def test_the_handset_shows_texts_to_and_from_that_number_only(simulator, alpha_sandbox_line):
    carrier.text_from_handset(alpha_sandbox_line, CALLER, "from our caller")
    carrier.text_from_handset(alpha_sandbox_line, "+15125550148", "from someone else")
    SandboxMessage.objects.create(
        account=alpha_sandbox_line.account,
        sid="SMto-caller",
        direction=SandboxMessage.TO_HANDSET,
        from_number=alpha_sandbox_line.number,
        to_number=CALLER,
        body="to our caller",
        status="delivered",
        created_at=SandboxMessage.objects.first().created_at,
    )

    content = simulator.get("/sandbox/alpha/handset", {"handset": CALLER}).content.decode()

    assert "from our caller" in content and "to our caller" in content
    assert "from someone else" not in content


def test_the_handset_never_shows_another_business_texts(simulator, alpha_sandbox_line, beta):
    beta_account = ProviderAccount.objects.create(business=beta, provider=SANDBOX)
    beta_line = Line.objects.create(
        business=beta, account=beta_account, number="+12145550111", forward_to=["+12145550199"]
    )
    carrier.text_from_handset(beta_line, CALLER, "a text to beta")
    carrier.place_call(carrier.SimulatedCall(line=beta_line, caller=CALLER, scenario="busy"))

    content = simulator.get("/sandbox/alpha/handset", {"handset": CALLER}).content.decode()

    assert "a text to beta" not in content
    assert "No texts yet" in content
    assert "data-decision" not in content  # beta's call is not among our recent calls


def test_the_handset_lists_recent_calls_and_their_decision(simulator, alpha_sandbox_line):
    place(simulator, alpha_sandbox_line, "answered")

    content = simulator.get("/sandbox/alpha/handset", {"handset": CALLER}).content.decode()

    assert 'data-decision="skip"' in content
    assert "Answered" in content and "does not text for this call outcome" in content


def test_after_placing_a_call_the_simulator_shows_the_callers_handset(simulator, alpha_sandbox_line):
    response = place(simulator, alpha_sandbox_line, "busy")

    handset = parse_qs(urlsplit(response["Location"]).query)["handset"]
    assert handset == [CALLER]


def test_after_texting_the_handset_shows_the_text(simulator, alpha_sandbox_line):
    response = text(simulator, alpha_sandbox_line, "is anyone there?", follow=True)

    assert response.status_code == 200
    content = response.content.decode()
    assert f"Handset {CALLER}" in content
    assert "is anyone there?" in content.split('id="screen"')[1]
