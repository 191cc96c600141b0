"""The SMS relay: staff answer callers by texting the business line from their own phone.

A text to a business line from a staff phone — the `phone` of a member of the business, or a number
the line rings (`forward_to`) — is never a customer's: no contact, no conversation, no automation.
It is recorded as a StaffText, and the relay decides which conversation it answers:

1. A leading `#code` (`#K7 On my way, 20 minutes`) answers the conversation whose alert to this phone,
   from this line, carried that code within the last CODE_WINDOW. Codes are given per staff phone and
   line, so they stay two or three characters.
2. Without a code: the conversations alerted to this phone from this line within RELAY_WINDOW. One →
   that one. Several → the one still waiting for an answer, if exactly one is; otherwise it is
   ambiguous. None, ambiguous, or an unknown code → the phone gets a short help text back naming the
   codes to use, and nothing goes to any customer.

The answer goes to the caller from the business number through `do_staff_reply` (the one outbox path:
opt-out checks, automation canceled, the SLA clock stopped), sent by the member whose phone it is;
when it cannot be sent (the caller opted out, the line is off) the phone is told why. A number that
is only on the line's ring list, not any member's phone, cannot answer (nobody to record it as).
STOP, START and HELP from a staff phone are honoured like anyone's: STOP opts that phone out of
every text from the business, alerts included.
"""

import re
import uuid
from datetime import timedelta
from itertools import product

from django.db import transaction
from django.utils import timezone

from textback.accounts.models import Membership
from textback.alerts import channels, compose
from textback.alerts.models import Alert, StaffText
from textback.lib import phone
from textback.messaging import actions as messaging
from textback.messaging import keywords
from textback.messaging.conversations import Refused, do_staff_reply
from textback.messaging.models import ConsentEvent, Conversation

RELAY_WINDOW = timedelta(hours=24)
CODE_WINDOW = timedelta(days=7)
_LETTERS, _DIGITS = "ABCDEFGHJKMNPQRSTUVWXYZ", "23456789"  # no I, L, O, 0 or 1 to misread
CODES = [a + b for a, b in product(_LETTERS, _DIGITS)] + [a + b + c for a, b, c in product(_LETTERS, _DIGITS, _DIGITS)]
_CODE = re.compile(r"\s*#([A-Za-z][0-9]{1,2})\b[\s:,.\-]*(.*)", re.DOTALL)


def code_for(line, number: str, conversation_id: int) -> str:
    """This conversation's code for alerts to this phone from this line: the one it already has, else one
    no other conversation alerted to the phone has had recently."""
    since = timezone.now() - CODE_WINDOW
    recent = (
        Alert.objects.filter(line=line, to=number, channel=Alert.SMS, created_at__gte=since)
        .exclude(code="")
        .values_list("conversation_id", "code")
    )
    used = set()
    for conversation, code in recent:
        if conversation == conversation_id:
            return code
        used.add(code)
    start = (conversation_id * 37) % (len(_LETTERS) * len(_DIGITS))
    for code in CODES[start:] + CODES[:start]:
        if code not in used:
            return code
    return CODES[start]


def split_code(body: str) -> tuple[str, str]:
    """('K7', 'the answer') for '#k7 the answer'; ('', body) without a code."""
    found = _CODE.fullmatch(body or "")
    return (found.group(1).upper(), found.group(2).strip()) if found else ("", (body or "").strip())


def staff_member(line, number: str) -> Membership | None:
    return (
        Membership.objects.filter(business_id=line.business_id, phone=number)
        .select_related("user")
        .order_by("pk")
        .first()
    )


def intercept(inbound) -> bool:
    """Handle a text from a staff phone (True), or leave it to the customer path (False)."""
    line = inbound.line
    number = phone.facts(inbound.from_number, line.business.country).e164 or inbound.from_number[:64]
    member = staff_member(line, number)
    if member is None and number not in (line.forward_to or []):
        return False
    taken = StaffText.objects.filter(provider=inbound.provider, provider_message_id=inbound.provider_message_id)
    if inbound.provider_message_id and taken.exists():
        return True
    text = StaffText.objects.create(
        business_id=line.business_id, line=line, from_number=number, membership=member, body=inbound.body[:3200],
        provider=inbound.provider, provider_message_id=inbound.provider_message_id or None,
        outcome=StaffText.NOT_SENT, created_at=timezone.now(),
    )  # fmt: skip
    outcome, detail = _act(text, inbound)
    StaffText.objects.filter(pk=text.pk).update(
        outcome=outcome, detail=detail[:300], conversation=text.conversation, message=text.message
    )
    return True


def _act(text: StaffText, inbound) -> tuple[str, str]:
    keyword = keywords.classify(text.body, inbound.provider_type)
    if keyword is not None:
        done = _keyword(text, keyword)
        if done:
            return done
    if text.membership is None:
        _tell(text, "This phone is not linked to a textback user, so it cannot answer callers. Add it as your "
                    "phone in your textback alert settings.")  # fmt: skip
        return StaffText.HELPED, "not a member's phone"
    conversation, problem = pick_conversation(text)
    if conversation is None:
        _tell(text, problem)
        return StaffText.HELPED, problem
    return _answer(text, conversation)


def _keyword(text: StaffText, keyword) -> tuple[str, str] | None:
    business, line, number = text.line.business, text.line, text.from_number
    source = ConsentEvent.PHRASE if keyword.phrase else ConsentEvent.KEYWORD
    if keyword.kind == keywords.OPT_OUT:
        already = messaging.is_opted_out(business, number)
        messaging.record_consent(business, number, ConsentEvent.OPT_OUT, source=source, keyword=keyword.word, line=line)
        if not already and line.keyword_replies == line.OURS:
            _tell(text, messaging.opt_out_text(business), always=True)
        return StaffText.OPTED_OUT, keyword.word
    if keyword.kind == keywords.OPT_IN:
        if not messaging.is_opted_out(business, number):
            return None  # just a word in an answer
        messaging.record_consent(business, number, ConsentEvent.OPT_IN, source=source, keyword=keyword.word, line=line)
        if line.keyword_replies == line.OURS:
            _tell(text, messaging.opt_in_text(business))
        return StaffText.OPTED_IN, keyword.word
    _tell(text, f"{business.name} textback: reply to an alert to answer that caller; start with its #code (like "
                "#K7) when several are waiting. Reply STOP to get no more texts.", always=True)  # fmt: skip
    return StaffText.HELPED, "help"


def _alerted(text: StaffText, window: timedelta):
    return Alert.objects.filter(
        line=text.line, to=text.from_number, channel=Alert.SMS, conversation__isnull=False,
        created_at__gte=timezone.now() - window,
    ).exclude(event=Alert.RELAY)  # fmt: skip


def pick_conversation(text: StaffText) -> tuple[Conversation | None, str]:
    """(the conversation this text answers, '') or (None, the help text to send back)."""
    code, body = split_code(text.body)
    text.answer = body
    if code:
        alert = _alerted(text, CODE_WINDOW).filter(code=code).order_by("-created_at", "-pk").first()
        if alert is None:
            return None, f"No caller has the code #{code} on this phone now; nothing was sent. {_codes_hint(text)}"
        return _conversation(alert.conversation_id), ""
    latest = {}
    for conversation_id, code in (
        _alerted(text, RELAY_WINDOW).order_by("-created_at", "-pk").values_list("conversation_id", "code")
    ):
        latest.setdefault(conversation_id, code)
    if not latest:
        return None, "Nothing to answer: no caller was alerted to this phone in the last 24 hours. Nothing was sent."
    if len(latest) == 1:
        return _conversation(next(iter(latest))), ""
    waiting = list(
        Conversation.objects.filter(pk__in=latest, awaiting_since__isnull=False).values_list("pk", flat=True)
    )
    if len(waiting) == 1:
        return _conversation(waiting[0]), ""
    return None, f"Not sent: several callers are waiting. {_codes_hint(text, latest)}"


def _codes_hint(text: StaffText, latest: dict | None = None) -> str:
    """'Start your reply with #K7 to answer Jane, #M3 to answer (512) 555-0148.' for the latest few."""
    if latest is None:
        latest = {}
        for conversation_id, code in (
            _alerted(text, RELAY_WINDOW).order_by("-created_at").values_list("conversation_id", "code")
        ):
            latest.setdefault(conversation_id, code)
    shown = list(latest.items())[:3]
    if not shown:
        return ""
    names = {c.pk: c for c in Conversation.objects.select_related("contact").filter(pk__in=[pk for pk, _ in shown])}
    parts = [f"#{code} to answer {compose.who(names[pk].contact)}" for pk, code in shown if pk in names and code]
    return f"Start your reply with {', '.join(parts)}." if parts else ""


def _conversation(pk: int) -> Conversation | None:
    return Conversation.objects.select_related("business", "line__account", "contact").filter(pk=pk).first()


def _answer(text: StaffText, conversation: Conversation) -> tuple[str, str]:
    text.conversation = conversation
    answer = getattr(text, "answer", "")
    if not answer:
        _tell(text, f"Write your answer after the code, like: #K7 On my way. Nothing was sent to "
                    f"{compose.who(conversation.contact)}.")  # fmt: skip
        return StaffText.HELPED, "empty answer"
    token = f"relay:{text.provider_message_id or uuid.uuid4().hex}"
    try:
        with transaction.atomic():
            text.message = do_staff_reply(conversation, text.membership.user, answer, token=token, via="sms")
    except Refused as exc:
        _tell(text, f"Not sent to {compose.who(conversation.contact)}: {exc}")
        return StaffText.NOT_SENT, str(exc)
    return StaffText.RELAYED, ""


def _tell(text: StaffText, words: str, *, always: bool = False) -> None:
    """Text the staff phone back from the line (through the outbox, like every alert)."""
    body = words
    if len(body) > 300:
        body = body[:297] + "..."
    channels.queue(
        business=text.line.business, event=Alert.RELAY, channel=Alert.SMS, key=f"relay:{text.pk}", to=text.from_number,
        body=body, line=text.line, membership=text.membership, payload={"always": always},
    )  # fmt: skip
