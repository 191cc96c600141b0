"""Twilio's call events mapped onto textback's outcomes (telephony-facts §1).

Pure functions of the fields Twilio sends, so every row of the table is a test.
"""

from textback.calls import outcomes

TERMINAL_CALL_STATUSES = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})
PARENT_GONE = frozenset({"completed", "canceled"})

_UNANSWERED = {
    "busy": outcomes.BUSY,
    "no-answer": outcomes.NO_ANSWER,
    "failed": outcomes.FAILED,
    "canceled": outcomes.CALLER_HUNG_UP,
}


def dial_outcome(dial_status: str, parent_status: str, *, accepted: bool, bridged: bool) -> str:
    """How a <Dial> to the staff phones ended, from its action request.

    With screening, a call is answered only when a person pressed 1 (we saw
    Digits=1) or Twilio bridged the legs; a "completed" dial without that was a
    cell phone's voicemail or an IVR picking up. If the parent call has already
    ended when the action arrives, the caller hung up while it rang.
    """
    if accepted or bridged:
        return outcomes.ANSWERED
    if dial_status == "busy":
        return outcomes.BUSY
    if dial_status == "failed":
        return outcomes.FAILED
    if parent_status in PARENT_GONE or dial_status == "canceled":
        return outcomes.CALLER_HUNG_UP
    if dial_status == "no-answer":
        return outcomes.NO_ANSWER
    return outcomes.SCREENED_OUT  # completed / answered without a key press


def parent_outcome(call_status: str, call_mode: str, *, accepted: bool, legs_seen: int = 0) -> str | None:
    """What a terminal status callback for the parent (inbound) call tells us, per call mode.

    It is the safety net: the <Dial> action or the recording callback usually
    said something more specific first, and outcomes.refine keeps that.

    Status-only mode: an inbound call "completed" whether a person, an IVR or a
    voicemail took it (telephony-facts §1.b), so only the dialled legs' reports
    can say it was answered. When we have seen none of them we cannot tell, and
    we do not text: a "sorry we missed you" after a conversation is worse.
    """
    from textback.providers.models import Line

    if call_status not in TERMINAL_CALL_STATUSES:
        return None
    if accepted:
        return outcomes.ANSWERED
    if call_mode == Line.STATUS_ONLY:
        if call_status == "completed":
            return outcomes.NO_ANSWER if legs_seen else outcomes.ANSWERED
        return _UNANSWERED[call_status]
    if call_mode == Line.FORWARD_SCREEN:
        return {"busy": outcomes.BUSY, "no-answer": outcomes.NO_ANSWER, "failed": outcomes.FAILED}.get(
            call_status, outcomes.CALLER_HUNG_UP
        )
    return outcomes.NO_ANSWER  # carrier forwarding: every call that reaches us was missed


def child_outcome(call_status: str) -> str | None:
    """What a dialled leg's status says in status-only mode: it answered ("in-progress", the
    answered event, or "completed"), or it did not. It never ends the call: another phone may
    still answer. "canceled" says nothing: another phone answered, or the caller hung up."""
    if call_status in ("in-progress", "completed"):
        return outcomes.ANSWERED
    if call_status in ("busy", "no-answer", "failed"):
        return _UNANSWERED[call_status]
    return None
