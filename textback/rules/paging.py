"""Paging the on-call person about an emergency, their acknowledgement, and the escalation.

A caller's reply that takes the emergency route (routes.py) starts a Page inside the webhook's
transaction: the on-call order at that moment (oncall.py) is written on it as steps, the first step
is paged at once (a text to each person's verified phone from the business line, and an email: the
alert channels of textback/alerts), the caller is told once that a person has been paged, and one
outbox row is written for page time + the business's escalation minutes. When that row falls due and
nobody has acknowledged, the next step is paged and the next row written, until someone acknowledges
or the steps run out (the owners are the last step). Every step is a ConversationEvent on the
conversation's timeline. An acknowledgement (ACK from a paged phone through the SMS relay, or the
button on the conversation page) cancels the pending row in its own transaction. Nothing waits in
memory: a restart loses nothing.
"""

import re
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from textback.accounts.models import Membership
from textback.alerts import channels, compose, relay
from textback.alerts.models import Alert
from textback.inbox.presence import display_name
from textback.messaging import actions as messaging
from textback.messaging.models import ConversationEvent, Message
from textback.outbox import wake, worker
from textback.outbox.models import OutboxItem
from textback.rules import oncall
from textback.rules.models import OnCallPerson, OnCallPolicy, OnCallSlot, Page

ESCALATE = "oncall_escalate"
PAGED_CONFIRMATION = "emergency_paged"  # the caller's "a person has been paged" (a Message purpose)
# Timeline events (ConversationEvent.kind); their sentence is in the body.
PAGED, ACKED, UNREACHABLE, EXHAUSTED = "oncall_paged", "oncall_acked", "oncall_unreachable", "oncall_exhausted"
EVENT_KINDS = frozenset({PAGED, ACKED, UNREACHABLE, EXHAUSTED})
ACK_WINDOW = timedelta(hours=24)  # an ACK answers a page texted to the phone within this time
_ACK = re.compile(r"\s*(?:#([a-z][0-9]{1,2})\s+)?ack(?:nowledged?)?\s*(?:#([a-z][0-9]{1,2}))?[\s.!]*", re.IGNORECASE)


def escalate_minutes(business) -> int:
    policy = OnCallPolicy.objects.filter(business=business).first()
    return policy.escalate_minutes if policy else OnCallPolicy.DEFAULT_ESCALATE_MINUTES


def schedule_of(business) -> oncall.Schedule:
    """The business's on-call schedule as the pure rule reads it."""
    slots = OnCallSlot.objects.filter(business=business).values_list("weekday", "starts", "ends", "membership_id")
    order = OnCallPerson.objects.filter(business=business).values_list("membership_id", flat=True)
    owners = Membership.objects.filter(business=business, role=Membership.OWNER).order_by("pk")
    return oncall.Schedule(
        business.time_zone, tuple(oncall.Slot(*row) for row in slots), tuple(order),
        tuple(owners.values_list("pk", flat=True)),
    )  # fmt: skip


def open_page(conversation_id: int) -> Page | None:
    return Page.objects.filter(conversation_id=conversation_id, status=Page.OPEN).order_by("-pk").first()


def do_page(message: Message, word: str) -> Page:
    """Start paging about the caller's emergency (once: a second emergency text while a page is open only
    joins it). Inside the transaction that recorded the message."""
    existing = open_page(message.conversation_id)
    if existing is not None:
        return existing
    business, now = message.business, timezone.now()
    schedule = schedule_of(business)
    page = Page.objects.create(
        business=business, conversation_id=message.conversation_id, message=message, word=word[:60],
        steps=oncall.steps(oncall.on_call(schedule, now), schedule.owners), step=0,
        escalate_minutes=escalate_minutes(business), started_at=now, paged_at=now,
    )  # fmt: skip
    _event(page, PAGED, f"Emergency (\u201c{word}\u201d): " + _page_from(page, 0, message))
    _tell_caller(message)
    return page


def _page_from(page: Page, step: int, message: Message) -> str:
    """Page step `step`, or the first step after it that reaches someone; what happened, as a sentence."""
    skipped = []
    while step < len(page.steps):
        reached, unreachable = _page_step(page, step, message)
        skipped += unreachable
        if reached:
            Page.objects.filter(pk=page.pk).update(step=step, paged_at=timezone.now())
            page.step = step
            _schedule_escalation(page, step)
            note = f" ({_and(skipped)}: no verified phone or email)" if skipped else ""
            return f"paged {_and(reached)}{note}"
        step += 1
    Page.objects.filter(pk=page.pk).update(status=Page.EXHAUSTED, step=max(len(page.steps) - 1, 0))
    page.status = Page.EXHAUSTED
    why = f"{_and(skipped)} cannot be reached (no verified phone or email)" if skipped else "nobody is on call"
    return f"nobody could be paged: {why}"


def _page_step(page: Page, step: int, message: Message) -> tuple[list[str], list[str]]:
    """Queue the step's texts and emails; (the names reached, the names with no channel)."""
    people = Membership.objects.filter(pk__in=page.steps[step]).select_related("user")
    reached, unreachable = [], []
    for person in sorted(people, key=lambda m: page.steps[step].index(m.pk)):
        sent = _text(page, step, person, message) + _email(page, step, person, message)
        (reached if sent else unreachable).append(display_name(person.user))
        if sent:
            _instead_of_the_reply_alert(message, person)
    return reached, unreachable


def _instead_of_the_reply_alert(message: Message, person: Membership) -> None:
    """The page carries the caller's words: the ordinary alert about the same text to the same person, not
    sent yet, is taken back (one phone buzzing twice for one text helps nobody)."""
    waiting = Alert.objects.filter(
        event=Alert.REPLY, membership=person, key__startswith=f"alert:reply:{message.pk}:", status=Alert.QUEUED
    )
    for alert in waiting:
        channels.cancel(alert, "paged", "an emergency page about the same text went instead")


def _text(page: Page, step: int, person: Membership, message: Message) -> int:
    if not person.phone_is_verified:
        return 0
    code = relay.code_for(message.line, person.phone, page.conversation_id)
    body = compose.fit(
        f"EMERGENCY from {compose.who(message.contact)}: ", message.body,
        f" - reply ACK #{code} to take it, or #{code} and your answer to text them.",
    )  # fmt: skip
    channels.queue(
        business=page.business, event=Alert.PAGE, channel=Alert.SMS, key=f"page:{page.pk}:{step}:sms:m{person.pk}",
        to=person.phone, body=body, line=message.line, membership=person, conversation_id=page.conversation_id,
        code=code, payload={"page": page.pk},
    )  # fmt: skip
    return 1


def _email(page: Page, step: int, person: Membership, message: Message) -> int:
    if not person.user.email:
        return 0
    url = compose.conversation_url(page.business, page.conversation_id)
    body = (
        f"{compose.who(message.contact)} texted {page.business.name} about an emergency:\n\n    {message.body}\n\n"
        f"You are on call. Acknowledge on the conversation page, or reply ACK to the text on your phone:\n{url}\n\n"
        f"Nobody acknowledging within {page.escalate_minutes} minutes pages the next person on call."
    )
    channels.queue(
        business=page.business, event=Alert.PAGE, channel=Alert.EMAIL, key=f"page:{page.pk}:{step}:email:m{person.pk}",
        to=person.user.email, subject=f"EMERGENCY: {compose.who(message.contact)} needs you", body=body,
        membership=person, conversation_id=page.conversation_id, line=message.line, payload={"page": page.pk},
    )  # fmt: skip
    return 1


def caller_text(business) -> str:
    return (
        f"{business.name}: we have paged our on-call person about your emergency; they will contact you shortly. "
        "If anyone is in danger, call 911."
    )


def _tell_caller(message: Message) -> None:
    """'A person has been paged', once per emergency (the page's key), unless the caller's automation is paused."""
    if message.contact.automation_paused_at is not None:
        return
    now = timezone.now()
    messaging.queue_text(
        line=message.line, contact=message.contact, body=caller_text(message.business), purpose=PAGED_CONFIRMATION,
        key=f"{PAGED_CONFIRMATION}:{message.pk}", due_at=now, expires_at=now + messaging.REPLY_WINDOW,
    )  # fmt: skip


def _schedule_escalation(page: Page, step: int) -> None:
    due = timezone.now() + timedelta(minutes=page.escalate_minutes)
    OutboxItem.objects.create(
        business=page.business, kind=ESCALATE, idempotency_key=f"{ESCALATE}:{page.pk}:{step + 1}", due_at=due,
        payload={"page": page.pk, "step": step + 1}, created_at=timezone.now(),
    )  # fmt: skip
    wake.after_commit(due)


def _cancel_escalation(page: Page, why: str) -> int:
    return OutboxItem.objects.filter(
        business=page.business,
        kind=ESCALATE,
        status=OutboxItem.PENDING,
        idempotency_key__startswith=f"{ESCALATE}:{page.pk}:",
    ).update(status=OutboxItem.CANCELED, result=why[:40], finished_at=timezone.now())


def _event(page: Page, kind: str, sentence: str, actor=None) -> None:
    ConversationEvent.objects.create(
        business=page.business, conversation_id=page.conversation_id, kind=kind, actor=actor,
        body=sentence, at=timezone.now(),
    )  # fmt: skip


# The first step's sentence quotes the caller's word: "Emergency (“water everywhere”): paged Mike".
_QUOTED = re.compile(r"^Emergency \(\u201c.*?\u201d\):", re.DOTALL)


def forget_quoted_words(events) -> int:
    """Of these timeline events (a ConversationEvent queryset), drop the caller's word the first page quotes;
    what happened (who was paged) stays. Pages are rare: one update per event is cheap."""
    forgotten = 0
    for pk, body in events.filter(kind=PAGED, body__startswith="Emergency (").values_list("pk", "body"):
        forgotten += ConversationEvent.objects.filter(pk=pk).update(body=_QUOTED.sub("Emergency:", body, count=1))
    return forgotten


def stop_for_erasure(business, conversation_ids: list[int]) -> int:
    """The caller's data is being erased: nobody is paged any more about a person no longer on record, with
    an empty page and a hashed number. Their open pages end, the pending escalations and page texts not sent
    yet are canceled, and the word that matched is forgotten. Inside the erasure's transaction."""
    pages = list(
        Page.objects.select_for_update().filter(
            business=business, conversation_id__in=conversation_ids, status=Page.OPEN
        )
    )
    for page in pages:
        _cancel_escalation(page, "the caller's data was erased")
        _event(page, EXHAUSTED, "Paging stopped: the caller's data was erased")
    Page.objects.filter(pk__in=[page.pk for page in pages]).update(status=Page.EXHAUSTED)
    waiting = Alert.objects.filter(
        business=business, event=Alert.PAGE, conversation_id__in=conversation_ids, status=Alert.QUEUED
    )
    for alert in waiting:
        channels.cancel(alert, "erased", "the caller's data was erased")
    Page.objects.filter(business=business, conversation_id__in=conversation_ids).exclude(word="").update(word="")
    return len(pages)


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# --- acknowledgement --------------------------------------------------------------------------------


def do_ack(page: Page, membership: Membership, via: str) -> bool:
    """`membership` takes the emergency: the page stops and its escalation is canceled, in the caller's
    transaction. False when someone acknowledged it first."""
    # A page nobody acknowledged in time (exhausted) still takes a late ACK: someone has it now.
    locked = Page.objects.select_for_update().filter(pk=page.pk).exclude(status=Page.ACKED).first()
    if locked is None:
        return False
    now = timezone.now()
    Page.objects.filter(pk=page.pk).update(status=Page.ACKED, acked_at=now, acked_by=membership)
    page.status, page.acked_at, page.acked_by = Page.ACKED, now, membership
    _cancel_escalation(page, "acknowledged")
    minutes = max(int((now - page.started_at).total_seconds() // 60), 0)
    _event(page, ACKED, f"{display_name(membership.user)} acknowledged {via} ({minutes} min after the first page)",
           actor=membership.user)  # fmt: skip
    return True


def parse_ack(body: str) -> tuple[bool, str]:
    """(True, 'K7') for 'ACK #k7' or '#K7 ack'; (True, '') for a bare 'ACK'; (False, '') otherwise."""
    found = _ACK.fullmatch(body or "")
    if not found:
        return False, ""
    return True, (found.group(1) or found.group(2) or "").upper()


def page_for_phone(line, number: str, membership: Membership, code: str) -> Page | None:
    """The page this phone's ACK means: among the pages texted to it (with `code`, only that code's) within
    ACK_WINDOW, the latest still waiting for someone, else the latest."""
    since = timezone.now() - ACK_WINDOW
    alerts = Alert.objects.filter(
        line=line, to=number, event=Alert.PAGE, channel=Alert.SMS, membership=membership, created_at__gte=since
    )
    if code:
        alerts = alerts.filter(code=code)
    ids = list(dict.fromkeys(alerts.order_by("-created_at", "-pk").values_list("payload__page", flat=True)[:20]))
    pages = {p.pk: p for p in Page.objects.filter(pk__in=ids, business_id=line.business_id)}
    found = [pages[pk] for pk in ids if pk in pages]
    waiting = [page for page in found if page.status != Page.ACKED]
    return (waiting or found or [None])[0]


def ack_by_text(text) -> tuple[bool, str] | None:
    """The relay's hook (alerts/relay.py): a verified phone's ACK. None when the text is no ACK; else whether
    it took the emergency, and what to text back."""
    is_ack, code = parse_ack(text.body)
    if not is_ack or text.membership is None:
        return None
    page = page_for_phone(text.line, text.from_number, text.membership, code)
    if page is None:
        which = f" with the code #{code}" if code else ""
        return False, f"No emergency page{which} to acknowledge on this phone; nothing changed."
    with transaction.atomic():
        done = do_ack(page, text.membership, "by text")
    text.conversation = page.conversation
    contact = page.conversation.contact
    if not done:
        page.refresh_from_db()
        who = display_name(page.acked_by.user) if page.acked_by else "someone"
        return False, f"The emergency of {compose.who(contact)} was acknowledged already, by {who}."
    return True, f"Acknowledged: {compose.who(contact)} is yours. Text them, or reply #code and your answer."


# --- escalation ------------------------------------------------------------------------------------


@worker.handles(ESCALATE, lane=worker.TEXTS)
def escalate(item: OutboxItem, reconcile: bool) -> None:
    """Nobody acknowledged the last step in time: page the next one (or record that nobody is left)."""
    with transaction.atomic():
        if not worker.still_ours(item):
            return
        step = item.payload.get("step", 0)
        page = Page.objects.select_for_update().filter(pk=item.payload.get("page"), business=item.business_id).first()
        if page is None or page.status != Page.OPEN or page.step != step - 1:
            worker.finish(item, OutboxItem.DONE, "not_needed")
            return
        worker.finish(item, OutboxItem.DONE, _escalate(page, step))


def _escalate(page: Page, step: int) -> str:
    message = Message.objects.select_related("business", "line__account", "contact").filter(pk=page.message_id).first()
    missed = _and(_names(page.steps[step - 1]))
    waited = f"No answer from {missed} in {page.escalate_minutes} min"
    if message is None or step >= len(page.steps):
        Page.objects.filter(pk=page.pk).update(status=Page.EXHAUSTED)
        _event(page, EXHAUSTED, f"{waited}: nobody is left to page")
        return "exhausted"
    page.business = message.business
    done = _page_from(page, step, message)
    _event(page, PAGED if page.status == Page.OPEN else EXHAUSTED, f"{waited}: {done}")
    return f"step:{page.step}"


def _names(ids: list[int]) -> list[str]:
    people = {m.pk: m for m in Membership.objects.filter(pk__in=ids).select_related("user")}
    return [display_name(people[pk].user) if pk in people else "a former colleague" for pk in ids] or ["nobody"]


# --- on the conversation page --------------------------------------------------------------------


def page_to_ack(conversation_id: int) -> Page | None:
    """The conversation's latest page nobody has acknowledged (still paging, or nobody was left)."""
    return Page.objects.filter(conversation_id=conversation_id).exclude(status=Page.ACKED).order_by("-pk").first()


def banner(conversation_id: int) -> str:
    """What the conversation page says about an unacknowledged emergency ('' when there is none)."""
    page = page_to_ack(conversation_id)
    if page is None:
        return ""
    if page.status == Page.EXHAUSTED:
        return "Emergency: nobody acknowledged the page."
    names = _and(_names(page.steps[page.step])) if page.steps else "nobody"
    return f"Emergency: {names} paged at {compose.clock(page.paged_at, page.business.time_zone)}, not acknowledged yet."
