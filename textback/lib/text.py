"""Normalising look-alike characters so a template does not silently become UCS-2.

Text pasted from word processors, phones and web pages carries typographic
quotes, dashes, ellipses and invisible spaces. Each one is outside GSM-7 and
turns the whole message into UCS-2 (70 instead of 160 characters per SMS).
We replace only characters whose GSM-7 equivalent looks the same to the
reader. Everything else (accented letters, emoji, other scripts) is left
alone: the owner may want it, and the segment counter then honestly reports
UCS-2.
"""

from __future__ import annotations

import re
import unicodedata

from .gsm7 import is_gsm7

_SINGLE_QUOTES = "\u2018\u2019\u201a\u201b\u2032\u02bb\u02bc\u02c8\uff07"
_DOUBLE_QUOTES = "\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb\uff02\u275d\u275e\u301d\u301e"
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2022"  # incl. bullet
_SPACES = "\u00a0" + "".join(chr(cp) for cp in range(0x2000, 0x200B)) + "\u202f\u205f\u3000"
_ALWAYS_REMOVED = "\u200b\u2060\ufeff"  # zero-width space, word joiner, BOM
_JOINERS = "\u200c\u200d"  # zero-width non-joiner / joiner: see _drop_joiners

_TABLE = str.maketrans(
    {
        **{char: "'" for char in _SINGLE_QUOTES},
        **{char: '"' for char in _DOUBLE_QUOTES},
        **{char: "-" for char in _DASHES},
        **{char: " " for char in _SPACES},
        **{char: None for char in _ALWAYS_REMOVED},
        "\u2026": "...",
    }
)

# A CR run before LF is one line break: "\r\r\n" is a common artefact of
# converting line endings twice, and treating it as a unit keeps the
# function idempotent (plain "\r\n" -> "\n" would turn "\r\r\n" into "\r\n").
_CRLF = re.compile(r"\r+\n")
_JOINER = re.compile(f"[{_JOINERS}]")

# Compatibility characters that NFKC maps to plain ASCII and that carry no
# meaning of their own: full-width ASCII (U+FF01-U+FF5E) and Latin
# ligatures (U+FB00-U+FB06, e.g. "ﬁ"). Superscripts, "™" and the like are not
# touched: "m²" -> "m2" would change the meaning.
_COMPAT_TO_ASCII = re.compile("[\uff01-\uff5e\ufb00-\ufb06]")


def _is_joinable(char: str) -> bool:
    # Whitespace never joins; excluding it also keeps normalise_template
    # idempotent, since stripping can then never expose a kept joiner.
    return char not in _JOINERS and not char.isspace() and not is_gsm7(char)


def _keep_joiner(text: str, index: int) -> bool:
    """Keep a ZWJ/ZWNJ only between two non-GSM characters.

    There it builds an emoji sequence or shapes a non-Latin script, and the
    message is UCS-2 anyway, so removing it would damage the text for nothing.
    """
    if index == 0 or index == len(text) - 1:
        return False
    return _is_joinable(text[index - 1]) and _is_joinable(text[index + 1])


def _drop_joiners(text: str) -> str:
    return _JOINER.sub(
        lambda match: match.group() if _keep_joiner(text, match.start()) else "",
        text,
    )


def normalise_sms_text(text: str) -> str:
    """Replace Unicode look-alikes with their GSM-7 equivalents.

    Curly quotes become straight ones, dashes, minus and bullet become "-",
    "…" becomes "...", unusual spaces become " ", zero-width characters are
    removed (a joiner between two non-GSM characters, as in emoji sequences,
    is kept) and Windows line endings become "\\n". Nothing else changes.
    """
    return _CRLF.sub("\n", _drop_joiners(text.translate(_TABLE)))


def _compat_to_ascii(text: str) -> str:
    return _COMPAT_TO_ASCII.sub(lambda match: unicodedata.normalize("NFKC", match.group()), text)


def _strip_lines(text: str) -> str:
    """Strip trailing whitespace on each line, then around the whole text.

    Invisible trailing spaces cost units, and leading/trailing blank lines in
    a template are never intended.
    """
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


def normalise_template(text: str) -> str:
    """Clean a template the owner typed or pasted, before saving it."""
    return _strip_lines(normalise_sms_text(_compat_to_ascii(text)))


# Lone surrogates cannot be stored (UTF-8 has no form for them), and U+FFFD is what a request's
# undecodable bytes (a surrogate sent as CESU-8, say) become: either way the sender did not send text.
_NOT_TEXT = re.compile("[\ud800-\udfff\ufffd]")


def input_problem(value: str, max_length: int | None = None) -> str | None:
    """Why typed or posted text cannot be used as it is, or None when it can.

    PostgreSQL text cannot hold NUL, so a NUL that reached the database would be a 500 there and
    fine on SQLite; refusing it for both keeps the engines alike.
    """
    if max_length is not None and len(value) > max_length:
        return f"is longer than {max_length} characters"
    if "\x00" in value:
        return "contains a NUL character"
    if _NOT_TEXT.search(value):
        return "is not valid text (it holds a lone surrogate, or bytes that are not UTF-8)"
    return None


MAX_ID = 2**63 - 1  # the largest id either database holds (a BIGINT)
_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")


def whole_number(text: str, maximum: int = MAX_ID) -> int | None:
    """The number a string of ASCII digits spells, when it is at most `maximum`; None for anything else.

    `str.isdigit()` is no guard: it is True for "²" (which int() refuses) and for "١٢" (which int() reads as 12)."""
    if not _ASCII_DIGITS.fullmatch(text or ""):
        return None
    number = int(text)
    return number if number <= maximum else None
