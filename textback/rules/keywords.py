"""Keyword routes: what a caller's reply asks for beyond a conversation (an emergency, a booking).

A pure matcher: the words of each route are matched on word boundaries, ignoring case, spacing and
curly apostrophes, anywhere in the reply ("EMERGENCY water everywhere", "we have no heat!"). A word
that is negated just before it does not count: "not an emergency", "it's not urgent", "no emergency,
just a quote", "non-emergency". The negation looks back at most NEGATION_REACH words and not past a
"but" or punctuation, so "not sure why but water everywhere" still pages.

STOP, START and HELP are never routes: do_inbound_sms runs the routes only for a text that is not one
of those (messaging/keywords.py decides first).
"""

import re
import unicodedata
from dataclasses import dataclass

from textback.lib.text import normalise_sms_text

PAGE, BOOK = "page", "book"
ACTIONS = (PAGE, BOOK)  # the order routes are tried in: an emergency outranks a booking
ACTION_NAMES = {PAGE: "Emergency: page the on-call person", BOOK: "Booking: text the booking link"}

# Sensible for trades (plumbing, HVAC, electrical, locksmiths): what people type when it cannot wait.
DEFAULT_WORDS = {
    PAGE: (
        "emergency", "urgent", "911", "flood", "flooding", "flooded", "water everywhere", "burst pipe", "pipe burst",
        "pipes burst", "burst pipes", "leaking everywhere", "no heat", "no hot water", "no power", "no ac", "no a/c",
        "gas smell", "smell gas", "smells like gas", "gas leak", "carbon monoxide", "sparking", "on fire",
        "smoke coming", "sewage", "overflowing", "locked out",
    ),
    BOOK: ("book", "booking", "book online", "appointment", "schedule a visit"),
}  # fmt: skip
MAX_WORDS, MAX_WORD_LENGTH = 60, 40
NEGATION_REACH = 3
_NEGATORS = frozenset(
    {"not", "no", "non", "never", "nothing", "isnt", "isn't", "aint", "ain't", "without", "hardly", "dont", "don't",
     "doesnt", "doesn't", "wasnt", "wasn't", "nt"}
)  # fmt: skip
_CLAUSE_BREAK = re.compile(r"[.,;:!?()\n]|\bbut\b|\bthough\b|\bhowever\b")
_TOKENS = re.compile(r"[a-z0-9/']+")


@dataclass(frozen=True)
class Route:
    """A business's route: what it does and the words that set it off."""

    action: str
    words: tuple[str, ...]
    active: bool = True


@dataclass(frozen=True)
class Match:
    """The route a reply takes, and why (the word that matched, for the timeline)."""

    action: str
    word: str

    @property
    def reason(self) -> str:
        return f"the reply says \u201c{self.word}\u201d"


def default_routes() -> list[Route]:
    return [Route(action, DEFAULT_WORDS[action]) for action in ACTIONS]


def clean(text: str) -> str:
    """Lower case, one space between words, straight apostrophes, '-' as a space (non-emergency)."""
    text = unicodedata.normalize("NFKC", normalise_sms_text(text or "")).lower().replace("\u2019", "'")
    return re.sub(r"[\s\-_]+", " ", text).strip()


def parse_words(text: str) -> tuple[str, ...]:
    """The words of a route as typed (one per line or comma-separated), cleaned, without repeats."""
    seen: dict[str, None] = {}
    for raw in re.split(r"[,\n]", text or ""):
        word = clean(raw)
        if word:
            seen.setdefault(word, None)
    return tuple(seen)


def match(body: str, routes: list[Route]) -> Match | None:
    """The first active route (emergency before booking) with a word in the reply that is not negated."""
    text = clean(body)
    by_action = {route.action: route for route in routes}
    for action in ACTIONS:
        route = by_action.get(action)
        if route is None or not route.active:
            continue
        for word in sorted(route.words, key=len, reverse=True):  # the longest wording is the reason shown
            if _said(text, word):
                return Match(action, word)
    return None


def _said(text: str, word: str) -> bool:
    pattern = re.compile(rf"(?<![\w/]){re.escape(word)}(?![\w/])")
    return any(not negated(text[: found.start()]) for found in pattern.finditer(text))


def negated(before: str) -> bool:
    """Whether the words just before a match negate it ("not an", "isn't", "non")."""
    clause = _CLAUSE_BREAK.split(before)[-1]
    recent = _TOKENS.findall(clause)[-NEGATION_REACH:]
    return any(token in _NEGATORS or token.endswith("n't") for token in recent)
