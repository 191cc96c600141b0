"""Staff decide a borderline opt-out ("not interested", "who is this? stop"): confirm it, or say it was none.

When rules/revocation.py cannot tell, the inbound text pauses automation for the contact (actions.py,
BORDERLINE_WHY) and the conversation shows a banner with the two buttons below. Both run in the view's
transaction with the conversation locked.
"""

from django.utils import timezone

from textback.messaging.actions import (
    BORDERLINE_WHY,
    REPLY_WINDOW,
    cancel_pending,
    do_resume_automation,
    is_opted_out,
    opt_out_text,
    queue_text,
    record_consent,
)
from textback.messaging.conversations import Refused
from textback.messaging.models import ConsentEvent, Contact, Conversation, ConversationEvent, Message

OPT_OUT_CONFIRMED, OPT_OUT_DISMISSED = "opt_out_confirmed", "opt_out_dismissed"  # ConversationEvent kinds


def pending_phrase(contact: Contact) -> str | None:
    """The words of a borderline opt-out waiting for staff, or None."""
    why = contact.automation_paused_why or ""
    return why[len(BORDERLINE_WHY) :] if contact.automation_paused_at and why.startswith(BORDERLINE_WHY) else None


def _check_pending(conversation: Conversation) -> str:
    contact = Contact.objects.select_for_update().get(pk=conversation.contact_id, business_id=conversation.business_id)
    conversation.contact = contact
    phrase = pending_phrase(contact)
    if phrase is None:
        raise Refused("There is no possible opt-out waiting on this conversation; someone may have decided already.")
    return phrase


def do_confirm_opt_out(conversation: Conversation, by) -> bool:
    """Record the opt-out with the caller's words, cancel what was pending, and confirm it by text if that is
    still within 5 minutes of their message (47 CFR 64.1200(a)(12)). True when a confirmation was queued."""
    phrase = _check_pending(conversation)
    contact, business, line = conversation.contact, conversation.business, conversation.line
    cause = _their_latest_text(conversation)
    already = is_opted_out(business, contact.number)
    record_consent(business, contact.number, ConsentEvent.OPT_OUT, source=ConsentEvent.STAFF, keyword=phrase,
                   line=line, message=cause)  # fmt: skip
    cancel_pending(business, contact, keep=[Message.OPT_OUT_CONFIRMATION], why="staff confirmed an opt-out")
    do_resume_automation(contact)  # the opt-out now stops everything; the pause has done its work
    _event(conversation, by, OPT_OUT_CONFIRMED, phrase)
    now = timezone.now()
    if already or cause is None or now - cause.created_at > REPLY_WINDOW:
        return False
    queue_text(line=line, contact=contact, body=opt_out_text(business), purpose=Message.OPT_OUT_CONFIRMATION,
               key=f"{Message.OPT_OUT_CONFIRMATION}:{cause.pk}", due_at=now,
               expires_at=cause.created_at + REPLY_WINDOW)  # fmt: skip
    return True


def do_dismiss_opt_out(conversation: Conversation, by) -> None:
    """Not an opt-out: automatic texts may go to this contact again."""
    phrase = _check_pending(conversation)
    do_resume_automation(conversation.contact)
    _event(conversation, by, OPT_OUT_DISMISSED, phrase)


def _their_latest_text(conversation: Conversation) -> Message | None:
    return conversation.messages.filter(direction=Message.IN).order_by("-created_at", "-pk").first()


def _event(conversation: Conversation, by, kind: str, phrase: str) -> None:
    ConversationEvent.objects.create(
        business_id=conversation.business_id, conversation=conversation, kind=kind, actor=by, body=phrase,
        at=timezone.now(),
    )  # fmt: skip
