"""The write endpoints (read-write tokens only): send a message, set an outcome.

Both go through the inbox's own actions (messaging/conversations.py), inside one transaction with the
conversation locked, as the token's creator: the outbox, the opt-out check, the cancelling of automatic texts
and the timeline all apply as if the person had done it on the page."""

from django.db import transaction
from ninja import Status

from textback.accounts import access
from textback.accounts.models import Membership
from textback.api import schemas
from textback.api.reads import conversations_of, one
from textback.api.v1 import ApiError, api, require_write
from textback.lib.text import input_problem
from textback.messaging.conversations import Refused, check_can_text, check_reply_body, do_set_outcome, do_staff_reply

WRITE_ERRORS = {403: schemas.Error, 404: schemas.Error, 409: schemas.Error, 422: schemas.Error}


ROLE_WORDS = {"reply": "a member who may reply", "set_outcome": "a manager"}


def sender(request, action: str, conversation=None):
    """The token's creator, who must still be an active member of the business whose role allows `action`
    (accounts/access.py: reply, set_outcome), and, for an agent serving some lines, see the conversation.
    Else 403 saying why. Reads never come here: the token is the business's, and owners revoke it."""
    user = request.auth.created_by
    membership = (
        Membership.objects.filter(business=request.auth.business, user=user).first() if user is not None else None
    )
    if membership is None or not user.is_active:
        raise ApiError(403, "The person this token sends as no longer works for the business; make a new token.")
    if not access.can(membership, action):
        raise ApiError(
            403,
            f"The person this token sends as is no longer {ROLE_WORDS[action]} of this business; make a new token.",
        )
    if conversation is not None and not access.sees_conversation(membership, conversation.line_id,
                                                                 conversation.assignee_id):  # fmt: skip
        raise ApiError(
            403, "The person this token sends as no longer serves this conversation's line; make a new token."
        )
    return user


def checked(value: str | None, name: str, limit: int) -> str:
    if value is not None and (problem := input_problem(value, limit)):
        raise ApiError(422, f"{name}: {problem}.")
    return value or ""


def locked(request, conversation_id: int):
    return one(conversations_of(request.auth.business).select_for_update(of=("self",)), conversation_id, "conversation")


@api.post(
    "/conversations/{conversation_id}/messages",
    response={202: schemas.Message, **WRITE_ERRORS},
    tags=["conversations"],
    summary="Send a text in the conversation (queued in the outbox, as the token's creator)",
)
def send_message(request, conversation_id: int, payload: schemas.MessageIn):
    require_write(request)
    found = one(conversations_of(request.auth.business), conversation_id, "conversation")  # 404 before anything else
    user = sender(request, "reply", found)
    try:
        body = check_reply_body(checked(payload.body, "body", 5000))
    except Refused as exc:
        raise ApiError(422, f"body: {exc}") from None
    key = request.headers.get("Idempotency-Key", "").strip()[:80]
    with transaction.atomic():
        conversation = locked(request, conversation_id)
        verdict = check_can_text(conversation)
        if not verdict.allowed:
            raise ApiError(409, verdict.reason)
        try:
            message = do_staff_reply(conversation, user, body, token=f"api:{key}" if key else "", via="api")
        except Refused as exc:
            raise ApiError(409, str(exc)) from None
    return Status(202, message)


@api.post(
    "/conversations/{conversation_id}/outcome",
    response={200: schemas.Conversation, **WRITE_ERRORS},
    tags=["conversations"],
    summary="Set (or clear) the conversation's outcome",
)
def set_outcome(request, conversation_id: int, payload: schemas.OutcomeIn):
    require_write(request)
    one(conversations_of(request.auth.business), conversation_id, "conversation")
    user = sender(request, "set_outcome")
    outcome = checked(payload.outcome, "outcome", 20).strip()
    value = checked(payload.value, "value", 40)
    reason = checked(payload.lost_reason, "lost_reason", 400)
    with transaction.atomic():
        conversation = locked(request, conversation_id)
        try:
            do_set_outcome(conversation, user, outcome, value=value or None, reason=reason)
        except Refused as exc:
            raise ApiError(422, str(exc)) from None
    return Status(200, conversation)
