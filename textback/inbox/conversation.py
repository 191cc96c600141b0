"""The conversation page: one timeline, the reply box, and everything staff do to a conversation.

Each action is a small POST form: the view checks the role (`business_or_404(…, action=…)`), finds the
conversation through the business (another tenant's is 404), changes it with a `do_*` function of
messaging/conversations.py inside one transaction, and redirects with a message. A refused reply or note
is shown again with the text kept, so nobody loses what they typed.

Live updates: the page polls `conversation-live` every 2 s with the version it shows (If-None-Match);
an unchanged conversation answers 304 after two small queries (`live_state`), so an idle tab holds no
thread and costs next to nothing. Presence ("Mary is typing…") is a heartbeat POST every few seconds.
"""

import hashlib
import re
import uuid

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db import connection, transaction
from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_GET, require_POST

from textback.accounts.access import business_or_404, can, sees_conversation, visible_conversations
from textback.accounts.models import Membership
from textback.calls.models import Call
from textback.inbox import presence, timeline
from textback.lib.text import MAX_ID, input_problem, whole_number
from textback.messaging import templating
from textback.messaging.conversations import (
    MAX_NOTE,
    Refused,
    check_can_text,
    do_add_note,
    do_assign,
    do_close,
    do_mark_read,
    do_reopen,
    do_set_outcome,
    do_staff_reply,
)
from textback.messaging.models import CannedReply, ConsentEvent, Conversation, ConversationEvent, Message
from textback.messaging.models import MessageStatusEvent as StatusEvent

PAGE = "inbox/conversation.html"
LIVE = "inbox/_conversation_live.html"
MAX_REPLY_INPUT = 5000  # longer is refused before any other check (the reply limit itself is 1600)


# --- finding the conversation -----------------------------------------------------------------------


def _find(request, business, pk: int, *, lock: bool = False) -> Conversation:
    """The business's conversation, if this person may see its line (404 otherwise)."""
    found = visible_conversations(request.membership).select_related(
        "contact", "line", "line__account", "assignee", "outcome_by"
    )
    if lock:
        found = found.select_for_update(of=("self",))
    return get_object_or_404(found, business=business, pk=pk)


def _page_url(business, conversation_id: int, anchor: str = "") -> str:
    return reverse("conversation", args=[business.slug, conversation_id]) + (f"#{anchor}" if anchor else "")


# --- the page and its live part ---------------------------------------------------------------------


@login_required
@require_GET
def conversation(request, slug: str, pk: int):
    business = business_or_404(request, slug)
    convo = _find(request, business, pk)
    draft, canned_error = _canned_draft(request, business, convo)
    return _render_page(request, business, convo, draft=draft, canned_error=canned_error)


@login_required
@require_GET
def conversation_live(request, slug: str, pk: int):
    """The header and timeline alone, for the page's poll: 304 when nothing changed since `If-None-Match`."""
    business = business_or_404(request, slug)
    state = live_state(business.pk, pk, request.membership)
    if state is None:
        raise Http404("No such conversation")
    version, others = state
    etag = f'"{version}"'
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:
        convo = _find(request, business, pk)
        do_mark_read(convo, request.user)
        response = render(request, LIVE, _live_context(request, business, convo, version, others))
    response["ETag"] = etag
    response["Cache-Control"] = "no-store"
    return response


def _render_page(request, business, convo, *, status: int = 200, **extra):
    """The whole page; also what a refused reply or note comes back to, with the typed text kept."""
    version, others = live_state(business.pk, convo.pk, request.membership)
    with transaction.atomic():
        do_mark_read(convo, request.user)
        presence.do_heartbeat(convo, request.user)
    membership = request.membership
    context = {
        **_live_context(request, business, convo, version, others),
        "token": uuid.uuid4().hex,  # one per reply form shown: a double submit sends once
        "canned": _canned_choices(request, business, convo) if can(membership, "reply") else [],
        "members": _members(business) if can(membership, "assign") else [],
        "may": {action: can(membership, action) for action in ("reply", "note", "close", "assign", "set_outcome")},
        "outcomes": Conversation.OUTCOMES,
        "heartbeat_seconds": presence.HEARTBEAT_SECONDS,
        **extra,
    }
    return render(request, PAGE, context, status=status)


def _live_context(request, business, convo, version: str, others: list) -> dict:
    return {
        "business": business,
        "conversation": convo,
        "contact": convo.contact,
        "entries": timeline.load(convo),
        "verdict": check_can_text(convo),
        "others": others,
        "version": version,
        "assignee_name": presence.display_name(convo.assignee) if convo.assignee else "",
        "outcome_words": timeline.describe_outcome(convo),
        "waiting": _waiting(business, convo),
    }


def _waiting(business, convo) -> dict | None:
    """How long the caller has waited for a person's answer, coloured by the business's SLA settings."""
    if convo.awaiting_since is None:
        return None
    minutes = int((timezone.now() - convo.awaiting_since).total_seconds() // 60)
    css = "red" if minutes >= business.sla_red_minutes else "amber" if minutes >= business.sla_amber_minutes else ""
    since = date_format(timezone.localtime(convo.awaiting_since), "g:i a")
    return {"css": css, "words": f"{minutes} min, since {since}" if minutes else f"since {since}"}


def _members(business) -> list[Membership]:
    return list(
        Membership.objects.filter(business=business)
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user__username")
    )


# --- canned replies -------------------------------------------------------------------------------


def _merge_values(request, business, convo) -> dict:
    user = request.user
    return {
        "first_name": convo.contact.first_name,
        "business": business.name,
        "staff": user.first_name or convo.line.staff_name or presence.display_name(user),
        "line": convo.line.number,
    }


def _canned_choices(request, business, convo) -> list[dict]:
    values = _merge_values(request, business, convo)
    choices = []
    for reply in CannedReply.objects.filter(business=business).order_by("title"):
        try:
            text, problem = templating.render(reply.body, values), ""
        except templating.TemplateError as error:
            text, problem = "", f"cannot be used: {error}"
        choices.append({"pk": reply.pk, "title": reply.title, "text": text, "problem": problem})
    return choices


def _canned_draft(request, business, convo) -> tuple[str, str]:
    """The text of the canned reply asked for with ?canned=<id> (the page without script), or why not."""
    wanted = request.GET.get("canned", "")
    if not wanted:
        return "", ""
    pk = whole_number(wanted)
    reply = CannedReply.objects.filter(business=business, pk=pk).first() if pk is not None else None
    if reply is None:
        return "", "That canned reply does not exist (it may have just been deleted). Choose another one."
    try:
        return templating.render(reply.body, _merge_values(request, business, convo)), ""
    except templating.TemplateError as error:
        return "", f"The canned reply “{reply.title}” has a mistake and cannot be used: {error}."


# --- actions --------------------------------------------------------------------------------------


def _text(request, name: str, what: str, limit: int) -> str:
    value = request.POST.get(name, "").replace("\r\n", "\n")  # a form sends a textarea's line breaks as CRLF
    if problem := input_problem(value, limit):
        raise Refused(f"The {what} {problem}.")
    return value


FORM_TOKEN = re.compile(r"[A-Za-z0-9_-]{0,64}")


def _form_token(request) -> str:
    """The reply form's one-time token (uuid4 hex, see _render_page); other than letters, digits and dashes, it
    did not come from our page."""
    token = request.POST.get("token", "")
    if not FORM_TOKEN.fullmatch(token):
        raise Refused("This reply form is damaged or out of date; nothing was sent. Send it again from this page.")
    return token


@login_required
@require_POST
def reply(request, slug: str, pk: int):
    business = business_or_404(request, slug, "reply")
    convo = _find(request, business, pk)
    body = request.POST.get("body", "")
    try:
        body = _text(request, "body", "reply", MAX_REPLY_INPUT)
        token = _form_token(request)
        with transaction.atomic():
            convo = _find(request, business, pk, lock=True)
            do_staff_reply(convo, request.user, body, token=token)
    except Refused as refusal:
        return _render_page(request, business, convo, status=400, reply_error=str(refusal), draft=body)
    messages.success(request, f"Reply to {convo.contact} queued; its delivery status shows in the timeline.")
    return redirect(_page_url(business, convo.pk, "compose"))


@login_required
@require_POST
def note(request, slug: str, pk: int):
    business = business_or_404(request, slug, "note")
    convo = _find(request, business, pk)
    body = request.POST.get("body", "")
    try:
        body = _text(request, "body", "note", MAX_NOTE * 2)
        with transaction.atomic():
            convo = _find(request, business, pk, lock=True)
            do_add_note(convo, request.user, body)
    except Refused as refusal:
        return _render_page(request, business, convo, status=400, note_error=str(refusal), note_draft=body)
    messages.success(request, "Note added. Only your colleagues see it; it is never texted.")
    return redirect(_page_url(business, convo.pk, "compose"))


def _act(request, slug: str, pk: int, action: str, change) -> HttpResponse:
    """Run `change(conversation)` under the role `action` needs; its answer or refusal becomes the message."""
    business = business_or_404(request, slug, action)
    try:
        with transaction.atomic():
            convo = _find(request, business, pk, lock=True)
            done = change(convo)
    except Refused as refusal:
        messages.error(request, f"Not changed: {refusal}")
    else:
        messages.success(request, done)
    return redirect(_page_url(business, pk))


@login_required
@require_POST
def close(request, slug: str, pk: int):
    def change(convo):
        do_close(convo, request.user)
        return "Conversation closed. It opens again by itself when the caller writes."

    return _act(request, slug, pk, "close", change)


@login_required
@require_POST
def reopen(request, slug: str, pk: int):
    def change(convo):
        do_reopen(convo, request.user)
        return "Conversation reopened."

    return _act(request, slug, pk, "close", change)


@login_required
@require_POST
def assign(request, slug: str, pk: int):
    wanted = request.POST.get("assignee", "").strip()

    def change(convo):
        assignee = None
        if wanted:
            pk = whole_number(wanted)
            assignee = get_user_model().objects.filter(pk=pk).first() if pk is not None else None
            if assignee is None:
                raise Refused("That person does not work for this business.")
        do_assign(convo, request.user, assignee)
        return f"Assigned to {presence.display_name(assignee)}." if assignee else "Nobody is assigned now."

    return _act(request, slug, pk, "assign", change)


@login_required
@require_POST
def outcome(request, slug: str, pk: int):
    chosen = "" if "clear" in request.POST else request.POST.get("outcome", "").strip()

    def change(convo):
        if not chosen and "clear" not in request.POST:
            raise Refused("Choose an outcome first: booked, no-show, lost or spam.")
        value = _text(request, "value", "job value", 40)
        reason = _text(request, "reason", "reason", 400)
        do_set_outcome(convo, request.user, chosen, value=value, reason=reason)
        if not chosen:
            return "Outcome cleared."
        return f"Outcome set: {timeline.describe_outcome(convo)}."

    return _act(request, slug, pk, "set_outcome", change)


@login_required
@require_POST
def heartbeat(request, slug: str, pk: int):
    """The page is open (and its reply box being typed in, or not); `left=1` when the page goes away."""
    business = business_or_404(request, slug)
    convo = _find(request, business, pk)
    if request.POST.get("left"):
        presence.do_leave(convo, request.user)
    else:
        presence.do_heartbeat(convo, request.user, typing=request.POST.get("typing") == "1")
    return HttpResponse(status=204)


# --- the version the live part shows ---------------------------------------------------------------


def _version_sql() -> str:
    c, m, s, e, k, a = (
        model._meta.db_table for model in (Conversation, Message, StatusEvent, ConversationEvent, ConsentEvent, Call)
    )
    return f"""SELECT c.line_id, c.status, c.assignee_id, c.outcome, c.outcome_value, c.lost_reason, c.outcome_at,
        c.awaiting_since, c.last_message_at, ct.name, ct.is_landline, ct.is_invalid, l.active,
        (SELECT COUNT(*) FROM {m} m WHERE m.conversation_id = c.id),
        (SELECT MAX(m.status_at) FROM {m} m WHERE m.conversation_id = c.id),
        (SELECT MAX(se.id) FROM {s} se JOIN {m} m ON m.id = se.message_id WHERE m.conversation_id = c.id),
        (SELECT MAX(e.id) FROM {e} e WHERE e.conversation_id = c.id),
        (SELECT MAX(k.id) FROM {k} k WHERE k.business_id = c.business_id AND k.number = ct.number),
        (SELECT COUNT(*) FROM {a} a WHERE a.line_id = c.line_id AND a.contact_id = c.contact_id),
        (SELECT MAX(a.decided_at) FROM {a} a WHERE a.line_id = c.line_id AND a.contact_id = c.contact_id),
        (SELECT MAX(a.ended_at) FROM {a} a WHERE a.line_id = c.line_id AND a.contact_id = c.contact_id),
        (SELECT SUM(a.voicemail_seconds) FROM {a} a WHERE a.line_id = c.line_id AND a.contact_id = c.contact_id)
    FROM {c} c JOIN messaging_contact ct ON ct.id = c.contact_id JOIN providers_line l ON l.id = c.line_id
    WHERE c.id = %s AND c.business_id = %s"""


def live_state(business_id: int, pk: int, membership: Membership) -> tuple[str, list] | None:
    """A short fingerprint of everything the live part shows, and who else has the conversation open
    (None: no such conversation here). Two queries, each on an index: one row of counts and latest ids,
    and the fresh presence rows."""
    if pk > MAX_ID:  # no such row, and the database driver would refuse the number
        return None
    with connection.cursor() as cursor:
        cursor.execute(_version_sql(), [pk, business_id])
        row = cursor.fetchone()
    if row is None or not sees_conversation(membership, line_id=row[0], assignee_id=row[2]):
        return None
    others = presence.others_here(pk, membership.user)
    return hashlib.sha256(repr((row, others)).encode()).hexdigest()[:20], others
