"""Automatic replies from staff phones: a phone's "I'm driving" or Do Not Disturb answer to an alert must
never be relayed to a caller (alerts/relay.py), nor answered (two machines would text each other forever).

Only the obvious ones are caught, so a person's real answer is never taken for one: the words phones and
carriers put in their automatic replies (a stock text such as iOS's "I'm driving with Driving Focus turned
on…", or one that says it is an auto-reply), and a text that arrives within AUTO_REPLY_WINDOW of a text
we sent the phone, sooner than anyone reads an alert and types an answer. "I'm driving, there in 10"
is a person's answer and goes through.
"""

import re
from datetime import datetime, timedelta

AUTO_REPLY_WINDOW = timedelta(seconds=5)

# Said only by an automatic reply, anywhere in the text.
_MARKERS = re.compile(
    r"^\W*(auto(matic|mated)?[\s_-]*(reply|response|responder|message)|autoreply|autoresponse)\b"
    r"|driving focus|do not disturb while driving|(focus|do not disturb|dnd)\s+(is\s+)?turned on"
    r"|when i get where i'?m going|has notifications silenced|sent (by|from|via) android auto"
    r"|\bthis is an auto(matic|mated)?[\s-]*(reply|response|message)\b"
)
# Stock replies that are the whole text (with a person's own words after them, they are a person's).
_WHOLE = re.compile(
    r"i'?m driving( right now)?( and can'?t (text|talk|reply)( right now)?)?"
    r"( ?-? ?i'?ll (get back to you|reply|call you|text you)( back)?( later| soon| shortly)?)?"
    r"|i am driving( right now)?(,? ?i will (reply|get back to you)( later)?)?"
)


def _plain(text: str) -> str:
    text = (text or "").replace("\u2019", "'").replace("\u2018", "'").lower()
    return re.sub(r"\s+", " ", text).strip()


def automatic_wording(body: str) -> bool:
    """True for the words of an automatic reply (never for a person's answer that mentions driving)."""
    text = _plain(body)
    return bool(_MARKERS.search(text)) or bool(_WHOLE.fullmatch(text.strip(" .!-")))


def too_soon(arrived: datetime, our_last_text_at: datetime | None) -> bool:
    """True when a text arrived within AUTO_REPLY_WINDOW of our latest text to that phone."""
    return our_last_text_at is not None and timedelta(0) <= arrived - our_last_text_at < AUTO_REPLY_WINDOW
