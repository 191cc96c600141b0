"""Numbers that are never texted, through a real missed call: each is recorded with its reason."""

import pytest

from textback.calls import decide
from textback.calls.models import Call
from textback.messaging.models import Message
from textback.testing import a_missed_call

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("caller", "reason"),
    [
        ("+18005550123", decide.TOLL_FREE_NUMBER),
        ("+18885551234", decide.TOLL_FREE_NUMBER),
        ("22395", decide.SHORT_NUMBER),
        ("+1512555", decide.SHORT_NUMBER),
        ("+19005550123", decide.PREMIUM_NUMBER),
        ("+442079460123", decide.COUNTRY_NOT_ALLOWED),
    ],
)
def test_a_missed_call_from_a_number_that_cannot_or_should_not_be_texted_is_skipped_with_its_reason(
    alpha_line, caller, reason
):
    call = a_missed_call(alpha_line, caller)

    assert (call.decision, call.decision_reason) == (Call.SKIP, reason)
    assert not Message.objects.exists()


def test_a_short_code_makes_no_contact(alpha_line):
    assert a_missed_call(alpha_line, "22395").contact is None


def test_the_call_page_explains_a_toll_free_skip(alpha_line, as_alice):
    call = a_missed_call(alpha_line, "+18005550123")

    page = as_alice.get(f"/b/alpha/calls/{call.pk}").content.decode()

    assert "toll-free number" in page
