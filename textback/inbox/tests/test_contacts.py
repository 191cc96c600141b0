"""Contacts: finding a caller, their page across lines, editing them, and excluding their number."""

import pytest
from django.forms.models import model_to_dict

from textback.calls import outcomes
from textback.messaging.models import ConsentEvent, Contact, Conversation, ConversationEvent, ExcludedNumber, Message
from textback.testing import CALLER, a_missed_call, an_inbound_text, flashed, page_text, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def jane(alpha_line) -> Contact:
    """A caller who was texted back after a missed call on the Twilio line."""
    call = a_missed_call(alpha_line)
    Contact.objects.filter(pk=call.contact_id).update(name="Jane Doe")
    return Contact.objects.get(pk=call.contact_id)


def contact_row(contact) -> dict:
    return model_to_dict(Contact.objects.get(pk=contact.pk))


# --- the list --------------------------------------------------------------------------------------


def test_the_contacts_list_shows_the_business_contacts_only(client, bob, jane, beta_line):
    a_missed_call(beta_line, caller="+12145550147")

    page = page_text(signed_in(client, bob).get("/b/alpha/contacts/"))

    assert "Jane Doe" in page and "(512) 555-0147" in page
    assert "(214) 555-0147" not in page


@pytest.mark.parametrize("query", ["jane", "DOE", "(512) 555-0147", "512.555.0147", "555-0147", "+15125550147"])
def test_a_contact_is_found_by_name_or_by_a_number_typed_any_way(client, bob, jane, query):
    Contact.objects.create(business=jane.business, number="+15125550999", name="Someone Else")

    page = page_text(signed_in(client, bob).get("/b/alpha/contacts/", {"q": query}))

    assert "Jane Doe" in page
    assert "Someone Else" not in page


def test_a_search_that_matches_nobody_says_so(client, bob, jane):
    page = page_text(signed_in(client, bob).get("/b/alpha/contacts/", {"q": "<b>zed</b>"}))

    assert "No contact matches “&lt;b&gt;zed&lt;/b&gt;”." in page


def test_the_list_marks_opted_out_and_excluded_numbers(client, bob, jane, alpha_line):
    an_inbound_text(alpha_line, "STOP")
    ExcludedNumber.objects.create(business=jane.business, number=jane.number)

    page = page_text(signed_in(client, bob).get("/b/alpha/contacts/"))

    assert "opted out" in page and ">excluded<" in page


def test_the_list_pages_by_keyset_without_repeats_or_gaps(client, bob, alpha):
    made = [Contact.objects.create(business=alpha, number=f"+1512555{n:04d}", name=f"Caller {n}") for n in range(60)]
    as_bob = signed_in(client, bob)

    first = as_bob.get("/b/alpha/contacts/")
    first_names = [row["contact"].name for row in first.context["rows"]]
    second = as_bob.get("/b/alpha/contacts/", {"before": first.context["next_before"]})
    second_names = [row["contact"].name for row in second.context["rows"]]

    assert len(first_names) == 50 and len(second_names) == 10
    assert first_names + second_names == [c.name for c in reversed(made)]
    assert second.context["next_before"] is None
    assert f"before={made[10].pk}" in page_text(first)


def test_a_bad_page_marker_shows_the_first_page(client, bob, jane):
    response = signed_in(client, bob).get("/b/alpha/contacts/", {"before": "1; drop table"})

    assert response.status_code == 200 and "Jane Doe" in page_text(response)


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("q=%00", "“Search” contains a NUL character; type it again without it."),
        ("q=%ED%A0%80", "“Search” is not valid text"),
        ("before=%C2%B2", "That page link is broken; showing the newest contacts."),
    ],
)
def test_a_search_or_page_link_that_is_not_text_is_reported_once_and_ignored(client, bob, jane, query, says):
    response = signed_in(client, bob).get(f"/b/alpha/contacts/?{query}")

    assert response.status_code == 200
    assert page_text(response).count(says) == 1
    assert "(512) 555-0147" in page_text(response)  # the list as if nothing had been asked


def test_the_list_answers_in_a_fixed_number_of_queries(client, bob, alpha, django_assert_max_num_queries):
    for n in range(30):
        Contact.objects.create(business=alpha, number=f"+1512555{n:04d}")
    as_bob = signed_in(client, bob)

    with django_assert_max_num_queries(12):
        as_bob.get("/b/alpha/contacts/")


# --- the contact page ------------------------------------------------------------------------------


def test_the_contact_page_shows_history_across_lines_with_links(client, bob, jane, alpha_line, alpha_sandbox_line):
    sandbox_call = a_missed_call(alpha_sandbox_line)
    twilio_conversation = Message.objects.filter(line=alpha_line).first().conversation

    page = page_text(signed_in(client, bob).get(f"/b/alpha/contacts/{jane.pk}"))

    assert f'href="/b/alpha/calls/{sandbox_call.pk}"' in page
    assert f'href="/b/alpha/conversations/{twilio_conversation.pk}"' in page
    assert "(512) 555-0100" in page and "(737) 555-0100" in page
    assert "Never opted out." in page


def test_the_contact_page_shows_the_consent_state_from_the_ledger(client, bob, jane, alpha_line):
    as_bob = signed_in(client, bob)

    an_inbound_text(alpha_line, "STOP")
    assert "Opted out" in page_text(as_bob.get(f"/b/alpha/contacts/{jane.pk}"))

    an_inbound_text(alpha_line, "START")
    assert "Opted back in" in page_text(as_bob.get(f"/b/alpha/contacts/{jane.pk}"))


def test_the_contact_page_shows_landline_and_invalid_flags(client, bob, jane):
    Contact.objects.filter(pk=jane.pk).update(is_landline=True, is_invalid=True)

    page = page_text(signed_in(client, bob).get(f"/b/alpha/contacts/{jane.pk}"))

    assert "Landline" in page and "Not a working number" in page


def test_an_agent_edits_name_owner_and_tags(client, bob, mary, jane):
    response = signed_in(client, bob).post(
        f"/b/alpha/contacts/{jane.pk}",
        {"name": "  Jane   Smith ", "owner": mary.pk, "tags": " commercial , Warranty,, warranty ,repeat caller"},
        follow=True,
    )

    jane.refresh_from_db()
    assert (jane.name, jane.owner, jane.tags) == ("Jane Smith", mary, ["commercial", "Warranty", "repeat caller"])
    assert "Saved Jane Smith." in flashed(response)
    assert 'value="commercial, Warranty, repeat caller"' in page_text(response)


def test_the_name_feeds_first_name_in_the_next_text_back(client, bob, alpha_line):
    answered = a_missed_call(alpha_line, caller="+15125550177", outcome=outcomes.ANSWERED)
    signed_in(client, bob).post(f"/b/alpha/contacts/{answered.contact_id}", {"name": "Rosa Diaz", "tags": ""})

    missed = a_missed_call(alpha_line, caller="+15125550177")

    assert Message.objects.get(call=missed).body.startswith("Hi Rosa, it's AlphaPlumbing again, Mike here")


def test_a_new_name_shows_in_the_timeline_and_reaches_an_open_inbox_at_its_next_poll(client, bob, jane, alpha_line):
    an_inbound_text(alpha_line, "Still waiting on that quote")
    agent = signed_in(client, bob)
    etag = agent.get("/b/alpha/live")["ETag"]

    agent.post(f"/b/alpha/contacts/{jane.pk}", {"name": "Jane Rodriguez", "tags": ""})
    fresh = agent.get("/b/alpha/live", HTTP_IF_NONE_MATCH=etag)

    assert fresh.status_code == 200 and "Jane Rodriguez" in page_text(fresh)
    conversation = Conversation.objects.get(contact=jane)
    assert "bob named the caller Jane Rodriguez" in page_text(agent.get(f"/b/alpha/conversations/{conversation.pk}"))


def test_tags_alone_leave_the_timeline_as_it_was(client, bob, jane):
    signed_in(client, bob).post(f"/b/alpha/contacts/{jane.pk}", {"name": "Jane Doe", "tags": "commercial"})

    assert not ConversationEvent.objects.filter(kind=ConversationEvent.CONTACT_NAMED).exists()


def test_an_owner_can_be_cleared(client, bob, mary, jane):
    Contact.objects.filter(pk=jane.pk).update(owner=mary)

    signed_in(client, bob).post(f"/b/alpha/contacts/{jane.pk}", {"name": "Jane Doe", "owner": "", "tags": ""})

    assert Contact.objects.get(pk=jane.pk).owner is None


@pytest.mark.parametrize(
    "data, message",
    [
        ({"tags": ",".join(f"t{n}" for n in range(21))}, "That is 21 tags; a contact can have at most 20."),
        ({"tags": "x" * 31}, "is longer than 30 characters"),
        ({"name": "n" * 101}, "“Name” can be at most 100 characters; this is 101. Shorten it."),
        ({"owner": "999999"}, "Choose someone who works for this business."),
        ({"owner": "banana"}, "Choose someone who works for this business."),
    ],
)
def test_bad_contact_input_says_what_to_fix_and_saves_nothing(client, bob, jane, data, message):
    before = contact_row(jane)

    response = signed_in(client, bob).post(f"/b/alpha/contacts/{jane.pk}", {"name": "Changed", "tags": "", **data})

    assert response.status_code == 200
    assert message in page_text(response)
    assert contact_row(jane) == before


def test_a_person_of_another_business_cannot_be_made_owner(client, bob, charlie, jane):
    before = contact_row(jane)

    response = signed_in(client, bob).post(f"/b/alpha/contacts/{jane.pk}", {"name": "Jane", "owner": charlie.pk})

    assert "Choose someone who works for this business." in page_text(response)
    assert contact_row(jane) == before


def test_a_manager_excludes_the_number_and_removes_the_exclusion(client, mary, jane):
    as_mary = signed_in(client, mary)

    response = as_mary.post(f"/b/alpha/contacts/{jane.pk}/exclusion", {"do": "exclude"}, follow=True)
    assert list(ExcludedNumber.objects.values_list("number", "label")) == [(CALLER, "Jane Doe")]
    assert "will not get automatic texts. Staff can still reply by hand." in flashed(response)
    assert "Remove the exclusion" in page_text(response)
    assert ConsentEvent.objects.count() == 0  # excluding is not an opt-out

    as_mary.post(f"/b/alpha/contacts/{jane.pk}/exclusion", {"do": "include"})
    assert ExcludedNumber.objects.count() == 0


def test_an_excluded_caller_is_not_texted_back_after_the_next_missed_call(client, mary, jane, alpha_sandbox_line):
    signed_in(client, mary).post(f"/b/alpha/contacts/{jane.pk}/exclusion", {"do": "exclude"})

    call = a_missed_call(alpha_sandbox_line)

    assert (call.decision, call.decision_reason) == ("skip", "excluded")


def test_the_contact_page_says_exclusion_is_not_an_opt_out(client, mary, jane):
    page = page_text(signed_in(client, mary).get(f"/b/alpha/contacts/{jane.pk}"))

    assert "Exclude this number" in page and "It is not an opt-out" in page


def test_an_agent_cannot_exclude_a_number_and_is_told_why(client, bob, jane):
    page = page_text(signed_in(client, bob).get(f"/b/alpha/contacts/{jane.pk}"))
    assert "Exclude this number" not in page

    response = signed_in(client, bob).post(f"/b/alpha/contacts/{jane.pk}/exclusion", {"do": "exclude"})

    assert response.status_code == 403
    assert "needs the manager role" in page_text(response).lower()
    assert ExcludedNumber.objects.count() == 0


def test_an_agent_serving_one_line_sees_only_that_lines_contacts(client, bob, jane, alpha_sandbox_line):
    bob.memberships.get().lines.set([alpha_sandbox_line])
    sandbox_caller = a_missed_call(alpha_sandbox_line, caller="+15125550166").contact
    as_bob = signed_in(client, bob)

    page = page_text(as_bob.get("/b/alpha/contacts/"))
    assert "(512) 555-0166" in page and "Jane Doe" not in page
    assert as_bob.get(f"/b/alpha/contacts/{jane.pk}").status_code == 404
    assert as_bob.post(f"/b/alpha/contacts/{jane.pk}", {"name": "Renamed"}).status_code == 404
    assert as_bob.get(f"/b/alpha/contacts/{sandbox_caller.pk}").status_code == 200
    assert Contact.objects.get(pk=jane.pk).name == "Jane Doe"
