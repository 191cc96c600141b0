"""Recognising STOP, START and HELP in an inbound text.

The carrier keywords (telephony-facts §3.4) match when they are the whole
message, ignoring case, spaces and trailing punctuation ("Stop.", "stop all",
"OPT OUT"). Revocation by "any reasonable means" (47 CFR 64.1200(a)(10)) also
covers plain requests such as "stop texting me"; a short list of unmistakable
phrases is treated as an opt-out too, and so is an opt-out keyword said with
nothing but politeness around it ("please stop", "stop it", "STOP STOP").
Compatibility forms (fullwidth "ＳＴＯＰ") are folded first. We err on the side
of stopping.
"""

import re
import unicodedata
from dataclasses import dataclass

from textback.lib.text import normalise_sms_text

OPT_OUT, OPT_IN, HELP = "opt_out", "opt_in", "help"

KEYWORDS = {
    **dict.fromkeys(("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"), OPT_OUT),
    **dict.fromkeys(("START", "YES", "UNSTOP"), OPT_IN),
    **dict.fromkeys(("HELP", "INFO"), HELP),
}
# Twilio's Advanced Opt-Out reports the class of a custom keyword in OptOutType.
PROVIDER_TYPES = {"STOP": OPT_OUT, "START": OPT_IN, "HELP": HELP}

_PHRASES = re.compile(
    r"^(please\s+)?("
    r"stop\s+(texting|messaging|txting|sending)(\s+me)?"
    r"|(do\s*n[o']?t|dont)\s+(text|message)\s+me(\s+again)?"
    r"|remove\s+me(\s+from\s+(your|this)\s+list)?"
    r"|unsubscribe\s+me"
    r"|take\s+me\s+off(\s+(your|this)\s+list)?"
    r"|opt\s+me\s+out"
    r")(\s+please)?$"
)
_EDGE_PUNCTUATION = re.compile(r"^[\s\W_]+|[\s\W_]+$")
_INNER_MARKS = re.compile(r"[\s\-_.]+")  # "OPT-OUT", "stop all", "S.T.O.P"
_WORDS = re.compile(r"[^\W_]+(?:['\-][^\W_]+)*")
# Words that change nothing about "stop": "stop it", "please stop", "stop pls, thanks".
_POLITENESS = frozenset({"please", "pls", "plz", "plez", "thanks", "thank", "you", "thx", "ty", "it", "now", "asap"})


@dataclass(frozen=True)
class Keyword:
    kind: str  # OPT_OUT, OPT_IN or HELP
    word: str  # what matched, for the ledger
    phrase: bool = False  # a plain-language request rather than a carrier keyword


def classify(body: str, provider_type: str = "") -> Keyword | None:
    """The keyword an inbound text is, if any."""
    if provider_type.upper() in PROVIDER_TYPES:
        return Keyword(PROVIDER_TYPES[provider_type.upper()], body.strip()[:40] or provider_type.upper())
    text = unicodedata.normalize("NFKC", normalise_sms_text(body or ""))  # phones type ’ for '; match both
    trimmed = _EDGE_PUNCTUATION.sub("", text)
    word = _INNER_MARKS.sub("", trimmed).upper()
    if word in KEYWORDS:
        return Keyword(KEYWORDS[word], word)
    if _PHRASES.match(re.sub(r"\s+", " ", trimmed.lower())) or _politely_stopping(trimmed):
        return Keyword(OPT_OUT, trimmed[:40], phrase=True)
    return None


def _politely_stopping(text: str) -> bool:
    """Only opt-out keywords, repeated or wrapped in politeness: "Stop please", "STOP STOP", "stop it"."""
    words = [w.lower() for w in _WORDS.findall(text)]
    keywords = [w for w in words if w not in _POLITENESS]
    return bool(keywords) and all(KEYWORDS.get(w.upper()) == OPT_OUT for w in keywords)
