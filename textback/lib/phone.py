"""Phone numbers: parsing to E.164 and the facts the text-back decision needs."""

import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneNumberType

# What carriers put in From when the caller withheld their number. Twilio spells
# the words on a keypad: +266696687 is ANONYMOUS, +7378742833 RESTRICTED,
# +8656696 UNKNOWN; other carriers send the word itself or nothing.
ANONYMOUS_CALLER_IDS = frozenset(
    {
        "",
        "anonymous",
        "restricted",
        "unknown",
        "private",
        "unavailable",
        "blocked",
        "+266696687",
        "266696687",
        "+7378742833",
        "7378742833",
        "+8656696",
        "8656696",
        "client:anonymous",
    }
)
PREMIUM_TYPES = frozenset({PhoneNumberType.PREMIUM_RATE, PhoneNumberType.SHARED_COST})
# Short codes (5-6 digits in North America, 3-8 elsewhere) are machines: they send texts, never answer them.
SHORT_NUMBER = re.compile(r"\+?\d{3,8}")


class InvalidNumber(ValueError):
    """Text that is not a usable phone number."""


@dataclass(frozen=True)
class NumberFacts:
    """What we know about a caller's number from the number alone."""

    raw: str
    e164: str | None  # None when the number is anonymous or not a valid number
    anonymous: bool
    valid: bool
    region: str | None  # ISO 3166 code, e.g. "US"
    premium: bool
    toll_free: bool = False  # 800/888…: in caller ID nearly always a company's outbound trunk
    short: bool = False  # a short code or a too-short caller ID, not a person's phone


def is_anonymous(raw: str | None) -> bool:
    return (raw or "").strip().lower() in ANONYMOUS_CALLER_IDS


def parse(raw: str, region: str = "US") -> phonenumbers.PhoneNumber:
    """Parse what a person or a carrier typed; raise InvalidNumber with a reason."""
    text = (raw or "").strip()
    if not text:
        raise InvalidNumber("a phone number is required")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidNumber(f"{text!r} is not a phone number ({exc._msg})") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidNumber(f"{text!r} is not a valid phone number")
    return number


def to_e164(raw: str, region: str = "US") -> str:
    """The E.164 form (+15125550147) of a number typed in any common format."""
    return phonenumbers.format_number(parse(raw, region), phonenumbers.PhoneNumberFormat.E164)


def is_e164(text: str) -> bool:
    """True when text is already written as a valid E.164 number."""
    try:
        return to_e164(text) == text
    except InvalidNumber:
        return False


def facts(raw: str | None, region: str = "US") -> NumberFacts:
    """Classify a caller ID as it arrived from a carrier or PBX."""
    raw = raw or ""
    if is_anonymous(raw):
        return NumberFacts(raw, None, anonymous=True, valid=False, region=None, premium=False)
    try:
        number = parse(raw, region)
    except InvalidNumber:
        short = bool(SHORT_NUMBER.fullmatch(raw.strip()))
        return NumberFacts(raw, None, anonymous=False, valid=False, region=None, premium=False, short=short)
    kind = phonenumbers.number_type(number)
    return NumberFacts(
        raw=raw,
        e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        anonymous=False,
        valid=True,
        region=phonenumbers.region_code_for_number(number),
        premium=kind in PREMIUM_TYPES,
        toll_free=kind == PhoneNumberType.TOLL_FREE,
    )


ERASED = "erased:"  # an erased contact's number is this and the start of its keyed hash (messaging/records.py)


def pretty(e164: str) -> str:
    """A number as people read it: (512) 555-0147 at home, +44 20 … abroad."""
    if e164.startswith(ERASED):
        return "Erased number"
    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code == 1:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
