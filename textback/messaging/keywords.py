"""Recognising STOP, START and HELP in an inbound text, and requests to stop in plain words.

The carrier keywords (telephony-facts §3.4) match when they are the whole
message, ignoring case, spaces and trailing punctuation ("Stop.", "stop all",
"OPT OUT"). Revocation by "any reasonable means" (47 CFR 64.1200(a)(10)) also
covers plain requests such as "stop texting me", "alto", "arrêtez de m'écrire":
rules/revocation.py reads those, and says BORDERLINE where a person should
decide ("not interested", "who is this? stop"). Compatibility forms (fullwidth
"ＳＴＯＰ") are folded first.
"""

import re
import unicodedata
from dataclasses import dataclass

from textback.lib.text import normalise_sms_text
from textback.rules import revocation

OPT_OUT, OPT_IN, HELP = "opt_out", "opt_in", "help"
BORDERLINE = "borderline"  # maybe an opt-out: automation pauses and staff confirm in the inbox

KEYWORDS = {
    **dict.fromkeys(("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"), OPT_OUT),
    **dict.fromkeys(("START", "YES", "UNSTOP"), OPT_IN),
    **dict.fromkeys(("HELP", "INFO"), HELP),
}
# Twilio's Advanced Opt-Out reports the class of a custom keyword in OptOutType.
PROVIDER_TYPES = {"STOP": OPT_OUT, "START": OPT_IN, "HELP": HELP}

_EDGE_PUNCTUATION = re.compile(r"^[\s\W_]+|[\s\W_]+$")
_INNER_MARKS = re.compile(r"[\s\-_.]+")  # "OPT-OUT", "stop all", "S.T.O.P"


@dataclass(frozen=True)
class Keyword:
    kind: str  # OPT_OUT, OPT_IN, HELP or BORDERLINE
    word: str  # what matched, for the ledger: the carrier keyword, or the phrase as typed (up to 160)
    phrase: bool = False  # a plain-language request rather than a carrier keyword


def classify(body: str, provider_type: str = "") -> Keyword | None:
    """The keyword an inbound text is, if any."""
    if provider_type.upper() in PROVIDER_TYPES:
        return Keyword(PROVIDER_TYPES[provider_type.upper()], revocation.phrase(body) or provider_type.upper())
    text = unicodedata.normalize("NFKC", normalise_sms_text(body or ""))  # phones type ’ for '; match both
    trimmed = _EDGE_PUNCTUATION.sub("", text)
    word = _INNER_MARKS.sub("", trimmed).upper()
    if word in KEYWORDS:
        return Keyword(KEYWORDS[word], word)
    verdict = revocation.judge(text)
    if verdict.kind == revocation.NONE:
        return None
    kind = OPT_OUT if verdict.kind == revocation.OPT_OUT else BORDERLINE
    return Keyword(kind, revocation.phrase(trimmed), phrase=True)
