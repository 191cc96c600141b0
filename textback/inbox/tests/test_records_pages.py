"""The records pages: the possible-opt-out banner and its two buttons, the consent ledger as CSV (the
business's and a contact's), a contact's data as JSON, erasure on request, and the retention setting."""

import csv
import io
import json

import pytest
from django.test import Client

from textback.conftest import CALLER
from textback.messaging import actions
from textback.messaging.models import ConsentEvent, Contact, ConversationEvent, Erasure, Message
from textback.rules import retention
from textback.rules.models import Retention
from textback.testing import a_missed_call, an_inbound_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def borderline(alpha_sandbox_line):
    return an_inbound_text(alpha_sandbox_line, "Not interested. <script>alert(1)</script>")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- the banner -------------------------------------------------------------------------------------------


def test_a_borderline_reply_shows_a_banner_with_its_words_escaped_and_both_buttons(alice, borderline):
    page = signed_in(alice).get(f"/b/alpha/conversations/{borderline.conversation_id}").content.decode()

    assert 'id="possible-opt-out"' in page
    assert "Not interested. &lt;script&gt;alert(1)&lt;/script" in page and "<script>alert" not in page
    assert 'id="confirm-opt-out"' in page and 'id="not-opt-out"' in page
    assert "csrfmiddlewaretoken" in page


def test_a_conversation_without_a_borderline_reply_shows_no_banner(alice, alpha_sandbox_line):
    inbound = an_inbound_text(alpha_sandbox_line, "can you stop by tomorrow?")

    page = signed_in(alice).get(f"/b/alpha/conversations/{inbound.conversation_id}").content.decode()

    assert 'id="possible-opt-out"' not in page


def test_an_agent_confirms_the_opt_out_from_the_banner(bob, borderline):
    response = signed_in(bob).post(f"/b/alpha/conversations/{borderline.conversation_id}/opt-out/confirm", follow=True)

    assert response.status_code == 200
    assert "Opt-out recorded" in response.content.decode()
    assert 'id="possible-opt-out"' not in response.content.decode()
    assert ConsentEvent.objects.get().keyword == "Not interested. <script>alert(1)</script"


def test_not_an_opt_out_resumes_automation(bob, borderline):
    signed_in(bob).post(f"/b/alpha/conversations/{borderline.conversation_id}/opt-out/dismiss")

    assert Contact.objects.get(number=CALLER).automation_paused_at is None
    assert not ConsentEvent.objects.exists()


def test_the_banner_buttons_refuse_a_get_and_need_the_csrf_token(alice, borderline):
    url = f"/b/alpha/conversations/{borderline.conversation_id}/opt-out/confirm"
    assert signed_in(alice).get(url).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    assert strict.post(url).status_code == 403
    assert not ConsentEvent.objects.exists()


def test_pressing_a_button_twice_says_it_was_decided_already(bob, borderline):
    client = signed_in(bob)
    client.post(f"/b/alpha/conversations/{borderline.conversation_id}/opt-out/dismiss")
    page = client.post(f"/b/alpha/conversations/{borderline.conversation_id}/opt-out/confirm", follow=True)

    assert "no possible opt-out waiting" in page.content.decode()
    assert not ConsentEvent.objects.exists()


@pytest.mark.cross_tenant("conversation-opt-out", "conversation-not-opt-out")
def test_another_business_borderline_cannot_be_decided(alice, beta_line):
    theirs = an_inbound_text(beta_line, "not interested", "+12145550147")
    client = signed_in(alice)
    for action in ("confirm", "dismiss"):
        for slug in ("beta", "alpha"):
            assert client.post(f"/b/{slug}/conversations/{theirs.conversation_id}/opt-out/{action}").status_code == 404
    assert Contact.objects.get(pk=theirs.contact_id).automation_paused_at is not None
    assert not ConsentEvent.objects.exists()


# --- the consent ledger as CSV ----------------------------------------------------------------------------


def rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_a_manager_downloads_the_whole_ledger_as_csv_oldest_first_with_the_phrase(mary, alpha_sandbox_line):
    an_inbound_text(alpha_sandbox_line, "stop texting me")
    an_inbound_text(alpha_sandbox_line, "START")
    an_inbound_text(alpha_sandbox_line, '=HYPERLINK("http://evil") stop', "+15125550148")
    an_inbound_text(alpha_sandbox_line, "STOP", "+15125550148")

    response = signed_in(mary).get("/b/alpha/consent.csv")

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    header, *body = rows(response)
    assert header[:5] == ["when (UTC)", "number", "event", "source", "keyword or phrase"]
    assert [(r[1], r[2], r[4]) for r in body] == [
        (CALLER, "Opted out", "stop texting me"),
        (CALLER, "Opted back in", "START"),
        ("+15125550148", "Opted out", "STOP"),
    ]


def test_a_formula_a_caller_typed_is_not_run_by_a_spreadsheet():
    from textback.messaging.records import safe_cell

    assert safe_cell('=HYPERLINK("http://evil")') == '\'=HYPERLINK("http://evil")'
    assert safe_cell("+15125550147") == "+15125550147"
    assert safe_cell("-1+2") == "'-1+2"


def test_an_agent_may_not_download_the_ledger(bob, alpha):
    assert signed_in(bob).get("/b/alpha/consent.csv").status_code == 403


def test_the_ledger_page_links_the_download_for_managers_only(mary, bob, alpha):
    assert 'id="consent-export"' in signed_in(mary).get("/b/alpha/consent").content.decode()
    assert 'id="consent-export"' not in signed_in(bob).get("/b/alpha/consent").content.decode()


def test_a_contacts_ledger_holds_only_that_number(mary, alpha_sandbox_line):
    mine = an_inbound_text(alpha_sandbox_line, "STOP")
    an_inbound_text(alpha_sandbox_line, "STOP", "+15125550148")

    response = signed_in(mary).get(f"/b/alpha/contacts/{mine.contact_id}/consent.csv")

    assert [r[1] for r in rows(response)[1:]] == [CALLER]


@pytest.mark.cross_tenant("consent-export", "contact-consent-export", "contact-export", "contact-erase")
def test_another_business_records_are_not_found(alice, beta):
    theirs = Contact.objects.create(business=beta, number="+12145550147", name="Beta Customer")
    client = signed_in(alice)
    assert client.get("/b/beta/consent.csv").status_code == 404
    for slug in ("beta", "alpha"):
        for path in ("consent.csv", "export.json", "erase"):
            assert client.get(f"/b/{slug}/contacts/{theirs.pk}/{path}").status_code == 404
        assert client.post(f"/b/{slug}/contacts/{theirs.pk}/erase", {"confirm": "on"}).status_code == 404
    assert Contact.objects.get(pk=theirs.pk).name == "Beta Customer"


# --- a contact's data and its erasure ---------------------------------------------------------------------


@pytest.fixture
def history(alpha_sandbox_line):
    """A caller who called (voicemail), wrote, then opted out in plain words; a staff note about them."""
    call = a_missed_call(alpha_sandbox_line)
    type(call).objects.filter(pk=call.pk).update(recording_url="https://api.twilio.com/rec/RE1")
    an_inbound_text(alpha_sandbox_line, "Hi it's Jane at 12 Elm St, the sink leaks")
    out = an_inbound_text(alpha_sandbox_line, "please stop texting me")
    contact = Contact.objects.get(pk=out.contact_id)
    Contact.objects.filter(pk=contact.pk).update(name="Jane Doe")
    ConversationEvent.objects.create(business=contact.business, conversation_id=out.conversation_id,
                                     kind=ConversationEvent.NOTE, body="Gate code 4411", at=out.created_at)  # fmt: skip
    return Contact.objects.get(pk=contact.pk)


def test_a_manager_exports_a_contacts_data_as_json(mary, history):
    response = signed_in(mary).get(f"/b/alpha/contacts/{history.pk}/export.json")

    data = json.loads(response.content)
    assert data["contact"]["number"] == CALLER and data["contact"]["name"] == "Jane Doe"
    texts = [t["body"] for c in data["conversations"] for t in c["texts"]]
    assert "Hi it's Jane at 12 Elm St, the sink leaks" in texts
    assert data["conversations"][0]["notes"][0]["text"] == "Gate code 4411"
    assert data["consent"][0]["keyword"] == "please stop texting me"
    assert data["calls"][0]["recording_url"] == "https://api.twilio.com/rec/RE1"


def test_erasure_asks_for_confirmation_first(mary, history):
    client = signed_in(mary)
    assert "Erase for good" in client.get(f"/b/alpha/contacts/{history.pk}/erase").content.decode()

    refused = client.post(f"/b/alpha/contacts/{history.pk}/erase", {})

    assert refused.status_code == 400 and "Tick the box" in refused.content.decode()
    assert Contact.objects.get(pk=history.pk).name == "Jane Doe"


def test_an_agent_may_not_erase(bob, history):
    assert signed_in(bob).post(f"/b/alpha/contacts/{history.pk}/erase", {"confirm": "on"}).status_code == 403
    assert Contact.objects.get(pk=history.pk).number == CALLER


def test_erasure_blanks_what_identifies_them_keeps_the_counts_and_is_audited(mary, history, alpha):
    before = (Message.objects.count(), type(history.calls.get()).objects.count(), ConsentEvent.objects.count())

    signed_in(mary).post(f"/b/alpha/contacts/{history.pk}/erase", {"confirm": "on"})

    contact = Contact.objects.get(pk=history.pk)
    assert contact.name == "" and CALLER not in contact.number
    assert set(Message.objects.values_list("body", flat=True)) == {""}
    call = contact.calls.get()
    assert (call.recording_url, CALLER in call.from_number) == ("", False)
    assert ConversationEvent.objects.get(kind=ConversationEvent.NOTE).body == ""
    assert ConsentEvent.objects.filter(number=CALLER).count() == 0
    assert ConsentEvent.objects.get().keyword == "[erased]"
    after = (Message.objects.count(), type(call).objects.count(), ConsentEvent.objects.count())
    assert after == before
    erasure = Erasure.objects.get()
    assert (erasure.erased_by, erasure.suppressed, erasure.counts["messages"]) == (mary, True, before[0])


def test_an_erased_contacts_conversation_shows_nothing_of_them_and_waits_for_no_answer(mary, alpha_sandbox_line):
    inbound = an_inbound_text(alpha_sandbox_line, "Hi it's Jane, the sink leaks")
    Contact.objects.filter(pk=inbound.contact_id).update(name="Jane Doe")
    conversation = inbound.conversation
    assert conversation.awaiting_since is not None

    signed_in(mary).post(f"/b/alpha/contacts/{inbound.contact_id}/erase", {"confirm": "on"})
    page = signed_in(mary).get(f"/b/alpha/conversations/{conversation.pk}").content.decode()

    assert "data was erased on request" in page and "erased the caller" in page
    assert "erased:" not in page and "(512) 555-0147" not in page and "Jane" not in page
    conversation.refresh_from_db()
    assert conversation.awaiting_since is None
    contact_page = signed_in(mary).get(f"/b/alpha/contacts/{inbound.contact_id}").content.decode()
    assert "Erased number" in contact_page and "erased:" not in contact_page and 'name="name"' not in contact_page


def test_an_erased_opt_out_is_still_enforced_on_a_later_call_and_at_send_time(mary, history, alpha, queue):
    signed_in(mary).post(f"/b/alpha/contacts/{history.pk}/erase", {"confirm": "on"})

    later = a_missed_call(history.calls.get().line)

    assert later.decision_reason == "opted_out"
    assert actions.is_opted_out(alpha, CALLER)
    assert actions.opted_out_numbers({(alpha.pk, CALLER)}) == {(alpha.pk, CALLER)}


def test_start_after_erasure_lifts_the_hashed_opt_out(mary, history, alpha, alpha_sandbox_line):
    signed_in(mary).post(f"/b/alpha/contacts/{history.pk}/erase", {"confirm": "on"})

    an_inbound_text(alpha_sandbox_line, "START")

    assert not actions.is_opted_out(alpha, CALLER)


def test_the_contact_page_offers_the_records_to_managers_only(mary, bob, history):
    assert 'id="erase-link"' in signed_in(mary).get(f"/b/alpha/contacts/{history.pk}").content.decode()
    assert 'id="records"' not in signed_in(bob).get(f"/b/alpha/contacts/{history.pk}").content.decode()


# --- retention --------------------------------------------------------------------------------------------


def test_retention_is_kept_forever_by_default_and_the_page_says_so(alice, alpha):
    page = signed_in(alice).get("/b/alpha/settings/retention").content.decode()

    assert 'id="kept">for ever<' in page
    assert retention.days_for(alpha) is None


def test_an_owner_sets_retention_and_one_nightly_row_is_queued(alice, alpha):
    from textback.outbox.models import OutboxItem

    client = signed_in(alice)
    client.post("/b/alpha/settings/retention", {"days": "90"})
    client.post("/b/alpha/settings/retention", {"days": "30"})

    assert Retention.objects.get(business=alpha).days == 30
    assert OutboxItem.objects.filter(kind=retention.RETENTION, status=OutboxItem.PENDING).count() == 1


@pytest.mark.parametrize("days", ["0", "-3", "ten", "1e9", "99999999999"])
def test_a_retention_that_is_not_a_number_of_days_is_refused_in_words(alice, alpha, days):
    response = signed_in(alice).post("/b/alpha/settings/retention", {"days": days})

    assert response.status_code == 400
    assert 'class="errorlist"' in response.content.decode()
    assert not Retention.objects.exists()


def test_a_manager_may_not_change_retention(mary, alpha):
    assert signed_in(mary).post("/b/alpha/settings/retention", {"days": "30"}).status_code == 403


@pytest.mark.cross_tenant("settings-retention")
def test_another_business_retention_is_not_found(alice, beta):
    assert signed_in(alice).post("/b/beta/settings/retention", {"days": "1"}).status_code == 404
    assert not Retention.objects.exists()


def test_a_text_queued_to_an_erased_opt_out_is_stopped_at_send_time(
    mary, history, alpha_sandbox_line, queue, run_outbox
):
    signed_in(mary).post(f"/b/alpha/contacts/{history.pk}/erase", {"confirm": "on"})
    later = queue(alpha_sandbox_line, "Hi, following up", purpose=Message.REPLY)  # a new contact row, same number

    run_outbox()

    later.refresh_from_db()
    assert later.status == "suppressed"
