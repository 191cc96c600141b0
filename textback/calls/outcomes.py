"""The one call-outcome state machine every provider adapter maps onto.

A call's outcome is set when the provider first tells us how it ended and may
then only be *refined*: a later, more specific report wins over a vaguer one
("the caller hung up" from a parent status callback is replaced by "nobody
answered" from the <Dial> action; "nobody answered" becomes "voicemail" when
the caller then leaves one). "answered" is final: nothing moves a call from
answered back to missed.
"""

ANSWERED = "answered"
NO_ANSWER = "no_answer"
BUSY = "busy"
FAILED = "failed"
CALLER_HUNG_UP = "caller_hung_up"
SCREENED_OUT = "screened_out"
VOICEMAIL = "voicemail"

OUTCOMES = (ANSWERED, NO_ANSWER, BUSY, FAILED, CALLER_HUNG_UP, SCREENED_OUT, VOICEMAIL)
MISSED = frozenset(OUTCOMES) - {ANSWERED}
DEFAULT_TEXTBACK_OUTCOMES = tuple(o for o in OUTCOMES if o in MISSED)

LABELS = {
    ANSWERED: "Answered",
    NO_ANSWER: "No answer",
    BUSY: "Busy",
    FAILED: "Could not ring",
    CALLER_HUNG_UP: "Caller hung up while ringing",
    SCREENED_OUT: "Picked up, nobody pressed 1",
    VOICEMAIL: "Voicemail left",
}

# Higher wins. Equal ranks keep the first report (duplicates and reorderings
# of equally specific reports change nothing).
_RANK = {
    CALLER_HUNG_UP: 1,
    NO_ANSWER: 2,
    BUSY: 2,
    FAILED: 2,
    SCREENED_OUT: 2,
    VOICEMAIL: 3,
    ANSWERED: 4,
}


def refine(current: str | None, reported: str | None) -> str | None:
    """The outcome after a provider reports `reported` for a call now at `current`."""
    if reported is None:
        return current
    if reported not in _RANK:
        raise ValueError(f"unknown call outcome {reported!r}")
    if current is None or _RANK[reported] > _RANK[current]:
        return reported
    return current


def is_missed(outcome: str | None) -> bool:
    return outcome in MISSED
