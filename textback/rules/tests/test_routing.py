"""Repeat callers with an owner (their technician) route to that owner; replies stay with the line that was called."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from textback.accounts.models import Membership
from textback.alerts.models import Alert
from textback.inbox.timeline import describe
from textback.messaging.models import Contact, Conversation, ConversationEvent, Message
from textback.providers.models import Line
from textback.testing import CALLER, a_missed_call, a_staff_phone, an_inbound_text, page_text, signed_in

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
SECOND_NUMBER = "+15125550111"


@pytest.fixture
def owned_caller(alpha, bob):
    """The caller is bob's customer (bob is an agent: he asked for every missed call and every reply)."""
    bob.first_name = "Bobby"
    bob.save()
    Membership.objects.filter(user=bob).update(alert_on_missed_call=True, alert_on_reply=True)
    return Contact.objects.create(business=alpha, number=CALLER, owner=bob)


@pytest.fixture
def everyone_wants_missed_calls(alice, mary):
    Membership.objects.filter(user__in=[alice, mary]).update(alert_on_missed_call=True)


@pytest.fixture
def second_line(alpha, alpha_twilio):
    return Line.objects.create(
        business=alpha, account=alpha_twilio, number=SECOND_NUMBER, forward_to=["+15125550198"], staff_name="Sue",
        keyword_replies=Line.PROVIDER, label="North shop",
    )  # fmt: skip


def missed_call_alert_recipients() -> set[str]:
    return set(Alert.objects.filter(event=Alert.MISSED_CALL).values_list("to", flat=True))


def test_the_text_back_to_an_owned_caller_is_signed_with_the_owners_first_name(alpha_line, owned_caller):
    call = a_missed_call(alpha_line)

    text = Message.objects.get(call=call)
    assert "Bobby" in text.body and "Mike" not in text.body


def test_the_text_back_to_a_caller_without_an_owner_is_signed_with_the_lines_staff_name(alpha_line):
    text = Message.objects.get(call=a_missed_call(alpha_line))

    assert "Mike" in text.body


def test_a_missed_call_from_an_owned_caller_alerts_the_owner_only(
    alpha_line, owned_caller, bob, alice, everyone_wants_missed_calls
):
    a_missed_call(alpha_line)

    assert missed_call_alert_recipients() == {bob.email}


def test_a_missed_call_from_a_caller_without_an_owner_alerts_the_lines_staff(
    alpha_line, alice, mary, everyone_wants_missed_calls
):
    a_missed_call(alpha_line)

    assert missed_call_alert_recipients() == {alice.email, mary.email}


def test_an_owner_who_left_the_business_no_longer_takes_their_callers(
    alpha_line, owned_caller, bob, alice, mary, everyone_wants_missed_calls
):
    Membership.objects.filter(user=bob).delete()

    call = a_missed_call(alpha_line)

    assert missed_call_alert_recipients() == {alice.email, mary.email}
    assert "Mike" in Message.objects.get(call=call).body
    assert Conversation.objects.get().assignee is None


def test_the_owned_callers_conversation_is_assigned_to_the_owner_with_a_timeline_event(alpha_line, owned_caller, bob):
    a_missed_call(alpha_line)

    conversation = Conversation.objects.get()
    assert conversation.assignee == bob
    [event] = ConversationEvent.objects.filter(conversation=conversation)
    assert describe(event) == "Assigned to Bobby, the caller's owner"


def test_an_owned_callers_reply_goes_to_the_owner(alpha_line, owned_caller, bob, alice):
    an_inbound_text(alpha_line, "Can you come today?")

    assert Conversation.objects.get().assignee == bob
    assert set(Alert.objects.filter(event=Alert.REPLY).values_list("to", flat=True)) == {bob.email}


def test_a_conversation_someone_assigned_stays_with_them(alpha_line, owned_caller, mary):
    first = a_missed_call(alpha_line)
    Conversation.objects.filter(contact=first.contact).update(assignee=mary)

    an_inbound_text(alpha_line, "Any news?")

    assert Conversation.objects.get().assignee == mary


def test_a_phone_alert_for_an_owned_caller_reaches_the_owners_phone(alpha_line, owned_caller, bob):
    a_staff_phone(bob, "+15125550177", alert_sms=True)

    a_missed_call(alpha_line)

    assert set(Alert.objects.filter(event=Alert.MISSED_CALL, channel=Alert.SMS).values_list("to", flat=True)) == {
        "+15125550177"
    }


# --- multi-location: each line keeps its own thread ----------------------------------------------


def test_a_caller_who_called_two_lines_has_two_conversations(alpha_line, second_line):
    with time_machine.travel(T0, tick=False):
        a_missed_call(alpha_line)
    with time_machine.travel(T0 + timedelta(days=2), tick=False):
        a_missed_call(second_line)

    threads = Conversation.objects.order_by("pk")
    assert [c.line for c in threads] == [alpha_line, second_line]
    assert ["Mike" in m.body for m in Message.objects.order_by("pk")] == [True, False]


def test_a_reply_goes_to_the_conversation_of_the_line_it_was_sent_to(alpha_line, second_line):
    with time_machine.travel(T0, tick=False):
        a_missed_call(alpha_line)
    with time_machine.travel(T0 + timedelta(days=2), tick=False):
        a_missed_call(second_line)
        reply = an_inbound_text(second_line, "Yes, the north shop please")
        first_reply = an_inbound_text(alpha_line, "And the downtown one too")

    assert reply.conversation.line == second_line
    assert first_reply.conversation.line == alpha_line
    assert Conversation.objects.get(line=second_line).last_inbound_at is not None


def test_the_owned_callers_conversation_is_in_the_owners_mine_filter_and_not_a_colleagues(
    client, alpha_line, owned_caller, bob, mary
):
    a_missed_call(alpha_line)

    assert "(512) 555-0147" in page_text(signed_in(client, bob).get("/b/alpha/?show=mine"))
    assert "(512) 555-0147" not in page_text(signed_in(client, mary).get("/b/alpha/?show=mine"))
