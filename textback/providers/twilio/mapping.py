"""Twilio's call events mapped onto textback's outcomes (telephony-facts §1).

Pure functions of the fields Twilio sends, so every row of the table is a test.
"""

from textback.calls import outcomes

TERMINAL_CALL_STATUSES = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})

_UNANSWERED = {
    "busy": outcomes.BUSY,
    "no-answer": outcomes.NO_ANSWER,
    "failed": outcomes.FAILED,
    "canceled": outcomes.CALLER_HUNG_UP,
}


def caller_gone(parent_status: str) -> bool:
    """The inbound call itself has ended: with answerOnBridge it is not answered while the phones ring,
    so a terminal status on the <Dial> action means the caller hung up (or the network dropped them)."""
    return parent_status in TERMINAL_CALL_STATUSES


def dial_outcome(dial_status: str, parent_status: str, *, accepted: bool, bridged: bool | None, prompted: bool) -> str:
    """How a <Dial> to the staff phones ended, from its action request and what we saw of the call.

    Answered means connected: Twilio's DialBridged when it sends one, else a person pressed 1.
    A phone that picked up, heard the prompt (`prompted`) and was not accepted is screened out, a cell's
    voicemail or an IVR, whatever DialCallStatus says: what Twilio reports then is not documented
    (telephony-facts §1.d). A terminal parent status means the caller hung up while it rang.
    """
    if bridged if bridged is not None else accepted:
        return outcomes.ANSWERED
    if dial_status == "busy":
        return outcomes.BUSY
    if dial_status == "failed":
        return outcomes.FAILED
    if caller_gone(parent_status) or dial_status == "canceled":
        return outcomes.CALLER_HUNG_UP
    if prompted or dial_status in ("completed", "answered"):  # something picked up, nobody accepted
        return outcomes.SCREENED_OUT
    return outcomes.NO_ANSWER


def parent_outcome(
    call_status: str, call_mode: str, *, accepted: bool, prompted: bool = False, legs_seen: int = 0
) -> str | None:
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
    if call_mode == Line.FORWARD_SCREEN:  # the <Dial> action was lost, or the caller hung up while it rang
        if call_status in ("busy", "failed"):
            return _UNANSWERED[call_status]
        return outcomes.SCREENED_OUT if prompted else outcomes.CALLER_HUNG_UP
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
