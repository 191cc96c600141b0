"""The on-call settings page: everyone reads it, managers and owners change it; the Acknowledge button."""

import re
from datetime import time

import pytest

from textback.accounts.models import Membership
from textback.rules import paging, routes
from textback.rules.models import OnCallPerson, OnCallSlot, Page
from textback.testing import a_staff_phone, an_inbound_text, flashed, page_text, signed_in

pytestmark = pytest.mark.django_db
URL = "/b/alpha/settings/on-call"


def member(user) -> Membership:
    return Membership.objects.get(user=user)


def test_an_agent_reads_the_schedule_but_cannot_change_it(client, bob, alice):
    signed_in(client, bob)
    page = page_text(client.get(URL))
    assert "On call and emergencies" in page and "managers and owners change it" in page
    assert 'value="add_slot"' not in page and "Save routes" not in page
    assert re.search(r'<textarea name="page_words"[^>]*\bdisabled\b', page)
    response = client.post(URL, {"do": "add_person", "person": member(bob).pk})
    assert response.status_code == 403 and not OnCallPerson.objects.exists()


def test_a_manager_adds_a_weeknight_slot_for_each_day_ticked(client, mary, bob):
    signed_in(client, mary)
    data = {"do": "add_slot", "person": member(bob).pk, "days": [0, 1, 2, 3, 4], "starts": "17:00", "ends": "08:00"}
    response = client.post(URL, data, follow=True)
    assert flashed(response) == "bob is on call in 5 more slots."
    assert sorted(OnCallSlot.objects.values_list("weekday", flat=True)) == [0, 1, 2, 3, 4]
    assert "17:00 – 08:00 (next day)" in page_text(response)


def test_a_slot_needs_a_day_and_a_member_of_this_business(client, mary, charlie):
    signed_in(client, mary)
    response = client.post(URL, {"do": "add_slot", "person": Membership.objects.get(user=charlie).pk,
                                 "starts": "17:00", "ends": "08:00"})  # fmt: skip
    assert response.status_code == 400
    assert "Tick at least one day." in page_text(response)
    assert not OnCallSlot.objects.exists()


def test_the_on_call_order_can_be_built_reordered_and_trimmed(client, alice, mary, bob):
    signed_in(client, alice)
    for user in (mary, bob):
        client.post(URL, {"do": "add_person", "person": member(user).pk})
    client.post(URL, {"do": "up", "id": member(bob).pk})
    assert list(OnCallPerson.objects.values_list("membership__user__username", flat=True)) == [
        "bob@alpha.example",
        "mary@alpha.example",
    ]
    client.post(URL, {"do": "remove_person", "id": member(bob).pk})
    assert list(OnCallPerson.objects.values_list("membership_id", flat=True)) == [member(mary).pk]


def test_the_routes_are_saved_with_their_words_and_the_escalation_minutes(client, alice, alpha):
    signed_in(client, alice)
    data = {"do": "routes", "page_active": "on", "page_words": "Emergency\nno cooling", "book_words": "book",
            "escalate_minutes": "2"}  # fmt: skip
    assert client.post(URL, data).status_code == 302
    page, book = routes.routes_of(alpha)
    assert (page.words, page.active, book.active) == (("emergency", "no cooling"), True, False)
    assert paging.escalate_minutes(alpha) == 2


def test_a_carrier_keyword_cannot_be_a_route_word(client, alice, alpha):
    signed_in(client, alice)
    data = {"do": "routes", "page_active": "on", "page_words": "emergency\nstop", "book_words": "book",
            "escalate_minutes": "5"}  # fmt: skip
    response = client.post(URL, data)
    assert response.status_code == 400 and "is a carrier keyword" in page_text(response)
    assert routes.routes_of(alpha)[0].words[0] == "emergency" and "stop" not in routes.routes_of(alpha)[0].words


@pytest.mark.parametrize("minutes", ["0", "121", "five", ""])
def test_escalation_minutes_out_of_range_are_refused_next_to_the_field(client, alice, minutes):
    signed_in(client, alice)
    data = {"do": "routes", "page_words": "emergency", "book_words": "book", "escalate_minutes": minutes}
    response = client.post(URL, data)
    assert response.status_code == 400 and "Give whole minutes from 1 to 120." in page_text(response)


def test_an_unknown_form_or_id_changes_nothing(client, alice):
    signed_in(client, alice)
    assert client.post(URL, {"do": "launch"}).status_code == 400
    assert client.post(URL, {"do": "remove_slot", "id": "999"}).status_code == 404
    assert client.post(URL, {"do": "remove_slot", "id": "x"}).status_code == 404


def test_the_page_shows_who_would_be_paged_now(client, alice, bob, alpha):
    for day in range(7):
        OnCallSlot.objects.create(business=alpha, membership=member(bob), weekday=day, starts=time(0), ends=time(0))
    signed_in(client, alice)
    page = page_text(client.get(URL))
    now_on = page.split('id="now-on-call"')[1].split("</section>")[0]
    assert now_on.index("bob") < now_on.index("alice")


def test_the_acknowledge_button_takes_the_emergency(client, alice, bob, alpha_line):
    a_staff_phone(bob, "+15125550181")
    an_inbound_text(alpha_line, "EMERGENCY")
    conversation = Page.objects.get().conversation
    signed_in(client, bob)
    url = f"/b/alpha/conversations/{conversation.pk}"
    assert "not acknowledged yet" in page_text(client.get(url)) and "Acknowledge</button>" in page_text(client.get(url))
    response = client.post(f"{url}/acknowledge", follow=True)
    assert flashed(response) == "Acknowledged: the emergency is yours."
    assert Page.objects.get().acked_by == member(bob)
    assert "bob acknowledged in the app" in page_text(response)
    assert "Acknowledge</button>" not in page_text(response)


@pytest.mark.cross_tenant("settings-on-call")
def test_another_business_on_call_page_is_not_there(client, charlie, alice):
    signed_in(client, charlie)
    assert client.get(URL).status_code == 404
    assert client.post(URL, {"do": "add_person", "person": member(alice).pk}).status_code == 404
    assert not OnCallPerson.objects.exists()


@pytest.mark.cross_tenant("conversation-acknowledge")
def test_another_business_cannot_acknowledge_a_page(client, charlie, alice, alpha_line):
    an_inbound_text(alpha_line, "EMERGENCY")
    conversation = Page.objects.get().conversation
    signed_in(client, charlie)
    assert client.post(f"/b/alpha/conversations/{conversation.pk}/acknowledge").status_code == 404
    assert client.post(f"/b/beta/conversations/{conversation.pk}/acknowledge").status_code == 404
    assert Page.objects.get().status == Page.OPEN
