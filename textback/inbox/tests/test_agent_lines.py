"""An agent who serves some lines sees those lines and what a manager assigned to them, on every page.

bob is an agent serving AlphaPlumbing's Twilio line only. The caller here called and texted the sandbox line,
and opted out there. Until a manager assigns that conversation to bob, every page that would show it, its call
(with the voicemail and provider events), its picture, the contact or the consent entry is 404 or leaves it
out; once assigned, each page shows it (accounts/access.py has the one rule).
"""

import pytest
from django.db import transaction

from textback.accounts.models import Membership
from textback.calls.models import Call
from textback.messaging.conversations import do_assign
from textback.providers.models import Line
from textback.testing import a_missed_call, an_inbound_text, every_object, page_text

pytestmark = pytest.mark.django_db

OTHER_CALLER = "+15125550166"
SHOWN = "(512) 555-0166"  # how the pages write OTHER_CALLER


@pytest.fixture
def bob_serves_the_twilio_line(bob, alpha_line):
    Membership.objects.get(user=bob).lines.set([alpha_line])
    return bob


@pytest.fixture
def on_the_other_line(alpha_sandbox_line, alice, mary):
    """A call, its conversation with a picture, the contact and an opt-out, all on the sandbox line."""
    objects = every_object(alpha_sandbox_line, owner=alice, colleague=mary, caller=OTHER_CALLER)
    an_inbound_text(alpha_sandbox_line, "STOP", caller=OTHER_CALLER)
    return objects


def assign_to(conversation, user, by) -> None:
    with transaction.atomic():
        do_assign(conversation, by, user)


PAGES_OF_ONE_OBJECT = ["call", "call-recording", "message-media", "conversation", "conversation-live", "contact"]


@pytest.mark.parametrize("route", PAGES_OF_ONE_OBJECT)
def test_an_agent_gets_404_for_another_lines_object(route, as_bob, bob_serves_the_twilio_line, on_the_other_line):
    assert as_bob.get(on_the_other_line.url(route)).status_code == 404


@pytest.mark.parametrize("route", PAGES_OF_ONE_OBJECT)
def test_an_agent_opens_what_a_manager_assigned_on_another_line(
    route, as_bob, bob, mary, bob_serves_the_twilio_line, on_the_other_line
):
    assign_to(on_the_other_line.conversation, bob, by=mary)

    assert as_bob.get(on_the_other_line.url(route)).status_code == 200


def test_the_voicemail_of_an_assigned_conversation_plays(
    as_bob, bob, mary, bob_serves_the_twilio_line, on_the_other_line
):
    assign_to(on_the_other_line.conversation, bob, by=mary)

    response = as_bob.get(on_the_other_line.url("call-recording"))

    assert response["Content-Type"] == "audio/wav"


@pytest.mark.parametrize("route", ["calls", "contacts", "consent", "business"])
def test_lists_leave_out_another_lines_caller_until_assigned(
    route, as_bob, bob, mary, bob_serves_the_twilio_line, on_the_other_line
):
    url = on_the_other_line.url(route) + ("?show=all" if route == "business" else "")
    assert SHOWN not in page_text(as_bob.get(url))

    assign_to(on_the_other_line.conversation, bob, by=mary)

    assert SHOWN in page_text(as_bob.get(url))


def test_the_contact_page_shows_only_the_handed_over_part_of_the_history(
    as_bob, bob, mary, alpha, bob_serves_the_twilio_line, on_the_other_line
):
    third = Line.objects.create(
        business=alpha, account=on_the_other_line.line.account, number="+17375550111", label="Round Rock"
    )
    elsewhere = a_missed_call(third, caller=OTHER_CALLER)
    assign_to(on_the_other_line.conversation, bob, by=mary)

    page = page_text(as_bob.get(on_the_other_line.url("contact")))

    assert "Round Rock" not in page
    assert as_bob.get(f"/b/alpha/calls/{elsewhere.pk}").status_code == 404


def test_a_call_on_a_third_line_is_not_part_of_the_hand_over(
    as_bob, bob, mary, alpha, bob_serves_the_twilio_line, on_the_other_line
):
    """A conversation is one line and one caller: the same caller's call to a line bob does not serve, whose
    conversation nobody gave him, stays hidden even though another of the caller's conversations is his."""
    third = Line.objects.create(business=alpha, account=on_the_other_line.line.account, number="+17375550111")
    elsewhere = a_missed_call(third, caller=OTHER_CALLER)
    assign_to(on_the_other_line.conversation, bob, by=mary)

    assert as_bob.get(f"/b/alpha/calls/{elsewhere.pk}").status_code == 404
    assert as_bob.get(f"/b/alpha/calls/{on_the_other_line.call.pk}").status_code == 200
    assert Call.objects.filter(contact=on_the_other_line.contact).count() == 2


def test_unassigning_hides_it_again(as_bob, bob, mary, bob_serves_the_twilio_line, on_the_other_line):
    assign_to(on_the_other_line.conversation, bob, by=mary)
    assign_to(on_the_other_line.conversation, None, by=mary)

    assert as_bob.get(on_the_other_line.url("call")).status_code == 404


@pytest.mark.parametrize("route", [*PAGES_OF_ONE_OBJECT, "calls", "contacts", "consent"])
def test_a_manager_sees_every_line(route, as_mary, on_the_other_line):
    response = as_mary.get(on_the_other_line.url(route))

    assert response.status_code == 200
