"""The inbox list's source and outcome tags: shown on each row and on the conversation page, and usable as
filters that combine with the tabs, the line, the search and the live updates."""

import re

import pytest

from textback.messaging import conversations as convo
from textback.messaging.models import Conversation
from textback.testing import a_missed_call, a_staff_reply, an_inbound_text

pytestmark = pytest.mark.django_db

LIST_QUERIES = 9  # as textback/inbox/tests/test_inbox_list.py pins it: a filter adds none


def caller(n: int) -> str:
    return f"+1512555{2000 + n:04d}"


def listed(response) -> list[int]:
    assert response.status_code == 200, response.content[:500]
    return [int(pk) for pk in re.findall(r'<li class="convo[^"]*" data-id="(\d+)"', response.content.decode())]


def row_of(response, conversation) -> str:
    content = response.content.decode()
    start = content.index(f'data-id="{conversation.pk}"')
    return content[start : content.index("</li>", start)]


@pytest.fixture
def threads(alice, alpha_line):
    """A missed call texted back (booked), a caller who texted first (lost), one who texted first (no outcome)."""
    missed = a_missed_call(alpha_line, caller=caller(1)).messages.get().conversation
    texted = an_inbound_text(alpha_line, "Do you fix boilers?", caller=caller(2)).conversation
    quiet = an_inbound_text(alpha_line, "Hello?", caller=caller(3)).conversation
    convo.do_set_outcome(missed, alice, Conversation.BOOKED, value="350")
    convo.do_set_outcome(texted, alice, Conversation.LOST, reason="Too far")
    return missed, texted, quiet


def test_each_row_shows_its_source_tag_and_its_outcome(as_alice, threads):
    missed, texted, quiet = threads
    response = as_alice.get("/b/alpha/?show=all")

    assert '<span class="tag source">MCT-Inbound</span>' in row_of(response, missed)
    assert '<span class="tag outcome">Booked</span>' in row_of(response, missed)
    assert '<span class="tag source">SMS-Inbound</span>' in row_of(response, texted)
    assert '<span class="tag outcome">Lost</span>' in row_of(response, texted)
    assert "tag outcome" not in row_of(response, quiet)


def test_the_conversation_page_names_how_the_thread_began(as_alice, threads):
    missed, texted, _ = threads
    assert "MCT-Inbound (a missed call)" in as_alice.get(f"/b/alpha/conversations/{missed.pk}").content.decode()
    assert (
        "SMS-Inbound (the caller texted first)" in as_alice.get(f"/b/alpha/conversations/{texted.pk}").content.decode()
    )


def test_the_source_filter_lists_only_the_threads_that_began_that_way(as_alice, threads):
    missed, texted, quiet = threads
    assert listed(as_alice.get("/b/alpha/?show=all&source=missed_call")) == [missed.pk]
    assert set(listed(as_alice.get("/b/alpha/?show=all&source=inbound_sms"))) == {texted.pk, quiet.pk}
    assert listed(as_alice.get("/b/alpha/?show=all&source=staff")) == []


def test_the_outcome_filter_lists_booked_lost_or_those_without_an_outcome(as_alice, threads):
    missed, texted, quiet = threads
    assert listed(as_alice.get("/b/alpha/?show=all&outcome=booked")) == [missed.pk]
    assert listed(as_alice.get("/b/alpha/?show=all&outcome=lost")) == [texted.pk]
    assert listed(as_alice.get("/b/alpha/?show=all&outcome=none")) == [quiet.pk]
    assert listed(as_alice.get("/b/alpha/?show=all&outcome=no_show")) == []


def test_the_filters_combine_with_each_other_the_tabs_the_line_and_the_search(
    as_alice, alice, threads, alpha_sandbox_line
):
    missed, texted, quiet = threads
    elsewhere = an_inbound_text(alpha_sandbox_line, "Do you fix boilers too?", caller=caller(4)).conversation
    convo.do_close(texted, alice)

    assert listed(as_alice.get("/b/alpha/?source=inbound_sms")) == [elsewhere.pk, quiet.pk]  # the open tab
    assert listed(as_alice.get(f"/b/alpha/?source=inbound_sms&line={alpha_sandbox_line.pk}")) == [elsewhere.pk]
    assert listed(as_alice.get("/b/alpha/?show=all&source=inbound_sms&outcome=lost")) == [texted.pk]
    assert listed(as_alice.get("/b/alpha/?show=all&source=inbound_sms&q=boilers")) == [elsewhere.pk, texted.pk]
    assert listed(as_alice.get("/b/alpha/?show=all&source=missed_call&outcome=lost")) == []


def test_the_tabs_and_the_older_link_keep_the_filters(as_alice, threads):
    content = as_alice.get("/b/alpha/?source=missed_call&outcome=booked").content.decode()
    assert 'href="?source=missed_call&amp;outcome=booked&amp;show=all"' in content
    assert "/b/alpha/live?source=missed_call&amp;outcome=booked" in content  # the poller asks for the same list


def test_the_live_poll_refreshes_the_filtered_list(as_alice, alice, threads, alpha_line):
    missed, _, _ = threads
    first = as_alice.get("/b/alpha/live?show=all&outcome=booked")
    assert listed(first) == [missed.pk]
    assert as_alice.get("/b/alpha/live?show=all&outcome=booked", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304

    newly = an_inbound_text(alpha_line, "Can you come Friday?", caller=caller(5)).conversation
    convo.do_set_outcome(newly, alice, Conversation.BOOKED, value="90")

    fresh = as_alice.get("/b/alpha/live?show=all&outcome=booked", HTTP_IF_NONE_MATCH=first["ETag"])
    assert listed(fresh) == [newly.pk, missed.pk]


def test_an_unknown_source_or_outcome_is_reported_and_that_filter_ignored(as_alice, threads):
    response = as_alice.get("/b/alpha/?show=all&source=fax&outcome=%3Cscript%3E")
    content = response.content.decode()
    assert len(listed(response)) == 3
    assert "That is not a source tag; showing every source." in content
    assert "That is not an outcome; showing every outcome." in content
    assert "<script>" not in content.split("</head>")[1].replace('<script src="', "")


def test_the_filters_are_offered_with_the_current_choice_selected(as_alice, threads):
    content = as_alice.get("/b/alpha/?source=staff&outcome=no_show").content.decode()
    assert '<option value="staff" selected>Staff-Outbound</option>' in content
    assert '<option value="no_show" selected>No-show</option>' in content
    assert '<option value="none">No outcome</option>' in content
    assert 'class="clear"' in content


def test_a_filtered_list_costs_no_more_queries_than_the_list(
    as_alice, alice, alpha_line, threads, django_assert_max_num_queries
):
    for n in range(30):
        thread = a_missed_call(alpha_line, caller=caller(100 + n)).messages.get().conversation
        a_staff_reply(thread, alice)
    with django_assert_max_num_queries(LIST_QUERIES):
        response = as_alice.get("/b/alpha/?show=all&source=missed_call&outcome=none")
    assert len(listed(response)) == 30
