"""Pausing automation for one caller: what a borderline opt-out or an autoresponder leads to until a person looks."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from textback.calls import decide
from textback.conftest import CALLER
from textback.messaging import actions
from textback.messaging.models import Contact, Message, MessageStatus
from textback.testing import a_missed_call

pytestmark = pytest.mark.django_db


def a_pending_follow_up(line, contact) -> Message:
    return actions.queue_text(
        line=line, contact=contact, body="Still need a hand?", purpose=Message.FOLLOWUP, key=f"fu:{contact.pk}",
        due_at=timezone.now() + timedelta(hours=1), expires_at=None, sender_kind=Message.AUTOMATION,
    )  # fmt: skip


def test_pausing_cancels_the_callers_pending_automatic_texts(alpha_sandbox_line):
    contact = actions.find_or_create_contact(alpha_sandbox_line.business, CALLER)
    follow_up = a_pending_follow_up(alpha_sandbox_line, contact)
    with transaction.atomic():
        assert actions.do_pause_automation(contact, "Borderline opt-out: staff to confirm") == 1
    follow_up.refresh_from_db()
    assert follow_up.status == MessageStatus.CANCELED
    assert Contact.objects.get(pk=contact.pk).automation_paused_why == "Borderline opt-out: staff to confirm"


def test_a_paused_caller_who_rings_again_gets_no_text_back(alpha_sandbox_line):
    contact = actions.find_or_create_contact(alpha_sandbox_line.business, CALLER)
    actions.do_pause_automation(contact, "An autoresponder answered our text")
    call = a_missed_call(alpha_sandbox_line)
    assert call.decision_reason == decide.AUTOMATION_PAUSED


def test_a_resumed_caller_is_texted_again(alpha_sandbox_line):
    contact = actions.find_or_create_contact(alpha_sandbox_line.business, CALLER)
    actions.do_pause_automation(contact, "An autoresponder answered our text")
    actions.do_resume_automation(Contact.objects.get(pk=contact.pk))
    assert a_missed_call(alpha_sandbox_line).decision_reason == decide.TEXT_MISSED_CALL
