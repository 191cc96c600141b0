"""Stopping a loop with another system's autoresponder (the rule: textback/rules/loops.py).

Called by do_inbound_sms for a caller's text that is no STOP/START/HELP, in its transaction: when the text
is an autoresponder's answer to our automatic texts, automatic texts to that contact are paused (pending
ones canceled) and the conversation's timeline says so; staff resume them from the conversation page.
The autoresponder's text is kept in the thread, but nobody is alerted about it and no answer is owed.
"""

from django.utils import timezone

from textback.messaging.models import ConversationEvent, Message, MessageStatus
from textback.rules import loops

AUTOMATION_PAUSED = "automation_paused"  # ConversationEvent kinds (timeline.describe)
AUTOMATION_RESUMED = "automation_resumed"
THREAD_LIMIT = 30
NEVER_WENT = (*MessageStatus.NOT_SENT, *MessageStatus.PENDING, MessageStatus.FAILED)


def recent_thread(message: Message) -> list[loops.Turn]:
    """The conversation's texts of the last LOOKBACK up to `message`, oldest first (at most THREAD_LIMIT)."""
    rows = (
        Message.objects.filter(
            conversation_id=message.conversation_id,
            created_at__gte=message.created_at - loops.LOOKBACK,
            created_at__lte=message.created_at,
        )
        .exclude(direction=Message.OUT, status__in=NEVER_WENT)  # a text that never went was answered by nobody
        .order_by("-created_at", "-pk")
        .values_list("pk", "direction", "sender_kind", "body", "created_at", "sent_at")[:THREAD_LIMIT]
    )
    turns = [
        loops.Turn(at=sent or created, ours=direction == Message.OUT, automatic=kind != Message.STAFF, body=body)
        for pk, direction, kind, body, created, sent in reversed(rows)
        if pk != message.pk
    ]
    return [*turns, loops.Turn(at=message.created_at, ours=False, body=message.body)]


def check_autoresponder(message: Message) -> bool:
    """Whether this caller's text is an autoresponder's answer to ours; the first time, pause automation for
    the contact and say why in the timeline."""
    reason = loops.detect(recent_thread(message))
    if reason is None:
        return False
    contact = message.contact
    if contact.automation_paused_at is None:
        do_pause_for_autoresponder(message, reason)
    return True


def do_pause_for_autoresponder(message: Message, reason: str) -> None:
    from textback.messaging.actions import do_pause_automation

    why = "an autoresponder is answering them"
    canceled = do_pause_automation(message.contact, why)
    detail = f"{loops.REASONS[reason]}" + (f"; {canceled} pending automatic text(s) canceled" if canceled else "")
    ConversationEvent.objects.create(
        business_id=message.business_id, conversation_id=message.conversation_id, kind=AUTOMATION_PAUSED,
        body=f"{why} ({detail})", at=timezone.now(),
    )  # fmt: skip


def do_resume(conversation, user) -> bool:
    """A person resumes automatic texts to the conversation's contact. False when they were not paused."""
    from textback.messaging.actions import do_resume_automation

    contact = conversation.contact
    if contact.automation_paused_at is None:
        return False
    do_resume_automation(contact)
    ConversationEvent.objects.create(
        business_id=conversation.business_id, conversation_id=conversation.pk, kind=AUTOMATION_RESUMED,
        actor=user, at=timezone.now(),
    )  # fmt: skip
    return True
