"""Whether another system's autoresponder is answering our automatic texts: a pure function of the recent thread.

Two machines that answer each other text forever, on the business's account. A caller's text is taken
for an autoresponder's when, after one of our automatic texts:
- its words are an automatic reply's ("This is an automated reply", "I'm driving with Driving Focus
  turned on…": the patterns alerts/autoreply.py knows from staff phones);
- or it is one of FAST_REPLIES texts in a row that each arrived within FAST seconds of one of our
  automatic texts, sooner than people read and answer;
- or the same words came REPEATS times, each after one of our automatic texts.
A person's "Yes please" ten seconds after our text-back is none of these; "Are you there?" sent three
times with no automatic text between them is a person waiting, not a machine.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from textback.alerts.autoreply import automatic_wording

FAST = timedelta(seconds=10)
FAST_REPLIES = 3
REPEATS = 3
MIN_REPEATED_LENGTH = 8  # "ok", "yes", "hello?" repeated are people
LOOKBACK = timedelta(hours=24)

WORDING, FAST_ANSWERS, SAME_WORDS = "wording", "fast_answers", "same_words"
REASONS = {
    WORDING: "its words are an automatic reply's",
    FAST_ANSWERS: f"it answered {FAST_REPLIES} of our automatic texts within {FAST.seconds} seconds each",
    SAME_WORDS: f"it sent the same words {REPEATS} times, each after one of our automatic texts",
}


@dataclass(frozen=True)
class Turn:
    """One text in the thread: ours (automatic or from a person) or the caller's."""

    at: datetime
    ours: bool
    automatic: bool = False
    body: str = ""


def detect(thread: Sequence[Turn]) -> str | None:
    """Why the thread's last text (the caller's, just arrived) is an autoresponder's; None when it may be a person.

    `thread`: the recent texts, oldest first, ending with that one."""
    if not thread or thread[-1].ours:
        return None
    recent = [t for t in thread if thread[-1].at - t.at <= LOOKBACK]
    answers = _answers_to_automatic(recent)
    if not answers or answers[-1] is not recent[-1]:
        return None  # the new text answers no automatic text of ours: nothing of ours to loop with
    if automatic_wording(recent[-1].body):
        return WORDING
    if _fast_in_a_row(recent) >= FAST_REPLIES:
        return FAST_ANSWERS
    firsts = _answers_to_automatic(recent, first_only=True)
    if firsts and firsts[-1] is recent[-1] and _same_words(firsts) >= REPEATS:
        return SAME_WORDS
    return None


def _answers_to_automatic(thread: Sequence[Turn], *, first_only: bool = False) -> list[Turn]:
    """The caller's texts that came after one of our automatic texts (with no text from a person of ours since);
    `first_only`: only the first text after each."""
    answers, after_automatic = [], False
    for turn in thread:
        if turn.ours:
            after_automatic = turn.automatic
        elif after_automatic:
            answers.append(turn)
            after_automatic = not first_only
    return answers


def _fast_in_a_row(thread: Sequence[Turn]) -> int:
    """How many of our latest automatic texts in a row were each answered within FAST (counting back from the end)."""
    count, answered = 0, None
    for turn in reversed(thread):
        if not turn.ours:
            answered = turn
            continue
        if not turn.automatic or answered is None or answered.at - turn.at > FAST:
            break
        count, answered = count + 1, None
    return count


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", (text or "").lower()).strip()


def _same_words(answers: Sequence[Turn]) -> int:
    """How many first answers to our automatic texts carry the latest one's words (long enough not to be a
    person's "ok")."""
    latest = _plain(answers[-1].body)
    if len(latest) < MIN_REPEATED_LENGTH:
        return 0
    return sum(1 for turn in answers if _plain(turn.body) == latest)
