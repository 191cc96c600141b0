"""The one test-support module (healthchecks' hc/test.py is the model): the cast and the shared helpers.

The cast (fixtures in textback/conftest.py):
- AlphaPlumbing (alpha): a Twilio line +15125550100 ringing Mike's cell +15125550199, and a sandbox
  line +17375550100. alice is its owner, mary a manager, bob an agent.
- BetaHVAC (beta): another tenant with its own Twilio account and line, which answers STOP/START/HELP
  itself (Twilio's replies switched off). charlie works there only.
- The caller is +15125550147 (Austin, TX).

The helpers make history the way the webhooks do, through the same do_* functions:
`a_missed_call`, `an_inbound_text`, `a_staff_reply`, `delivery_reports`; and for pages, `signed_in`, `page_text`,
`flashed`. `a_long_thread` alone writes rows directly (bulk inserts), for years of history in a second.
"""

import itertools
import uuid

from django.db import transaction

from textback.calls import outcomes
from textback.calls.models import Call
from textback.messaging.models import Conversation, Message

ALPHA_SID = "AC0123456789abcdef0123456789abcdef"
ALPHA_TOKEN = "f1e2d3c4b5a697887766554433221100"
BETA_SID = "ACfedcba9876543210fedcba9876543210"
BETA_TOKEN = "00112233445566778899aabbccddeeff"
ALPHA_NUMBER = "+15125550100"
ALPHA_CELL = "+15125550199"
ALPHA_SANDBOX_NUMBER = "+17375550100"
BETA_NUMBER = "+12145550100"
CALLER = "+15125550147"

_ids = itertools.count(1)


def a_missed_call(line, caller: str = CALLER, outcome: str = outcomes.NO_ANSWER, caller_name: str = "") -> Call:
    """A call to the line that ended with `outcome`, decided (and texted, when the rules say so) at once."""
    from textback.calls import actions as calls

    with transaction.atomic():
        call, _ = calls.start_call(
            calls.CallStart(
                line=line,
                provider=line.provider,
                call_id=f"CA{next(_ids):032x}",
                from_number=caller,
                to_number=line.number,
                caller_name=caller_name,
            )
        )
        call = calls.do_call_ended(call, outcome)
    call.refresh_from_db()
    return call


def an_inbound_text(line, body: str, caller: str = CALLER, *, provider_type: str = "", media=()) -> Message | None:
    """The caller texts the line, as the provider's webhook reports it."""
    from textback.messaging import actions

    with transaction.atomic():
        return actions.do_inbound_sms(
            actions.Inbound(
                line=line,
                provider=line.provider,
                provider_message_id=f"SM{next(_ids):032x}",
                from_number=caller,
                body=body,
                provider_type=provider_type,
                media=list(media),
            )
        )


def a_staff_reply(
    conversation: Conversation, user, body: str = "We can be there at 2 today. Does that work?"
) -> Message:
    """A person answers from the inbox (queued in the outbox like every text)."""
    from textback.messaging import conversations

    with transaction.atomic():
        return conversations.do_staff_reply(conversation, user, body)


def signed_in(client, user):
    """The Django test client, signed in as this user."""
    client.force_login(user)
    return client


def page_text(response) -> str:
    return response.content.decode()


def flashed(response) -> str:
    """The page's flash messages (Django's messages framework), as one string."""
    return " ".join(str(m) for m in response.context["messages"])


def delivery_reports(message: Message, *statuses: str) -> None:
    """The provider accepted the text, then sent these delivery reports in this order."""
    from textback.messaging import actions

    if not message.provider_message_id:
        Message.objects.filter(pk=message.pk).update(provider_message_id=f"SM{next(_ids):032x}", status="queued")
        message.refresh_from_db()
    for status in statuses:
        actions.do_message_status(
            actions.StatusReport(
                provider=message.provider, provider_message_id=message.provider_message_id, status=status
            )
        )


def a_long_thread(
    conversation: Conversation, entries: int, *, ending=None, every=None, at_once: int = 1, staff=None
) -> list[str]:
    """`entries` timeline entries written straight into `conversation` (bulk inserts: thousands a second),
    one each `every` (a minute; `at_once` of them share each moment) up to `ending` (a day ago): texts both
    ways, each one sent with its delivery report, by `staff` or else the automation; every 7th a staff note,
    every 11th a missed call, every 13th a HELP request. Returns their element ids on the page, oldest first."""
    from datetime import timedelta

    from django.utils import timezone

    from textback.messaging.models import ConsentEvent, ConversationEvent, MessageStatusEvent

    every = every or timedelta(minutes=1)
    ending = ending or timezone.now() - timedelta(days=1)
    rank = "cmke"  # at one moment the timeline shows a call, then texts, then consent, then staff events
    kinds = ["c" if i % 11 == 5 else "e" if i % 7 == 3 else "k" if i % 13 == 9 else "m" for i in range(entries)]
    plan = [(kind, i, ending - every * ((entries - 1 - i) // at_once)) for i, kind in enumerate(kinds)]
    plan.sort(key=lambda step: (step[2], rank.index(step[0])))
    made = {kind: [] for kind in rank}
    for kind, i, at in plan:
        made[kind].append(_thread_entry(conversation, kind, i, at, staff))
    Call.objects.bulk_create(made["c"])
    Message.objects.bulk_create(made["m"], batch_size=1000)
    ConsentEvent.objects.bulk_create(made["k"])
    ConversationEvent.objects.bulk_create(made["e"])
    MessageStatusEvent.objects.bulk_create(
        [MessageStatusEvent(message=m, status="delivered", at=m.status_at) for m in made["m"] if m.direction == "out"],
        batch_size=1000,
    )
    prefix = {"c": "call", "m": "m", "k": "consent", "e": "note"}
    position = {kind: iter(made[kind]) for kind in rank}
    return [f"{prefix[kind]}{next(position[kind]).pk}" for kind, _, _ in plan]


def _thread_entry(conversation: Conversation, kind: str, i: int, at, staff):
    from datetime import timedelta

    from textback.messaging.models import ConsentEvent, ConversationEvent

    business, line, contact = conversation.business, conversation.line, conversation.contact
    if kind == "c":
        return Call(
            business=business, line=line, contact=contact, provider=line.provider, provider_call_id=f"CA{uuid.uuid4().hex}",
            from_number=contact.number, to_number=line.number, state=Call.ENDED, outcome=outcomes.NO_ANSWER,
            started_at=at, ended_at=at + timedelta(seconds=20),
        )  # fmt: skip
    if kind == "k":
        return ConsentEvent(
            business=business, number=contact.number, kind=ConsentEvent.HELP, keyword="HELP", line=line, created_at=at
        )
    if kind == "e":
        return ConversationEvent(
            business=business,
            conversation=conversation,
            kind=ConversationEvent.NOTE,
            actor=staff,
            body=f"note {i}",
            at=at,
        )
    inbound = i % 2 == 0
    who = Message.CONTACT if inbound else Message.STAFF if staff else Message.AUTOMATION
    return Message(
        business=business, conversation=conversation, contact=contact, line=line, direction=Message.IN if inbound else Message.OUT,
        sender_kind=who, sent_by=None if inbound else staff, purpose=Message.INBOUND if inbound else Message.REPLY if staff else Message.FOLLOWUP,
        body=f"text {i}", encoding="GSM-7", units=len(f"text {i}"), segments=1, status="received" if inbound else "delivered",
        status_at=at, provider=line.provider, created_at=at,
    )  # fmt: skip
