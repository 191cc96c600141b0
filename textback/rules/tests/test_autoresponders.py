"""An autoresponder answering our automatic texts is stopped: automation paused, a timeline event, staff resume it."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from textback.accounts.models import Membership
from textback.alerts.models import Alert
from textback.calls import decide
from textback.inbox.timeline import describe
from textback.messaging.models import Contact, Conversation, ConversationEvent, Message
from textback.testing import a_missed_call, an_inbound_text, delivery_reports, flashed, page_text, signed_in

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
AWAY = "This is an automated reply: I am away from the office until Monday."


@pytest.fixture
def alerted(alice):
    Membership.objects.filter(user=alice).update(alert_on_reply=True)
    return alice


def texted_back(line, at=T0):
    """A missed call whose text-back went out and was delivered at `at`."""
    with time_machine.travel(at, tick=False):
        call = a_missed_call(line)
        assert call.decision_reason == decide.TEXT_MISSED_CALL
        delivery_reports(Message.objects.get(call=call), "sent", "delivered")
    return call


def answer(line, body: str, at):
    with time_machine.travel(at, tick=False):
        return an_inbound_text(line, body)


def paused_events():
    return list(ConversationEvent.objects.filter(kind="automation_paused"))


def test_an_automated_reply_to_our_text_back_pauses_automation_for_that_caller(alpha_line, alerted):
    texted_back(alpha_line)
    answer(alpha_line, AWAY, T0 + timedelta(seconds=4))

    contact = Contact.objects.get()
    assert contact.automation_paused_at == T0 + timedelta(seconds=4)
    assert contact.automation_paused_why == "an autoresponder is answering them"
    [event] = paused_events()
    assert describe(event) == (
        "Automatic texts paused: an autoresponder is answering them (its words are an automatic reply's)"
    )


def test_nobody_is_alerted_about_an_autoresponders_text_and_no_answer_is_owed(alpha_line, alerted):
    texted_back(alpha_line)
    answer(alpha_line, AWAY, T0 + timedelta(seconds=4))

    assert not Alert.objects.filter(event=Alert.REPLY).exists()
    assert Conversation.objects.get().awaiting_since is None
    assert Message.objects.filter(direction=Message.IN, body=AWAY).exists()  # still in the thread


def test_the_next_missed_call_from_a_paused_caller_is_not_texted(alpha_line):
    texted_back(alpha_line)
    answer(alpha_line, AWAY, T0 + timedelta(seconds=4))

    with time_machine.travel(T0 + timedelta(days=3), tick=False):
        call = a_missed_call(alpha_line)

    assert call.decision_reason == decide.AUTOMATION_PAUSED
    assert Message.objects.filter(purpose=Message.TEXTBACK).count() == 1


def test_a_persons_reply_pauses_nothing_and_alerts_as_always(alpha_line, alerted):
    texted_back(alpha_line)
    answer(alpha_line, "Yes please, water under the sink", T0 + timedelta(seconds=6))

    assert Contact.objects.get().automation_paused_at is None
    assert Alert.objects.filter(event=Alert.REPLY).exists()
    assert paused_events() == []


def test_fast_answers_to_three_automatic_texts_in_a_row_pause_automation(alpha, alpha_line):
    alpha.cooldown_hours = 0
    alpha.save()
    words = ["Thanks for your message", "We received your text", "Message received, thank you"]
    for i, body in enumerate(words):
        sent = T0 + timedelta(hours=i)
        texted_back(alpha_line, sent)
        answer(alpha_line, body, sent + timedelta(seconds=3))
        assert (Contact.objects.get().automation_paused_at is not None) is (i == 2)

    assert "answered 3 of our automatic texts within 10 seconds each" in describe(paused_events()[0])


def test_a_second_autoresponder_text_adds_no_second_event(alpha_line):
    texted_back(alpha_line)
    answer(alpha_line, AWAY, T0 + timedelta(seconds=4))
    answer(alpha_line, AWAY, T0 + timedelta(seconds=9))

    assert len(paused_events()) == 1


# --- resuming from the conversation page ---------------------------------------------------------


@pytest.fixture
def paused(alpha_line):
    texted_back(alpha_line)
    answer(alpha_line, AWAY, T0 + timedelta(seconds=4))
    return Conversation.objects.get()


def resume_url(conversation) -> str:
    return f"/b/alpha/conversations/{conversation.pk}/resume-automation"


def test_the_conversation_page_says_automation_is_paused_and_why(client, bob, paused):
    page = page_text(signed_in(client, bob).get(f"/b/alpha/conversations/{paused.pk}"))

    assert "Automatic texts paused" in page
    assert "an autoresponder is answering them" in page
    assert "Resume automatic texts" in page


def test_the_live_part_of_the_page_says_so_too_and_stops_saying_it_once_resumed(client, bob, paused):
    live = f"/b/alpha/conversations/{paused.pk}/live"
    assert "Automatic texts to this caller are paused" in page_text(signed_in(client, bob).get(live))

    signed_in(client, bob).post(resume_url(paused))

    assert "Automatic texts to this caller are paused" not in page_text(signed_in(client, bob).get(live))


def test_staff_resume_automatic_texts_and_the_next_missed_call_is_texted(client, bob, paused, alpha_line):
    bob.first_name = "Bob"
    bob.save()
    response = signed_in(client, bob).post(resume_url(paused), follow=True)

    assert "Automatic texts to (512) 555-0147 are on again." in flashed(response)
    assert Contact.objects.get().automation_paused_at is None
    assert "Resume automatic texts" not in page_text(response)
    resumed = ConversationEvent.objects.get(kind="automation_resumed")
    assert describe(resumed) == "Bob resumed automatic texts to this caller"
    with time_machine.travel(T0 + timedelta(days=3), tick=False):
        assert a_missed_call(alpha_line).decision_reason == decide.TEXT_MISSED_CALL


def test_resuming_what_is_not_paused_changes_nothing_and_says_so(client, bob, alpha_line):
    texted_back(alpha_line)
    conversation = Conversation.objects.get()

    response = signed_in(client, bob).post(resume_url(conversation), follow=True)

    assert "Not changed: automatic texts to this caller were not paused." in flashed(response)
    assert not ConversationEvent.objects.filter(kind="automation_resumed").exists()


def test_resuming_needs_the_forms_csrf_token(bob, paused):
    client = signed_in(Client(enforce_csrf_checks=True), bob)

    assert client.post(resume_url(paused)).status_code == 403
    assert Contact.objects.get().automation_paused_at is not None


@pytest.mark.cross_tenant("conversation-resume-automation")
def test_another_businesss_staff_cannot_resume_it(client, charlie, paused):
    response = signed_in(client, charlie).post(resume_url(paused).replace("/b/alpha/", "/b/beta/"))

    assert response.status_code == 404
    assert signed_in(client, charlie).post(resume_url(paused)).status_code == 404
    assert Contact.objects.get().automation_paused_at is not None


def test_resuming_is_a_post(client, bob, paused):
    assert signed_in(client, bob).get(resume_url(paused)).status_code == 405
