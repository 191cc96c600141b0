"""Hostile bodies, unsigned and correctly signed, to every webhook: never a 5xx, never a half-written row.

Each example runs in a savepoint of the test's transaction that is rolled back afterwards, so every
example meets the same world and `transaction=True` (a flush of every table per test) is not needed.
The default suite posts a small sample; `make fuzz` (`pytest -m slow`) posts more than 10,000 bodies
per database and prints how many it sent.
"""

import pytest
from django.db import connection, transaction
from django.http import HttpResponse
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from textback.calls.models import Call
from textback.conftest import ALPHA_CELL, ALPHA_NUMBER, ALPHA_SID, BETA_NUMBER, BETA_SID, CALLER
from textback.messaging.models import MessageStatus
from textback.outbox.models import OutboxItem
from textback.providers.models import Line
from textback.providers.tests import fuzz
from textback.providers.twilio.tests.helpers import fixture

pytestmark = pytest.mark.django_db

CALL_SID = fixture("voice_incoming")["CallSid"]
SAMPLE_EXAMPLES = 12  # per hook: the default suite
SLOW_EXAMPLES = 700  # per hook, two bodies each: 8 hooks x 700 x 2 = 11,200 bodies per database


@pytest.fixture
def world(alpha, alpha_line, alpha_sandbox_line, beta_line, queue):
    """The cast, plus an alpha line in each other call mode and a text the sms-status fixtures report on."""
    for number, mode in [
        (fuzz.ALPHA_CARRIER_NUMBER, Line.CARRIER_FORWARD),
        (fuzz.ALPHA_STATUS_NUMBER, Line.STATUS_ONLY),
    ]:
        Line.objects.create(
            business=alpha, account=alpha_line.account, number=number, call_mode=mode, forward_to=[ALPHA_CELL]
        )
    sent = queue(alpha_line)
    type(sent).objects.filter(pk=sent.pk).update(provider_message_id=fuzz.SENT_SID, status=MessageStatus.SENT)
    OutboxItem.objects.filter(message=sent).update(status=OutboxItem.DONE)


@pytest.fixture
def anyone():
    """A client that answers a crash with the 500 a real server sends, keeping the exception to report."""
    return Client(raise_request_exception=False)


def send_both_ways(hook: str, prelude, post, signer: str | None) -> None:
    """Post the case unsigned, then signed as `signer` does, each in a savepoint rolled back afterwards."""
    for signed in (False, True):
        with transaction.atomic():
            prelude()
            before = fuzz.snapshot()
            response = post(signed)
            failures = fuzz.judge(response, before, signer if signed else None)
            transaction.set_rollback(True)
        fuzz.POSTED[(connection.vendor, hook, signed, response.status_code // 100)] += 1
        assert not failures, f"{'signed' if signed else 'unsigned'}: {failures}"


def fuzz_settings(examples: int):
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def twilio_test(examples: int):
    @pytest.mark.parametrize("endpoint", fuzz.TWILIO_ENDPOINTS)
    @fuzz_settings(examples)
    @given(data=st.data())
    def test(endpoint, world, anyone, data):
        case = data.draw(fuzz.form_cases(endpoint), label="case")
        send_both_ways(
            endpoint,
            lambda: fuzz.post_prelude(anyone, case),
            lambda signed: fuzz.post_form(anyone, case, signed=signed),
            case.signer,
        )

    return test


def generic_test(examples: int):
    @fuzz_settings(examples)
    @given(case=fuzz.json_cases())
    def test(world, anyone, case):
        send_both_ways(
            "generic",
            lambda: fuzz.post_json_prelude(anyone, case),
            lambda signed: fuzz.post_json_case(anyone, case, signed=signed),
            case.signer,
        )

    return test


test_no_twilio_hook_answers_a_hostile_form_with_a_5xx_or_a_half_written_row = twilio_test(SAMPLE_EXAMPLES)
test_the_generic_hook_answers_no_hostile_report_with_a_5xx_or_a_half_written_row = generic_test(SAMPLE_EXAMPLES)
test_thousands_of_hostile_forms_get_no_5xx_and_leave_no_half_written_row = pytest.mark.slow(twilio_test(SLOW_EXAMPLES))
test_thousands_of_hostile_reports_get_no_5xx_and_leave_no_half_written_row = pytest.mark.slow(
    generic_test(SLOW_EXAMPLES)
)


# --- the checks themselves: each catches what it is for ----------------------------------------


def test_the_checks_catch_an_outbound_text_without_its_outbox_row(world):
    assert fuzz.problems(fuzz.snapshot()) == []

    OutboxItem.objects.all().delete()

    assert any("has 0 outbox rows" in problem for problem in fuzz.problems(fuzz.snapshot()))


def test_the_checks_catch_a_call_on_a_line_of_another_business(world, beta, anyone):
    fuzz.post_form(anyone, fuzz.plain_form("voice", fixture("voice_incoming")), signed=True)
    Call.objects.update(business=beta)

    assert f"call {Call.objects.get().pk} is on a line of another business" in fuzz.problems(fuzz.snapshot())


def test_the_checks_catch_text_that_sqlite_keeps_and_postgresql_refuses():
    tables = {"calls_call": (["id", "from_number", "caller_name"], [(7, "+1" * 30, "Dana\x00")])}

    assert fuzz.problems(tables) == [
        "Call 7 from_number: 60 > 40 characters",
        "Call 7 caller_name holds a NUL character",
    ]


def test_a_refusal_that_changed_a_row_is_a_failure(world):
    before = fuzz.snapshot()
    Line.objects.update(staff_name="Eve")

    assert fuzz.judge(HttpResponse("no\n", status=400), before, "alpha") == ["400 but providers_line changed"]


def test_a_refusal_without_a_reason_is_a_failure(world):
    assert fuzz.judge(HttpResponse(status=403), fuzz.snapshot(), None) == ["403 without a reason"]


# --- what the fuzz found below the input layer, fixed with the handlers' rewrite ------------------


def test_an_incoming_text_whose_sid_is_that_of_a_text_we_sent_is_not_a_500(world, anyone):
    fields = {"AccountSid": ALPHA_SID, "To": ALPHA_NUMBER, "From": CALLER, "MessageSid": fuzz.SENT_SID}

    response = fuzz.post_form(anyone, fuzz.plain_form("sms", fields), signed=True)

    assert response.status_code < 500, response.exc_info


def test_a_status_signed_by_another_business_account_does_not_change_our_call(world, anyone):
    fuzz.post_form(anyone, fuzz.plain_form("voice", fixture("voice_incoming")), signed=True)
    report = {"AccountSid": BETA_SID, "To": BETA_NUMBER, "CallSid": CALL_SID, "CallStatus": "no-answer"}

    response = fuzz.post_form(anyone, fuzz.plain_form("call-status", report), signed=True)

    assert response.status_code == 204
    assert Call.objects.get().state == Call.RINGING
