"""Twilio's call events mapped onto textback's outcomes (telephony-facts §1).

Pure functions of the fields Twilio sends, so every row of the table is a test.
"""

from textback.calls import outcomes

TERMINAL_CALL_STATUSES = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})
PARENT_GONE = frozenset({"completed", "canceled"})

_STATUS_ONLY = {
    "completed": outcomes.ANSWERED,
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


def parent_outcome(call_status: str, call_mode: str, *, accepted: bool) -> str | None:
    """What a terminal status callback for the parent (inbound) call tells us, per call mode.

    It is the safety net: the <Dial> action or the recording callback usually
    said something more specific first, and outcomes.refine keeps that.
    """
    from textback.providers.models import Line

    if call_status not in TERMINAL_CALL_STATUSES:
        return None
    if accepted:
        return outcomes.ANSWERED
    if call_mode == Line.STATUS_ONLY:
        return _STATUS_ONLY[call_status]
    if call_mode == Line.FORWARD_SCREEN:
        return {"busy": outcomes.BUSY, "no-answer": outcomes.NO_ANSWER, "failed": outcomes.FAILED}.get(
            call_status, outcomes.CALLER_HUNG_UP
        )
    return outcomes.NO_ANSWER  # carrier forwarding: every call that reaches us was missed


def child_outcome(call_status: str) -> str | None:
    """A dialled leg's terminal status in status-only mode. "canceled" decides nothing:
    another phone answered, or the caller hung up (the parent's callback says which)."""
    if call_status not in TERMINAL_CALL_STATUSES or call_status == "canceled":
        return None
    return _STATUS_ONLY[call_status]
