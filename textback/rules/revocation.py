"""Whether a text revokes consent "by any reasonable means" (FCC 24-24, 47 CFR 64.1200(a)(10)).

A pure function of the text: `judge(body)` says OPT_OUT, BORDERLINE or NONE, with the rule that decided.
The carrier keywords (STOP, CANCEL…) alone are messaging/keywords.py's business; this reads everything else.

How it reads: the text is folded (case, accents, curly quotes, SMS-speak such as "u", "pls", "txt") and cut
into clauses at sentence marks. A clause that is, from start to end, a request to stop (in English, Spanish
or French, with politeness around it) makes the text an opt-out. So does a bare opt-out word ("stop",
"alto", "arrêtez") whose other clauses only back it up ("wrong number, stop"). Anything looser is at most
BORDERLINE: a bare "stop" next to a question ("who is this? stop"), "not interested", "wrong number". Words
used for what they usually mean in a trade ("stop by", "cancel my appointment", "the leak won't stop") are
never read as a request, because a request must fill its clause.

The corpus in rules/tests/ (tuning and held-out parts) measures it; see test_revocation_corpus.py.
"""

import re
import unicodedata
from dataclasses import dataclass

OPT_OUT, BORDERLINE, NONE = "opt_out", "borderline", "none"
MAX_PHRASE = 160  # what the ledger keeps of the text that revoked


@dataclass(frozen=True)
class Verdict:
    kind: str  # OPT_OUT, BORDERLINE or NONE
    rule: str  # which reading decided, for the timeline and the tests ("" for NONE)


# --- folding ---------------------------------------------------------------------------------------------

# English contractions keep their letters; any other apostrophe is French elision ("m'écrire" → "m ecrire").
_CONTRACTIONS = {"don't": "dont", "do not": "dont", "dnt": "dont", "didn't": "didnt", "did not": "didnt",
                 "i'm": "im", "i am": "im", "won't": "wont", "can't": "cant", "any more": "anymore"}  # fmt: skip
_CONTRACTION = re.compile(r"\b(" + "|".join(re.escape(c) for c in _CONTRACTIONS) + r")\b")
# SMS-speak and every word for a text message, in the three languages, as one spelling.
_SPELLINGS = {
    **dict.fromkeys(("u", "ya'll"), "you"),
    **dict.fromkeys(("ur", "yr"), "your"),
    **dict.fromkeys(("pls", "plz", "plez", "plse", "pleas", "pleeease", "pleeze", "plss"), "please"),
    **dict.fromkeys(("thx", "ty", "thanx", "thnx", "tks"), "thanks"),
    **dict.fromkeys(("text", "texts", "txt", "txts", "msg", "msgs", "message", "messages", "sms", "texto",
                     "textos", "mensaje", "mensajes", "msj", "msjs", "mensajitos", "textes", "spam"), "text"),
    **dict.fromkeys(("texting", "txting", "textin", "txtin", "texing", "messaging", "msging", "msgin",
                     "msgng", "messageing", "spamming"), "texting"),
    **dict.fromkeys(("num", "nmbr", "numbr", "no", "#"), None),  # only "number" after "my"/"this"/"wrong"
}  # fmt: skip
_NUMBER_WORDS = {"num", "nmbr", "numbr", "#", "no"}


def fold(text: str) -> list[tuple[str, bool]]:
    """The text's clauses, each folded to plain lower-case words, and whether it was asked as a question."""
    text = unicodedata.normalize("NFKC", text or "").replace("\u2019", "'").replace("\u2018", "'").lower()
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    text = _CONTRACTION.sub(lambda m: _CONTRACTIONS[m.group(1)], text).replace("#", " # ")
    text = re.sub(r"\s[-\u2013\u2014]+\s|[\u2013\u2014]", ",", text)  # "Wrong # - please stop": two clauses
    clauses = []
    for part, mark in re.findall(r"([^.!?;,:\n()]+|)([.!?;,:\n()]*|$)", text):
        words = _words(part)
        if words:
            clauses.append((" ".join(words), "?" in mark))
    return clauses


def _words(part: str) -> list[str]:
    raw = re.findall(r"[a-z0-9#]+", part.replace("'", " "))
    words = []
    for i, word in enumerate(raw):
        if word in _NUMBER_WORDS:
            before = raw[i - 1] if i else ""
            word = "number" if before in ("my", "this", "wrong", "the", "that", "your") else word
        else:
            word = _SPELLINGS.get(word, word) or word
        if not words or words[-1] != word:  # "stop stop stop", "text text" (text messages)
            words.append(word)
    return words


# --- what a clause can be --------------------------------------------------------------------------------

# An emergency word in front ("URGENT stop texting me") is emphasis, not an emergency: the request that
# fills the rest of the clause wins, so the opt-out is honoured rather than the on-call paged.
_LEAD = (r"(?:(?:ok|okay|hey|hi|hello|just|so|and|but|please|seriously|again|i said|i told you to|"
         r"i asked you to|i want you to|can you|could you|would you|will you|por favor|svp|stp|merci de|"
         r"s il vous plait|sorry|sorry but|im sorry but|no|nope|yeah|yes|hola|bonjour|emergency|urgent|"
         r"urgente|emergencia|urgencia|urgence)\s+)*")  # fmt: skip
_TAIL = (r"(?:\s+(?:please|thanks|thank you|now|anymore|again|ever|at all|ok|okay|asap|for good|seriously|"
         r"por favor|gracias|ya|svp|stp|merci|s il vous plait|immediately|right now|today|lol|forever|mas|"
         r"plus|jamais|nunca|bye|goodbye|adios|thank|you|its|it|already|buddy|man|dude|sir|maam|pal))*")  # fmt: skip
_ME = r"(?:me|us|this number|this phone|my number|my phone|my cell|this cell|this)"
_STOPS = r"(?:stop|quit|cease|end|no more|enough)"
_CONTACTING = r"(?:texting|text|calling|contacting|bothering|harassing|sending|hitting me up|reaching out)"

_EXPLICIT = {
    "stop texting": rf"{_STOPS} {_CONTACTING}(?: {_ME}| these| them| any| text| your text| me these| me text)*",
    "do not text": rf"(?:dont|never|please dont|please never) (?:ever )?(?:text|contact|bother|send|"
    rf"reach out to|reach|hit) {_ME}(?: text| any text)?(?: back)?",
    "do not want texts": r"(?:i )?(?:dont|no) (?:want|need) (?:any more |anymore |these |your |any |more |those )*text",
    "remove me": rf"(?:remove|delete|take|erase|lose|forget|scratch) {_ME}(?: (?:off|from) (?:your|this|the|ur|my)?"
    r" ?(?:list|contacts|contact list|system|database|text list|texting list|texts|text))?",
    "unsubscribe": r"(?:i (?:want|would like|wanna|need) to )?(?:unsubscribe|opt out|be removed)(?: me)?"
    r"(?: from (?:this|these|here|your list|this list|the list|text|your text|it|them))?",
    "opt me out": r"opt (?:me|this number|my number) out|optout",
    "no more texts": r"no more(?: text)?|(?:i )?want no (?:more )?text",
    "leave me alone": r"leave me alone|leave me the hell alone|go away",
    # Spanish
    "no me escriban": r"(?:ya )?(?:por favor )?no (?:me|nos) (?:manden|mandes|mande|envien|envies|escriban|escribas|"
    r"escriba|contacten|contactes|textees|llamen|molesten)(?: mas)?(?: text)?(?: mas)?",
    "dejen de escribir": r"(?:dejen|deja|dejar|paren|pare|dejan) de (?:mandarme|enviarme|escribirme|contactarme|"
    r"molestarme|mandar|enviar|escribir|textearme|mandarnos)(?: text)?",
    "no quiero mensajes": r"(?:ya )?no quiero (?:recibir )?(?:mas )?text(?: mas)?",
    "borrenme": r"(?:borrenme|borrame|eliminenme|quitenme|saquenme|borren|eliminen|quiten|saquen|borrar|eliminar)"
    r"(?: de (?:su|la|tu) lista| mi numero| este numero)+",
    "darme de baja": r"(?:quiero )?(?:darme|me doy|dar) de baja|baja",
    # French
    "arretez de m'ecrire": r"(?:arretez|arrete|arreter|cessez|cesse) de (?:m|me|nous) (?:ecrire|envoyer|texter|"
    r"contacter|harceler|deranger|appeler|spammer)(?: (?:des|de) text)?",
    "ne m'ecrivez plus": r"(?:ne )?(?:m|me) (?:ecrivez|ecris|envoyez|envoie|contactez|contacte|textez|derangez) "
    r"plus(?: (?:de|des) text)?|ne plus (?:m|me) (?:ecrire|envoyer|contacter|texter)(?: (?:de|des) text)?",
    "plus de messages": r"plus de text|pas de text",
    "retirez mon numero": r"(?:retirez|supprimez|effacez|enlevez|retirer|supprimer)(?: moi| mon numero)+"
    r"(?: de (?:votre|la|vos) (?:liste|contacts))?",
    "laissez-moi tranquille": r"(?:laissez|laisse|laisser) moi tranquille|foutez moi la paix|fichez moi la paix",
    "je ne veux plus": r"(?:je )?(?:ne )?veux plus (?:de |recevoir (?:de |des |vos )?)?text",
    "desinscrire": r"(?:je (?:veux|voudrais) )?(?:me )?(?:desinscrire|desabonner)|desinscrivez moi|desabonnez moi",
}
_EXPLICIT_RE = {name: re.compile(rf"^{_LEAD}(?:{body}){_TAIL}$") for name, body in _EXPLICIT.items()}

# People rarely punctuate: "stop texting me i never called you" is one clause. The clearest requests, with
# an object that can only be the sender (me, my number), may run on into more words, unless those words
# narrow the request ("don't text me before 7", "remove me from the waitlist", "unsubscribe from the plan").
# They may follow a doubt too ("who is this stop texting me"); never anything else ("i told them to stop…").
_MINE = r"(?:me|us|this number|this phone|my number|my phone|my cell|this cell)"
_FROM_US = (
    r"(?: (?:off|from) (?:your |this |the |ur |my |all of |all )?(?:list|contacts|contact list|system|"
    r"database|text list|texting list|texts|text|records|this|these|everything))?"
)
_CONTINUED = {
    "stop texting me": rf"(?:stop|quit|cease) {_CONTACTING} (?:{_MINE}|text|me text|me these)",
    "do not text me": rf"(?:dont|never|please dont|please never) (?:ever )?(?:text|contact|bother|reach out to) {_MINE}",
    "remove me": rf"(?:remove|delete|take|erase|lose|forget) {_MINE}{_FROM_US}",
    "unsubscribe me": rf"(?:i (?:want|would like|wanna|need) to )?(?:unsubscribe|opt out|be removed)(?: me)?{_FROM_US}",
    "opt me out": r"opt (?:me|this number|my number) out",
    "no more texts": r"no more text|(?:i )?(?:dont|no) (?:want|need) (?:any more |anymore |these |your |any |more )*text",
    "leave me alone": r"leave me alone|leave me the hell alone",
    "no me escriban": _EXPLICIT["no me escriban"],
    "dejen de escribir": _EXPLICIT["dejen de escribir"],
    "no quiero mensajes": _EXPLICIT["no quiero mensajes"],
    "darme de baja": r"(?:quiero )?(?:darme|me doy|dar) de baja",
    "arretez de m'ecrire": _EXPLICIT["arretez de m'ecrire"],
    "ne m'ecrivez plus": _EXPLICIT["ne m'ecrivez plus"],
    "laissez-moi tranquille": _EXPLICIT["laissez-moi tranquille"],
    "je ne veux plus": _EXPLICIT["je ne veux plus"],
}
_NARROWING = (r"(?:off|before|after|until|till|til|at|on|during|between|from|about|when|if|unless|except|the|that|"
              r"his|her|him|our|to|in|for|with|every|than|antes|despues|hasta|avant|apres|jusqu)")  # fmt: skip
_DOUBT_LEAD = (r"(?:(?:who is this|who are you|wrong number|i (?:didnt|never) call(?:ed)?(?: you)?|"
               r"(?:im )?not interested|no thanks|no thank you)\s+)?")  # fmt: skip
_CONTINUED_RE = {
    name: re.compile(rf"^{_DOUBT_LEAD}{_LEAD}(?:{body}){_TAIL}(?:\s+(?!{_NARROWING}\b)\S.*)?$")
    for name, body in _CONTINUED.items()
}

# Words that are opt-outs on their own (with only politeness around them).
_BARE = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout", "remove",
                   "alto", "para", "basta", "baja", "cancelar", "arrete", "arretez", "arreter", "desabonner",
                   "desinscrire", "desinscription", "desabonnement", "unsub"})  # fmt: skip
_POLITE = frozenset({"please", "thanks", "thank", "you", "it", "now", "asap", "por", "favor", "gracias", "ya",
                     "svp", "stp", "merci", "s", "il", "vous", "plait", "ok", "okay", "all", "out", "opt",
                     "already", "immediately", "right", "pls", "hey", "hi", "hello", "hola", "bonjour", "lol",
                     "seriously", "again", "just", "guys", "sorry", "i", "said"})  # fmt: skip

# Clauses that back up a bare "stop" said next to them, and are borderline said alone.
_DOUBTS = {
    "wrong number": r"(?:this is (?:a |the )?|you have the |you got the |u have the )?wrong number|"
    r"(?:numero equivocado|equivocado|mauvais numero|numero errone|erreur de numero)",
    "never called": r"(?:i |yo )?(?:didnt|never|did not|no) (?:call|called|llame)(?: you| u| your business| here)?|"
    r"je (?:n )?ai (?:pas|jamais) appele",
    "not interested": r"(?:im |i am |nope |no )?(?:not|no) interested|no me interesa|(?:je ne suis )?pas interesse[e]?",
    "no thanks": r"no thanks|no thank you|no gracias|non merci|nope|no need|dont need (?:it|anything|you)|"
    r"(?:i )?dont need anything|im good",
    "do not know you": r"(?:i )?dont know (?:you|who this is)|no te conozco|je ne vous connais pas",
}
_DOUBTS_RE = {name: re.compile(rf"^{_LEAD}(?:{body}){_TAIL}$") for name, body in _DOUBTS.items()}
# Said alone these ask a person to look, not to stop: an annoyed question.
_ANNOYED = re.compile(
    r"^(?:stop what|why (?:are|r|do) you (?:keep )?(?:texting|text|contacting|sending)|why do i keep getting (?:these|this|text)|"
    r"how did you get (?:my|this) number|who gave you (?:my|this) number|why (?:am i|do i keep) getting (?:these|text))"
)


def judge(body: str) -> Verdict:
    """Does this text revoke consent? The first rule that fits decides."""
    clauses = fold(body)
    if not clauses:
        return Verdict(NONE, "")
    for text, _question in clauses:
        for name, pattern in _EXPLICIT_RE.items():
            if pattern.match(text):
                return Verdict(OPT_OUT, name)
        for name, pattern in _CONTINUED_RE.items():
            if pattern.match(text):
                return Verdict(OPT_OUT, f"{name} and more words")
    return _bare_word(clauses) or _doubt(clauses) or Verdict(NONE, "")


def _is_bare(text: str) -> bool:
    words = text.split()
    return any(w in _BARE for w in words) and all(w in _BARE or w in _POLITE for w in words)


def _is_polite(text: str) -> bool:
    return all(w in _POLITE for w in text.split())


def _doubting(text: str) -> str:
    return next((name for name, pattern in _DOUBTS_RE.items() if pattern.match(text)), "")


def _bare_word(clauses: list[tuple[str, bool]]) -> Verdict | None:
    """ "stop", "alto por favor", "wrong number, stop": a bare opt-out word, asked as no question, opts out
    when every other clause backs it up; next to anything else ("who is this? stop") a person decides."""
    bare = [(text, question) for text, question in clauses if _is_bare(text)]
    if not bare:
        return None
    others = [text for text, _question in clauses if not _is_bare(text) and not _is_polite(text)]
    if any(not question for _text, question in bare) and all(_doubting(text) for text in others):
        return Verdict(OPT_OUT, "bare word" if not others else f"bare word and {_doubting(others[0])}")
    return Verdict(BORDERLINE, "bare word among other words")


def _doubt(clauses: list[tuple[str, bool]]) -> Verdict | None:
    for text, question in clauses:
        if (name := _doubting(text)) and not question:  # "wrong number? I called about my AC" is no doubt
            return Verdict(BORDERLINE, name)
        if _ANNOYED.match(text):
            return Verdict(BORDERLINE, "annoyed question")
    return None


def phrase(body: str) -> str:
    """What the ledger records of a revoking text: as typed, trimmed, at most MAX_PHRASE characters."""
    return re.sub(r"\s+", " ", body or "").strip()[:MAX_PHRASE]
