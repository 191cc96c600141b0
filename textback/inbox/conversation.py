"""The conversation page: one timeline, the reply box, and everything staff do to a conversation.

Each action is a small POST form: the view checks the role (`business_or_404(…, action=…)`), finds the
conversation through the business (another tenant's is 404), changes it with a `do_*` function of
messaging/conversations.py inside one transaction, and redirects with a message. A refused reply or note
is shown again with the text kept, so nobody loses what they typed.

A long thread is paged (timeline.py): the page opens on the newest 50 entries; "Earlier" asks
`conversation-earlier` for the 50 before them and htmx puts them on top (without script it is a link to
the page with `?before=`, which shows those 50 alone, and no live part).

Live updates: the page polls `conversation-live` every 1.5 s (live.POLL_EVERY) with the version it shows
(If-None-Match) and `since`, the first entry it opened on (the very start when it shows the whole
thread); the live part re-renders the header and every entry from `since` on, so what arrives is added
below and nothing shown goes missing, while the earlier entries loaded above stay as they were loaded
(htmx keeps that block, hx-preserve). Past LIVE_MAX entries from `since`, it starts over from the newest
50 (a new `since`, a new Earlier control). An unchanged conversation answers 304 after two small queries
(`live_state`) that read only that window, so an idle tab holds no thread and costs next to nothing
whatever the thread's length. Presence ("Mary is typing…") is a heartbeat POST every few seconds.
"""

import functools
import hashlib
import re
import uuid
import zoneinfo

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db import connection, transaction
from django.http import Http404, HttpResponse, HttpResponseBadRequest, HttpResponseNotModified
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_GET, require_POST

from textback.accounts import hours
from textback.accounts.access import business_or_404, can, sees_conversation, visible_conversations
from textback.accounts.models import Membership
from textback.calls.models import Call
from textback.inbox import live as live_poll
from textback.inbox import presence, timeline
from textback.lib import hours as lib_hours
from textback.lib.text import MAX_ID, input_problem, whole_number
from textback.messaging import autoresponders, revocations, templating
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
from textback.rules import actions as rules
from textback.rules import hooks as rule_hooks

PAGE = "inbox/conversation.html"
LIVE = "inbox/_conversation_live.html"
EARLIER = "inbox/_timeline_earlier.html"
BROKEN_EARLIER = "That link to earlier entries is broken; here are the newest ones."
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
    if "before" not in request.GET:
        return _render_page(request, business, convo, draft=draft, canned_error=canned_error)
    older_than = timeline.Key.parse(request.GET["before"])
    if older_than is None:
        return _render_page(
            request, business, convo, status=400, draft=draft, canned_error=canned_error, timeline_error=BROKEN_EARLIER
        )
    return _render_page(request, business, convo, older_than=older_than, draft=draft, canned_error=canned_error)


@login_required
@require_GET
def conversation_live(request, slug: str, pk: int):
    """The header and the timeline from `since` on, for the page's poll: 304 when nothing changed since
    `If-None-Match`. Without `since` (a page from before paging), from the start."""
    business = business_or_404(request, slug)
    since = timeline.Key.parse(request.GET.get("since", timeline.START.encode()))
    if since is None:
        return HttpResponseBadRequest("This page is out of date: reload it.")
    state = live_state(business.pk, pk, request.membership, since)
    if state is None:
        raise Http404("No such conversation")
    etag = f'"{_version(state, since)}"'
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:
        convo = _find(request, business, pk)
        do_mark_read(convo, request.user)
        entries = timeline.since(convo, since)
        if entries is None:  # more arrived than the live part re-renders: start over from the newest window
            window = timeline.newest(convo)
            since = _since(window)
        else:
            window = timeline.Window(entries, more=False)
        response = render(request, LIVE, _live_context(request, business, convo, window, since, etag[1:-1], state[1]))
    response["ETag"] = etag
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def conversation_earlier(request, slug: str, pk: int):
    """The entries just before `before`, for the page's "Earlier" control: htmx puts them above."""
    business = business_or_404(request, slug)
    convo = _find(request, business, pk)
    older_than = timeline.Key.parse(request.GET.get("before", ""))
    context = {"business": business, "conversation": convo}
    if older_than is None:
        return render(request, EARLIER, {**context, "broken": True}, status=400)
    window = timeline.before(convo, older_than)
    return render(request, EARLIER, {**context, "entries": window.entries, "earlier": _earlier(window)})


def _render_page(request, business, convo, *, status: int = 200, older_than=None, **extra):
    """The whole page; also what a refused reply or note comes back to, with the typed text kept.
    With `older_than`, the entries just before it (the "Earlier" link without script)."""
    with transaction.atomic():
        do_mark_read(convo, request.user)
        presence.do_heartbeat(convo, request.user)
    if older_than is None:
        live = _newest_part(request, business, convo)
    else:
        live = _past_part(request, business, convo, older_than)
    membership = request.membership
    context = {
        **live,
        "token": uuid.uuid4().hex,  # one per reply form shown: a double submit sends once
        "canned": _canned_choices(request, business, convo) if can(membership, "reply") else [],
        "members": _members(business) if can(membership, "assign") else [],
        "may": {action: can(membership, action) for action in ("reply", "note", "close", "assign", "set_outcome")},
        "outcomes": Conversation.OUTCOMES,
        "heartbeat_seconds": presence.HEARTBEAT_SECONDS,
        "poll_every": live_poll.POLL_EVERY,
        "followups": _pending_followups(business, convo),
        **extra,
    }
    return render(request, PAGE, context, status=status)


def _pending_followups(business, convo) -> list[dict]:
    """The follow-ups still to go, with when each is next looked at, in the business's time zone."""
    zone = zoneinfo.ZoneInfo(business.time_zone)
    return [
        {"message": message, "due": due, "when": date_format(due.astimezone(zone), "D M j, g:i a")}
        for message, due in rules.pending_followups(convo)
    ]


def _newest_part(request, business, convo) -> dict:
    """The live part as the page opens on it; its version is read before its entries, so that anything
    that changes in between is shown by the first poll."""
    state = live_state(business.pk, convo.pk, request.membership, None)
    window = timeline.newest(convo)
    since = _since(window)
    return _live_context(request, business, convo, window, since, _version(state, since), state[1])


def _past_part(request, business, convo, older_than: timeline.Key) -> dict:
    """The entries just before `older_than`, and no live part: a page of the past does not poll."""
    others = presence.others_here(convo.pk, request.user)
    return _live_context(request, business, convo, timeline.before(convo, older_than), None, "", others)


def _since(window: timeline.Window) -> timeline.Key:
    """Where the live part of a page showing the newest `window` begins: its first entry, or the very
    start when nothing is before it (so a short thread stays whole however much arrives)."""
    return window.first if window.more else timeline.START


def _earlier(window: timeline.Window) -> str:
    """The "Earlier" control's cursor ('' when the window begins the conversation)."""
    return window.first.encode() if window.more else ""


def _live_context(request, business, convo, window, since, version: str, others: list) -> dict:
    return {
        "business": business,
        "conversation": convo,
        "contact": convo.contact,
        "entries": window.entries,
        "earlier": _earlier(window),
        "since": since.encode() if since else "",  # '' on a page of earlier entries: it has no live part
        "verdict": check_can_text(convo),
        "others": others,
        "version": version,
        "assignee_name": presence.display_name(convo.assignee) if convo.assignee else "",
        "outcome_words": timeline.describe_outcome(convo),
        "waiting": _waiting(business, convo),
        "possible_opt_out": revocations.pending_phrase(convo.contact),  # a borderline opt-out staff must decide
        "may_decide_opt_out": can(request.membership, "reply"),
        "paging": rule_hooks.banner(convo.pk) if _pages_shown(window) else "",
    }


def _pages_shown(window) -> bool:
    """Whether the entries shown hold an emergency page (rules/paging.py): only then is the page's state read,
    so an ordinary conversation's live part costs no extra query."""
    return any(e.kind == timeline.EVENT and e.item.kind.startswith("oncall_") for e in window.entries)


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
    schedule = functools.cache(lambda: hours.schedule_of(business, convo.line))  # read only if a reply uses it
    now = timezone.now()
    return {
        "first_name": convo.contact.first_name,
        "business": business.name,
        "staff": user.first_name or convo.line.staff_name or presence.display_name(user),
        "line": convo.line.number,
        "booking_link": business.booking_link,
        "hours_today": lambda: lib_hours.hours_today(schedule(), now),
        "next_open": lambda: lib_hours.next_open_words(schedule(), now),
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
def cancel_followups(request, slug: str, pk: int):
    """Anyone who may reply may stop the automation's follow-ups to this caller."""

    def change(convo):
        canceled = rules.do_cancel_followups(convo, request.user)
        return f"Canceled {canceled} follow-up(s)." if canceled else "No follow-up was waiting."

    return _act(request, slug, pk, "reply", change)


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
def resume_automation(request, slug: str, pk: int):
    def change(convo):
        if not autoresponders.do_resume(convo, request.user):
            raise Refused("automatic texts to this caller were not paused.")
        return f"Automatic texts to {convo.contact} are on again."

    return _act(request, slug, pk, "reply", change)


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


def _version_sql(newest: bool) -> str:
    """One row of everything the live part shows: the header's fields, and what the timeline's entries
    from a time on look like — `since`, or for the `newest` window the time of its PAGE-th newest entry
    (else the beginning): how many texts, notes and consent events there are from then on (a count also
    sees a row committed late), the latest status time of those texts and the latest delivery report
    about them, and the caller's calls on this line. Each subquery walks an index over those rows only
    (the calls over the caller's calls, as few as they are).

    The poll's `since` is a value the planner sees, so it can seek the (…, time) indexes from there;
    the newest window's start is a CTE used more than once, so it is computed once."""
    c, m, s, e, k, a = (
        model._meta.db_table for model in (Conversation, Message, StatusEvent, ConversationEvent, ConsentEvent, Call)
    )
    start = "(SELECT t FROM start)" if newest else "%(since)s"
    texts = f"FROM {m} m WHERE m.conversation_id = convo.id AND m.created_at >= {start}"
    calls = f"FROM {a} a WHERE a.contact_id = convo.contact_id AND a.line_id = convo.line_id"
    return f"""WITH convo AS (
        SELECT c.id, c.business_id, c.line_id, c.contact_id, ct.number, c.status, c.assignee_id, c.outcome,
            c.outcome_value, c.lost_reason, c.outcome_at, c.awaiting_since, c.last_message_at, ct.name,
            ct.is_landline, ct.is_invalid, l.active
        FROM {c} c JOIN messaging_contact ct ON ct.id = c.contact_id JOIN providers_line l ON l.id = c.line_id
        WHERE c.id = %(pk)s AND c.business_id = %(business)s
    ){_newest_start_sql() if newest else ""}
    SELECT convo.line_id, convo.status, convo.assignee_id, convo.outcome, convo.outcome_value, convo.lost_reason,
        convo.outcome_at, convo.awaiting_since, convo.last_message_at, convo.name, convo.is_landline,
        convo.is_invalid, convo.active,
        (SELECT COUNT(*) {texts}), (SELECT MAX(m.status_at) {texts}),
        (SELECT MAX((SELECT MAX(se.id) FROM {s} se WHERE se.message_id = m.id)) {texts}),
        (SELECT COUNT(*) FROM {e} e WHERE e.conversation_id = convo.id AND e.at >= {start}),
        (SELECT COUNT(*) FROM {k} k
            WHERE k.business_id = convo.business_id AND k.number = convo.number AND k.created_at >= {start}),
        (SELECT COUNT(*) {calls}), (SELECT MAX(a.decided_at) {calls}), (SELECT MAX(a.ended_at) {calls}),
        (SELECT SUM(a.voicemail_seconds) {calls})
    FROM convo"""


def _newest_start_sql() -> str:
    """`start`: the time of the PAGE-th newest entry of any kind, else the beginning (each kind's newest
    PAGE on its index, then the PAGE-th of those)."""
    m, e, k, a = (model._meta.db_table for model in (Message, ConversationEvent, ConsentEvent, Call))
    n = timeline.PAGE
    return f""", recent (t) AS (
        SELECT t FROM (SELECT m.created_at AS t FROM {m} m WHERE m.conversation_id = %(pk)s
            ORDER BY m.created_at DESC LIMIT {n}) r1
        UNION ALL SELECT t FROM (SELECT a.started_at AS t FROM {a} a WHERE a.contact_id = (SELECT contact_id FROM convo)
            AND a.line_id = (SELECT line_id FROM convo) ORDER BY a.started_at DESC LIMIT {n}) r2
        UNION ALL SELECT t FROM (SELECT k.created_at AS t FROM {k} k WHERE k.business_id = %(business)s
            AND k.number = (SELECT number FROM convo) ORDER BY k.created_at DESC LIMIT {n}) r3
        UNION ALL SELECT t FROM (SELECT e.at AS t FROM {e} e WHERE e.conversation_id = %(pk)s
            ORDER BY e.at DESC LIMIT {n}) r4
    ), start (t) AS (
        SELECT COALESCE((SELECT t FROM recent ORDER BY t DESC LIMIT 1 OFFSET {n - 1}), %(epoch)s)
    )"""


def live_state(business_id: int, pk: int, membership: Membership, since) -> tuple[tuple, list] | None:
    """What the live part showing the timeline from `since` (None: the newest window) depends on, and
    who else has the conversation open (None: no such conversation here). Two queries, each on indexes:
    one row of the header and that window's counts and latest ids, and the fresh presence rows."""
    if pk > MAX_ID:  # no such row, and the database driver would refuse the number
        return None
    adapt = connection.ops.adapt_datetimefield_value
    params = {"pk": pk, "business": business_id}
    params.update({"epoch": adapt(timeline.EPOCH)} if since is None else {"since": adapt(since.at)})
    with connection.cursor() as cursor:
        cursor.execute(_version_sql(newest=since is None), params)
        row = cursor.fetchone()
    if row is None or not sees_conversation(membership, line_id=row[0], assignee_id=row[2]):
        return None
    return row, presence.others_here(pk, membership.user)


def _version(state: tuple[tuple, list], since: timeline.Key) -> str:
    """A short fingerprint of the live part from `since`: its ETag, and what the page starts polling from."""
    row, others = state
    return hashlib.sha256(repr((row, others, since.encode())).encode()).hexdigest()[:20]
