"""The read endpoints: calls, conversations (with their messages) and contacts of the token's business.

Every query starts from the token's business, so another business's rows are never listed and its objects are
404. Lists are keyset pages, newest (highest id) first: `?limit=` (1-200, default 50) and the `next_cursor` of
the page before; a row written meanwhile does not shift the next page."""

import base64
import binascii
import re
from datetime import date, timedelta
from typing import Literal

from django.db.models import QuerySet
from django.http import Http404
from ninja import Query

from textback.api import schemas
from textback.api.v1 import ApiError, api
from textback.calls import outcomes
from textback.calls.models import Call
from textback.lib.text import MAX_ID
from textback.messaging.models import Contact, Conversation, Message
from textback.providers.models import Line
from textback.reports.periods import BadPeriod, check_date, day_start

DEFAULT_LIMIT, MAX_LIMIT = 50, 200
MESSAGES_SHOWN = 500

CallOutcome = Literal["answered", "no_answer", "busy", "failed", "caller_hung_up", "screened_out", "voicemail"]
ConversationOutcome = Literal["booked", "no_show", "lost", "spam", "none"]
Source = Literal["missed_call", "inbound_sms", "staff", "api"]
assert set(CallOutcome.__args__) == set(outcomes.OUTCOMES)


# --- cursors -------------------------------------------------------------------------------------------


def encode_cursor(pk: int) -> str:
    return base64.urlsafe_b64encode(f"id:{pk}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The id a page starts below, or a 400 for a cursor this API did not give out."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        text = ""
    match = re.fullmatch(r"id:([0-9]{1,18})", text)
    if not match:
        raise ApiError(400, "cursor: not a cursor this API gave out; use the next_cursor of the page before.")
    return int(match[1])


def page(rows: QuerySet, limit: int, cursor: str | None) -> dict:
    if cursor:
        rows = rows.filter(pk__lt=decode_cursor(cursor))
    found = list(rows.order_by("-pk")[: limit + 1])
    more = len(found) > limit
    found = found[:limit]
    return {"items": found, "next_cursor": encode_cursor(found[-1].pk) if more else None}


class Paging(schemas.Schema):
    limit: int = schemas.Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page (1-200).")
    cursor: str | None = schemas.Field(None, description="The next_cursor of the page before.")


# --- shared lookups --------------------------------------------------------------------------------------


def one(rows: QuerySet, pk: int, what: str):
    found = rows.filter(pk=pk).first() if 0 < pk <= MAX_ID else None
    if found is None:
        raise Http404(f"There is no {what} {pk} for this token's business.")
    return found


def line_of(business, line_id: int | None) -> int | None:
    if line_id is not None and not (
        0 < line_id <= MAX_ID and Line.objects.filter(business=business, pk=line_id).exists()
    ):
        raise Http404(f"There is no line {line_id} for this token's business.")
    return line_id


def local_date(text: str | None, name: str) -> date | None:
    """A `from`/`to` parameter as a local date within the calendar reports read (periods.check_date), else 400."""
    if not text:
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise ApiError(
            400, f"{name}: write a date as YYYY-MM-DD, e.g. 2026-11-30 (the business's local day)."
        ) from None
    try:
        return check_date(day)
    except BadPeriod as exc:
        raise ApiError(400, f"{name}: {exc}.") from None


# --- calls -----------------------------------------------------------------------------------------------


def calls_of(business) -> QuerySet:
    return Call.objects.filter(business=business).select_related("line")


class CallFilters(Paging):
    start: str | None = schemas.Field(None, alias="from", description="First local day (YYYY-MM-DD), inclusive.")
    end: str | None = schemas.Field(None, alias="to", description="Last local day (YYYY-MM-DD), inclusive.")
    line: int | None = schemas.Field(None, description="A line's id.")
    outcome: CallOutcome | None = None


@api.get("/calls", response=schemas.CallPage, tags=["calls"], summary="List calls, newest first")
def list_calls(request, filters: Query[CallFilters]):
    business = request.auth.business
    rows = calls_of(business)
    first, last = local_date(filters.start, "from"), local_date(filters.end, "to")
    if first and last and last < first:
        raise ApiError(400, "to: the period ends before it starts.")
    if first:
        rows = rows.filter(started_at__gte=day_start(first, business.time_zone))
    if last:
        rows = rows.filter(started_at__lt=day_start(last + timedelta(days=1), business.time_zone))
    if filters.line is not None:
        rows = rows.filter(line_id=line_of(business, filters.line))
    if filters.outcome:
        rows = rows.filter(outcome=filters.outcome)
    return page(rows, filters.limit, filters.cursor)


@api.get("/calls/{call_id}", response=schemas.Call, tags=["calls"], summary="One call")
def get_call(request, call_id: int):
    return one(calls_of(request.auth.business), call_id, "call")


# --- conversations ---------------------------------------------------------------------------------------


def conversations_of(business) -> QuerySet:
    return Conversation.objects.filter(business=business).select_related("line", "contact")


class ConversationFilters(Paging):
    status: Literal["open", "closed"] | None = None
    outcome: ConversationOutcome | None = schemas.Field(None, description="none: no outcome set yet.")
    source: Source | None = None
    line: int | None = schemas.Field(None, description="A line's id.")


@api.get("/conversations", response=schemas.ConversationPage, tags=["conversations"], summary="List conversations")
def list_conversations(request, filters: Query[ConversationFilters]):
    business = request.auth.business
    rows = conversations_of(business)
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.outcome:
        rows = rows.filter(outcome="" if filters.outcome == "none" else filters.outcome)
    if filters.source:
        rows = rows.filter(source=filters.source)
    if filters.line is not None:
        rows = rows.filter(line_id=line_of(business, filters.line))
    return page(rows, filters.limit, filters.cursor)


def with_messages(conversation: Conversation) -> Conversation:
    newest = list(
        Message.objects.filter(business_id=conversation.business_id, conversation=conversation).order_by(
            "-created_at", "-pk"
        )[: MESSAGES_SHOWN + 1]
    )
    conversation.more_messages = len(newest) > MESSAGES_SHOWN
    conversation.messages_shown = newest[:MESSAGES_SHOWN][::-1]
    return conversation


@api.get(
    "/conversations/{conversation_id}",
    response=schemas.ConversationWithMessages,
    tags=["conversations"],
    summary="One conversation with its messages",
)
def get_conversation(request, conversation_id: int):
    return with_messages(one(conversations_of(request.auth.business), conversation_id, "conversation"))


# --- contacts --------------------------------------------------------------------------------------------


@api.get("/contacts", response=schemas.ContactPage, tags=["contacts"], summary="List contacts, newest first")
def list_contacts(request, paging: Query[Paging]):
    return page(Contact.objects.filter(business=request.auth.business), paging.limit, paging.cursor)


@api.get("/contacts/{contact_id}", response=schemas.Contact, tags=["contacts"], summary="One contact")
def get_contact(request, contact_id: int):
    return one(Contact.objects.filter(business=request.auth.business), contact_id, "contact")
