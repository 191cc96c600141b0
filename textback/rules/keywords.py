"""Keyword routes: what a caller's reply asks for beyond a conversation (an emergency, a booking).

A pure matcher: the words of each route are matched on word boundaries, ignoring case, spacing and
curly apostrophes, anywhere in the reply ("EMERGENCY water everywhere", "we have no heat!"). A word
that is negated just before it does not count: "not an emergency", "it's not urgent", "no emergency,
just a quote", "non-emergency". The negation looks back at most NEGATION_REACH words and not past a
"but" or punctuation, so "not sure why but water everywhere" still pages.

A caller who says anywhere that it can wait ("not an emergency: no hot water since yesterday, tomorrow
is fine", "no rush", "whenever you can") is never paged for: their own word on the urgency beats our
reading of the rest. A "no …" wording followed by "issues", "problems"… is the opposite of a lack ("no
ac issues", "no heat problems since you fixed it").

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
        # Not bare "flood" (flood lights) or "911" (911 Main St), nor bare "sewage" (a sewage pump's service).
        "emergency", "urgent", "flooding", "flooded", "flood in", "call 911", "called 911", "calling 911",
        "water everywhere", "burst pipe", "pipe burst", "pipes burst", "burst pipes", "leaking everywhere", "no heat",
        "no hot water", "no power", "no ac", "no a/c", "gas smell", "smell gas", "smells like gas", "gas leak",
        "carbon monoxide", "sparking", "on fire", "smoke coming", "sewage backing up", "sewage backup",
        "sewage coming up", "sewage everywhere", "sewer backing up", "sewer backup", "overflowing", "locked out",
    ),
    # Only a request to book: "appointment" or "booking" alone is as often a question about one already made
    # ("what time is my appointment tomorrow?"), which a person answers, not the booking link.
    BOOK: ("book", "book online", "book an appointment", "make an appointment", "need an appointment",
           "schedule an appointment", "set up an appointment", "schedule a visit"),
}  # fmt: skip
MAX_WORDS, MAX_WORD_LENGTH = 60, 40
NEGATION_REACH = 3
_NEGATORS = frozenset(
    {"not", "no", "non", "never", "nothing", "isnt", "isn't", "aint", "ain't", "without", "hardly", "dont", "don't",
     "doesnt", "doesn't", "wasnt", "wasn't", "nt"}
)  # fmt: skip
# The caller's own word that it can wait, anywhere in the message (cleaned: lower case, straight apostrophes).
_CAN_WAIT = re.compile(
    r"(?<![\w/])(?:"
    r"(?:not|isn't|isnt|nothing|non) (?:an? |that |very |super |too |really )?(?:emergency|urgent)"
    r"|no (?:rush|hurry|urgency)|not in (?:a|any) (?:rush|hurry)|(?:it|this|that) can wait|can wait (?:till|until|til)"
    r"|whenever (?:you can|you get a chance|works|is fine|is good|is convenient|suits)"
    r"|(?:tomorrow|next week|this week|later|monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
    r"(?: is|'s| would be) (?:fine|ok|okay|good)|tomorrow works"  # not "I can wait outside", "is monday ok?"
    r")(?![\w/])"
)
_NOT_A_LACK = frozenset(
    {"issue", "issues", "problem", "problems", "trouble", "troubles", "complaint", "complaints", "concern",
     "concerns", "worries"}
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
        if action == PAGE and _CAN_WAIT.search(text):
            continue
        for word in sorted(route.words, key=len, reverse=True):  # the longest wording is the reason shown
            if _said(text, word):
                return Match(action, word)
    return None


def _said(text: str, word: str) -> bool:
    pattern = re.compile(rf"(?<![\w/]){re.escape(word)}(?![\w/])")
    return any(
        not negated(text[: found.start()]) and not _names_no_lack(word, text[found.end() :])
        for found in pattern.finditer(text)
    )


def _names_no_lack(word: str, after: str) -> bool:
    """Whether a "no …" wording is followed by what it is free of ("no ac issues"), not a lack of it."""
    following = _TOKENS.findall(after)[:1]
    return word.startswith("no ") and bool(following) and following[0] in _NOT_A_LACK


def negated(before: str) -> bool:
    """Whether the words just before a match negate it ("not an", "isn't", "non")."""
    clause = _CLAUSE_BREAK.split(before)[-1]
    recent = _TOKENS.findall(clause)[-NEGATION_REACH:]
    return any(token in _NEGATORS or token.endswith("n't") for token in recent)
