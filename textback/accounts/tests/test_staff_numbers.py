"""One rule for "the business's own number", on calls and on texts: a member's phone (verified or not), a phone
any line rings, any line's own number. A call from one gets no text-back and alerts nobody; a text from one
never becomes a customer's conversation."""

import pytest

from textback.accounts.staff_numbers import StaffNumber, is_staff_number, staff_number
from textback.alerts.models import Alert, StaffText
from textback.messaging.models import Contact, Conversation, Message
from textback.testing import CALLER, a_missed_call, a_staff_phone, an_inbound_text

pytestmark = pytest.mark.django_db

BOB_PHONE = "+15125550181"
SANDBOX_RINGS = "+15125550166"  # a phone only the sandbox line rings


@pytest.fixture
def business(alpha, alpha_line, alpha_sandbox_line, bob, mary):
    """alpha_line (+15125550100) rings Mike's cell; the sandbox line (+17375550100) rings SANDBOX_RINGS. Bob's
    phone is verified, and everyone wants every alert by email."""
    alpha_sandbox_line.forward_to = [SANDBOX_RINGS]
    alpha_sandbox_line.save()
    a_staff_phone(bob, BOB_PHONE, alert_on_missed_call=True)
    a_staff_phone(mary, "+15125550182", verified=False, alert_on_missed_call=True)
    return alpha


OWN_NUMBERS = {
    "a member's verified phone": BOB_PHONE,
    "a member's unverified phone": "+15125550182",
    "the other line's ring-list phone": SANDBOX_RINGS,
    "the other line's own number": "+17375550100",
}


@pytest.mark.parametrize("number", OWN_NUMBERS.values(), ids=OWN_NUMBERS.keys())
def test_a_call_from_one_of_the_business_numbers_gets_no_text_back_and_alerts_nobody(business, alpha_line, number):
    call = a_missed_call(alpha_line, caller=number)

    assert (call.decision, call.decision_reason) == ("skip", "own_number")
    assert not Message.objects.exists() and not Alert.objects.exists()


@pytest.mark.parametrize("number", OWN_NUMBERS.values(), ids=OWN_NUMBERS.keys())
def test_a_text_from_one_of_the_business_numbers_is_no_customers(business, alpha_line, number):
    an_inbound_text(alpha_line, "are you coming?", caller=number)

    assert not Contact.objects.exists() and not Conversation.objects.exists() and not Message.objects.exists()
    assert not Alert.objects.exclude(event=Alert.RELAY).exists()  # no alert, no SLA clock
    assert StaffText.objects.get().from_number == number


def test_a_customer_is_texted_back_and_their_text_alerts_the_staff(business, alpha_line):
    call = a_missed_call(alpha_line, caller=CALLER)
    an_inbound_text(alpha_line, "are you coming?")

    assert call.decision == "text"
    assert Conversation.objects.get().awaiting_since is not None
    assert Alert.objects.filter(event=Alert.REPLY).exists() and not StaffText.objects.exists()


def test_the_rule_says_why_in_one_query(business, alpha, django_assert_num_queries):
    with django_assert_num_queries(1):
        found = staff_number(alpha.pk, BOB_PHONE)

    assert found.member_id is not None and found.verified and not (found.line or found.ring_list)
    assert staff_number(alpha.pk, "+15125550182").verified is False
    assert staff_number(alpha.pk, SANDBOX_RINGS) == StaffNumber(line=False, ring_list=True, member_id=None,
                                                                verified=False)  # fmt: skip
    assert staff_number(alpha.pk, "+17375550100").line
    assert staff_number(alpha.pk, CALLER) is None and not is_staff_number(alpha.pk, CALLER)


def test_another_businesses_numbers_are_customers_here(business, alpha, beta_line, charlie):
    a_staff_phone(charlie, "+12145550188")

    assert not is_staff_number(alpha.pk, "+12145550188")
    assert not is_staff_number(alpha.pk, beta_line.number)
    assert not is_staff_number(alpha.pk, beta_line.forward_to[0])
