"""Emergency paging through real HTTP: a caller's signed Twilio SMS "EMERGENCY water everywhere" pages the person
on call (a text from the business line to their phone, at the local Twilio API stand-in) and tells the caller a
person has been paged; the on-call phone's "ACK" webhook acknowledges it. Without an ACK, the escalation pages the
next person in the on-call order.

The escalation delay is the business setting at its smallest, 1 minute (`textback business set
--escalate-page-minutes 1`); the test does not wait that minute: it moves the escalation's outbox row's due time
to the past in the database, as the passing of time would, and wakes the worker (a separate `textback worker`
process: on SQLite it sees the commit through PRAGMA data_version, on PostgreSQL through the NOTIFY we send).
Everything else is the product as deployed: web, worker, database and the stub, all over HTTP.
"""

import uuid

import httpx
import pytest

from tests.e2e.conftest import TWILIO_LINE, _system
from tests.support.harness import wait_until
from textback.conftest import ALPHA_TOKEN
from textback.providers.twilio.tests.helpers import fixture, signed

pytestmark = pytest.mark.e2e

MIKE_PHONE, JANE_PHONE = "+15125550177", "+15125550178"


@pytest.fixture(scope="module")
def on_call(seeded_template, tmp_path_factory, twilio_stub):
    """Mike on call every day, then Jane in the on-call order, then Olga the owner; every phone verified by
    the operator; the next person paged after 1 minute without an ACK. All set up through the CLI."""
    system = _system(seeded_template, tmp_path_factory, twilio_stub, "oncall")
    for name, role, number in (("mike", "agent", MIKE_PHONE), ("jane", "agent", JANE_PHONE), ("olga", "owner", "")):
        system.cli("user", "add", "--business", "alpha", "--email", f"{name}@alpha.example", "--name", name.title(),
                   "--role", role, "--password-stdin", stdin="correct horse battery staple\n")  # fmt: skip
        if number:
            system.cli("user", "phone", "--business", "alpha", "--email", f"{name}@alpha.example", "--phone", number,
                       "--verified")  # fmt: skip
    system.cli("oncall", "add-slot", "alpha", "--email", "mike@alpha.example", "--days", "all", "--from", "00:00",
               "--until", "00:00")  # fmt: skip
    system.cli("oncall", "order", "alpha", "--emails", "mike@alpha.example,jane@alpha.example")
    system.cli("business", "set", "alpha", "--escalate-page-minutes", "1")
    system.start_web(with_worker=False)
    system.start_worker()
    yield system
    system.stop()
    system.database.drop()


def a_caller() -> str:
    return f"+1512{200 + uuid.uuid4().int % 800:03d}{uuid.uuid4().int % 10000:04d}"


def text_the_line(system, from_number: str, body: str) -> None:
    fields = fixture("sms_incoming", From=from_number, To=TWILIO_LINE, MessageSid="SM" + uuid.uuid4().hex, Body=body)
    url, content, headers = signed(system.url, "sms", fields, ALPHA_TOKEN)
    assert httpx.post(url, content=content, headers=headers, timeout=10).status_code == 200


def texts_to(stub, number: str, containing: str) -> list:
    return [r for r in stub.sent(to=number) if containing in r.form["Body"]]


def page_state(system, caller: str) -> list[tuple]:
    return system.database.query(
        "SELECT p.status, u.username FROM rules_page p JOIN messaging_conversation c ON c.id = p.conversation_id "
        "JOIN messaging_contact k ON k.id = c.contact_id LEFT JOIN accounts_membership m ON m.id = p.acked_by_id "
        "LEFT JOIN auth_user u ON u.id = m.user_id WHERE k.number = %s",
        (caller,),
    )


def test_an_emergency_pages_the_on_call_phone_and_an_ack_by_text_takes_it(on_call, twilio_stub):
    caller = a_caller()
    text_the_line(on_call, caller, "EMERGENCY water everywhere")

    (page,) = wait_until(lambda: texts_to(twilio_stub, MIKE_PHONE, "EMERGENCY from"), timeout=15)
    assert page.form["From"] == TWILIO_LINE
    assert '"EMERGENCY water everywhere"' in page.form["Body"] and "reply ACK #" in page.form["Body"]
    (told,) = wait_until(lambda: texts_to(twilio_stub, caller, "paged our on-call person"), timeout=15)
    assert told.form["From"] == TWILIO_LINE

    text_the_line(on_call, MIKE_PHONE, "ACK")

    wait_until(lambda: texts_to(twilio_stub, MIKE_PHONE, "Acknowledged:"), timeout=15)
    assert page_state(on_call, caller) == [("acked", "mike@alpha.example")]
    assert on_call.database.query(
        "SELECT status FROM outbox_outboxitem WHERE kind = 'oncall_escalate' AND idempotency_key LIKE %s",
        (f"oncall_escalate:{page_id(on_call, caller)}:%",),
    ) == [("canceled",)]
    assert texts_to(twilio_stub, JANE_PHONE, "EMERGENCY") == []
    assert on_call.database.query("SELECT COUNT(*) FROM messaging_contact WHERE number = %s", (MIKE_PHONE,)) == [(0,)]


def page_id(system, caller: str) -> int:
    ((pk,),) = system.database.query(
        "SELECT p.id FROM rules_page p JOIN messaging_conversation c ON c.id = p.conversation_id "
        "JOIN messaging_contact k ON k.id = c.contact_id WHERE k.number = %s",
        (caller,),
    )
    return pk


def test_without_an_ack_the_escalation_pages_the_next_person(on_call, twilio_stub):
    caller = a_caller()
    text_the_line(on_call, caller, "no heat and the pipes are frozen, urgent")
    wait_until(lambda: texts_to(twilio_stub, MIKE_PHONE, "no heat and the pipes"), timeout=15)
    assert texts_to(twilio_stub, JANE_PHONE, "no heat and the pipes") == []

    time_passes(on_call, page_id(on_call, caller))

    (page,) = wait_until(lambda: texts_to(twilio_stub, JANE_PHONE, "no heat and the pipes"), timeout=15)
    assert page.form["From"] == TWILIO_LINE
    rows = on_call.database.query(
        "SELECT body FROM messaging_conversationevent WHERE kind LIKE 'oncall_%%' AND conversation_id = "
        "(SELECT conversation_id FROM rules_page WHERE id = %s) ORDER BY id",
        (page_id(on_call, caller),),
    )
    assert [body for (body,) in rows] == [
        "Emergency (\u201cno heat\u201d): paged Mike",
        "No answer from Mike in 1 min: paged Jane",
    ]
    assert page_state(on_call, caller) == [("open", None)]


def time_passes(system, page: int) -> None:
    """The page's pending escalation falls due now (its row's due time moved into the past), and the worker hears."""
    system.database.execute(
        "UPDATE outbox_outboxitem SET due_at = created_at WHERE kind = 'oncall_escalate' AND status = 'pending' "
        "AND idempotency_key LIKE %s",
        (f"oncall_escalate:{page}:%",),
    )
    if system.database.is_postgres:
        system.database.execute("SELECT pg_notify('textback_outbox', '0')")
