"""The SMS relay: staff answer callers by texting the business line from their own phone.

A text to a business line from one of the business's own numbers (accounts/staff_numbers.py: another of
its lines, a phone any of its lines rings, a member's phone) is never a customer's: no contact, no
conversation, no automation. It is recorded as a StaffText with what the relay did, in this order:

1. From another of the business's lines: ignored and never answered (two lines would answer each other
   forever).
2. STOP, START and HELP are honoured like anyone's: STOP opts that phone out of every text from the
   business, alerts included.
3. From a member's phone that is not verified (its code, texted when it was set on My settings, was never
   typed back): not relayed and not answered. It may be a colleague's phone, so it gets no text-back and
   starts no conversation either; but textback texts an unverified phone nothing but its code (and the
   answers to its own STOP, START and HELP).
4. An automatic reply without a #code (autoreply.py: the stock words of "I'm driving" and Do Not Disturb
   replies, or a text arriving within seconds of an alert to the phone): recorded, neither relayed nor
   answered.
5. From a phone a line rings that is no member's: answered with how to link it (nobody to record an answer
   as), never relayed.
6. ACK (or "ACK #K7") from a verified member's phone acknowledges their emergency page (rules/paging.py),
   answered with what it did.
7. Otherwise the relay picks the conversation. A leading `#code` (`#K7 On my way`) answers the conversation
   whose alert to this phone, from this line, carried it within CODE_WINDOW. Without a code: only when
   exactly one conversation was alerted to this phone from this line within RELAY_WINDOW. All of a line's
   alerts arrive in one thread on the phone, so a reply says nothing about which alert it answers: with
   several, the phone gets the codes to choose from and no customer gets anything. Nothing alerted, or an
   unknown code: a help text back, nothing sent.

The answer goes to the caller from the business number through `do_staff_reply` (the one outbox path:
opt-out checks, automation canceled, the SLA clock stopped), sent by the member whose phone it is; when it
cannot be sent (the caller opted out, the line is off) the phone is told why. The first answer from a phone
to a conversation within RELAY_WINDOW is confirmed to it ("Sent to Jane (512) 555-0147."): every caller an
answer reaches is named to the phone once, at one extra text per conversation a day, not one per answer.
Help texts back are limited to HELP_LIMIT per phone and line in HELP_WINDOW, so a phone's automatic replies
and ours can never ping-pong.
"""

import re
import uuid
from datetime import timedelta
from itertools import product

from django.db import transaction
from django.utils import timezone

from textback.accounts import staff_numbers
from textback.accounts.models import Membership
from textback.alerts import autoreply, channels, compose
from textback.alerts.models import Alert, StaffText
from textback.lib import phone
from textback.messaging import actions as messaging
from textback.messaging import keywords
from textback.messaging.conversations import Refused, do_staff_reply
from textback.messaging.models import ConsentEvent, Conversation
from textback.rules import hooks as rules

RELAY_WINDOW = timedelta(hours=24)
CODE_WINDOW = timedelta(days=7)
HELP_LIMIT, HELP_WINDOW = 5, timedelta(minutes=10)
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


def intercept(inbound) -> bool:
    """Handle a text from one of the business's own numbers (True), or leave it to the customer path (False)."""
    line = inbound.line
    number = phone.facts(inbound.from_number, line.business.country).e164 or inbound.from_number[:64]
    known = staff_numbers.staff_number(line.business_id, number)
    if known is None:
        return False
    taken = StaffText.objects.filter(provider=inbound.provider, provider_message_id=inbound.provider_message_id)
    if inbound.provider_message_id and taken.exists():
        return True
    member = Membership.objects.select_related("user").get(pk=known.member_id) if known.member_id else None
    text = StaffText.objects.create(
        business_id=line.business_id, line=line, from_number=number, membership=member, body=inbound.body[:3200],
        provider=inbound.provider, provider_message_id=inbound.provider_message_id or None,
        outcome=StaffText.NOT_SENT, created_at=timezone.now(),
    )  # fmt: skip
    text.unanswered = False  # set by _help when the phone had texts enough
    outcome, detail = _act(text, inbound, known)
    if text.unanswered:
        detail += f" (not answered: {HELP_LIMIT} texts went back to this phone in the last 10 minutes)"
    StaffText.objects.filter(pk=text.pk).update(
        outcome=outcome, detail=detail[:300], conversation=text.conversation, message=text.message
    )
    return True


def _act(text: StaffText, inbound, known: staff_numbers.StaffNumber) -> tuple[str, str]:
    if known.line:
        return StaffText.IGNORED, "sent from one of the business's own lines"
    keyword = keywords.classify(text.body, inbound.provider_type)
    if keyword is not None:
        done = _keyword(text, keyword)
        if done:
            return done
    if text.membership is not None and not known.verified:
        return StaffText.UNVERIFIED, "the member's phone is not verified (My settings)"
    acked = rules.ack_by_text(text)  # before the automatic-reply check: an on-call person answers a page fast
    if acked is not None:
        took, words = acked
        if took:
            _tell(text, words)
            return StaffText.ACKED, words
        _help(text, words)
        return StaffText.HELPED, words
    automatic = _automatic(text)
    if automatic:
        return StaffText.AUTO_REPLY, automatic
    if text.membership is None:
        _help(text, "This phone is not linked to a textback user, so it cannot answer callers. Add it as your "
                    "phone on My settings in textback and type back the code it is texted.")  # fmt: skip
        return StaffText.HELPED, "not a member's phone"
    conversation, problem = pick_conversation(text)
    if conversation is None:
        _help(text, problem)
        return StaffText.HELPED, problem
    return _answer(text, conversation)


def _automatic(text: StaffText) -> str:
    """Why an uncoded text is taken for the phone's automatic reply ('' when it is a person's)."""
    if split_code(text.body)[0]:
        return ""  # a #code is typed by a person
    if autoreply.automatic_wording(text.body):
        return "an automatic reply's wording"
    latest = _latest_alert(text)
    if latest is not None and autoreply.too_soon(text.created_at, latest.sent_at or latest.created_at):
        return f"arrived within {autoreply.AUTO_REPLY_WINDOW.seconds} s of alert {latest.pk} to this phone"
    return ""


def _latest_alert(text: StaffText) -> Alert | None:
    """The newest alert texted to this phone from this line (not the relay's own answers to it)."""
    return (
        Alert.objects.filter(line=text.line, to=text.from_number, channel=Alert.SMS,
                             created_at__gte=text.created_at - timedelta(hours=1))
        .exclude(event=Alert.RELAY)
        .only("pk", "created_at", "sent_at")
        .order_by("-created_at", "-pk")
        .first()
    )  # fmt: skip


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
                "#K7) when several callers were alerted. Reply STOP to get no more texts.", always=True)  # fmt: skip
    return StaffText.HELPED, "help"


def _alerted(text: StaffText, window: timedelta):
    return Alert.objects.filter(
        line=text.line, to=text.from_number, channel=Alert.SMS, conversation__isnull=False,
        created_at__gte=timezone.now() - window,
    ).exclude(event=Alert.RELAY)  # fmt: skip


def _alerted_latest_first(text: StaffText) -> dict[int, str]:
    """{conversation id: its code} for the conversations alerted to this phone within RELAY_WINDOW, newest first."""
    latest: dict[int, str] = {}
    for conversation_id, code in (
        _alerted(text, RELAY_WINDOW).order_by("-created_at", "-pk").values_list("conversation_id", "code")
    ):
        latest.setdefault(conversation_id, code)
    return latest


def pick_conversation(text: StaffText) -> tuple[Conversation | None, str]:
    """(the conversation this text answers, '') or (None, the help text to send back).

    Without a code, only a phone alerted about exactly one conversation within RELAY_WINDOW has an answer
    that can mean nobody else."""
    code, body = split_code(text.body)
    text.answer = body
    if code:
        alert = _alerted(text, CODE_WINDOW).filter(code=code).order_by("-created_at", "-pk").first()
        if alert is None:
            return None, f"No caller has the code #{code} on this phone now; nothing was sent. {_codes_hint(text)}"
        return _conversation(alert.conversation_id), ""
    latest = _alerted_latest_first(text)
    if not latest:
        return None, "Nothing to answer: no caller was alerted to this phone in the last 24 hours. Nothing was sent."
    if len(latest) == 1:
        return _conversation(next(iter(latest))), ""
    return None, (
        f"Not sent: {len(latest)} callers were alerted to this phone in the last 24 hours. {_codes_hint(text, latest)}"
    )


def _codes_hint(text: StaffText, latest: dict | None = None) -> str:
    """'Start your reply with #K7 to answer Jane, #M3 to answer (512) 555-0148.' for the latest few."""
    shown = list((latest if latest is not None else _alerted_latest_first(text)).items())[:3]
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
        _help(text, f"Write your answer after the code, like: #K7 On my way. Nothing was sent to "
                    f"{compose.who(conversation.contact)}.")  # fmt: skip
        return StaffText.HELPED, "empty answer"
    token = f"relay:{text.provider_message_id or uuid.uuid4().hex}"
    try:
        with transaction.atomic():
            text.message = do_staff_reply(conversation, text.membership.user, answer, token=token, via="sms")
    except Refused as exc:
        _help(text, f"Not sent to {compose.who(conversation.contact)}: {exc}")
        return StaffText.NOT_SENT, str(exc)
    if not _answered_before(text, conversation):
        _tell(text, f"Sent to {compose.who(conversation.contact)}.")
    return StaffText.RELAYED, ""


def _answered_before(text: StaffText, conversation: Conversation) -> bool:
    """Whether this phone's answers already reached this conversation within RELAY_WINDOW (and were confirmed)."""
    return (
        StaffText.objects.filter(line=text.line, from_number=text.from_number, conversation=conversation,
                                 outcome=StaffText.RELAYED, created_at__gte=text.created_at - RELAY_WINDOW)
        .exclude(pk=text.pk)
        .exists()
    )  # fmt: skip


def _help(text: StaffText, words: str) -> None:
    """Tell the phone why nothing was sent, unless HELP_LIMIT texts went to it from this line in HELP_WINDOW
    (a machine answering our texts would otherwise get one back for each of its own)."""
    recent = Alert.objects.filter(
        line=text.line, to=text.from_number, event=Alert.RELAY, created_at__gte=text.created_at - HELP_WINDOW
    )
    if recent.count() >= HELP_LIMIT:
        text.unanswered = True
        return
    _tell(text, words)


def _tell(text: StaffText, words: str, *, always: bool = False) -> None:
    """Text the staff phone back from the line (through the outbox, like every alert)."""
    body = words
    if len(body) > 300:
        body = body[:297] + "..."
    channels.queue(
        business=text.line.business, event=Alert.RELAY, channel=Alert.SMS, key=f"relay:{text.pk}", to=text.from_number,
        body=body, line=text.line, membership=text.membership, payload={"always": always},
    )  # fmt: skip
