"""Exact SMS encoding choice and segment counting (3GPP TS 23.038 / 23.040).

Owners pay per segment, and one stray character (a curly apostrophe pasted
from a word processor) silently switches a message to UCS-2 and can more than
double its cost. This module tells the truth about a text: which encoding the
network will use, how many units it costs, how many segments it becomes, and
which characters forced UCS-2.

Decisions:
* Empty text is 0 units and 0 segments: there is nothing to send.
* Segments are packed greedily, like handsets and SMS gateways do. A GSM-7
  extension character (ESC + code) and a UTF-16 surrogate pair (e.g. an emoji)
  are never split, so such a segment may hold one unit less than its limit.
* Only surrogate pairs are kept whole. Longer grapheme clusters (flags,
  ZWJ emoji sequences, combining accents) may be split between segments;
  the receiving handset reassembles the message before display anyway.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7 = "GSM-7"
UCS2 = "UCS-2"

GSM7_BASIC = (  # 128 code points, index == septet value; 0x1B is ESC (not a character)
    "@£$¥èéùìòÇ\nØø\rÅå"  # 0x00-0x0F
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"  # 0x10-0x1F
    " !\"#¤%&'()*+,-./"  # 0x20-0x2F
    "0123456789:;<=>?"  # 0x30-0x3F
    "¡ABCDEFGHIJKLMNO"  # 0x40-0x4F
    "PQRSTUVWXYZÄÖÑÜ§"  # 0x50-0x5F
    "¿abcdefghijklmno"  # 0x60-0x6F
    "pqrstuvwxyzäöñüà"  # 0x70-0x7F
)
ESC = "\x1b"

# Extension table: sent as ESC + code, so each costs 2 septets.
GSM7_EXT = {
    "\x0c": 0x0A,
    "^": 0x14,
    "{": 0x28,
    "}": 0x29,
    "\\": 0x2F,
    "[": 0x3C,
    "~": 0x3D,
    "]": 0x3E,
    "|": 0x40,
    "€": 0x65,
}

GSM7_SINGLE = 160  # septets in a message that fits one SMS
GSM7_CONCAT = 153  # septets per part once the 6-byte concatenation header is added
UCS2_SINGLE = 70  # UTF-16 code units in a single message
UCS2_CONCAT = 67  # UTF-16 code units per concatenated part

# Septet cost of every sendable GSM-7 character. ESC is a prefix, not a
# character, so text containing a bare ESC cannot be sent as GSM-7.
_SEPTETS: dict[str, int] = {
    **{char: 1 for char in GSM7_BASIC if char != ESC},
    **{char: 2 for char in GSM7_EXT},
}

_LIMITS = {GSM7: (GSM7_SINGLE, GSM7_CONCAT), UCS2: (UCS2_SINGLE, UCS2_CONCAT)}


@dataclass(frozen=True)
class SmsShape:
    """What a text costs to send.

    ``units`` are septets for GSM-7 and UTF-16 code units for UCS-2.
    ``non_gsm`` lists the distinct characters that forced UCS-2, in order of
    first appearance, so the UI can point at them; it is empty for GSM-7.
    """

    encoding: str
    units: int
    segments: int
    non_gsm: tuple[str, ...]


def is_gsm7(text: str) -> bool:
    """True if every character is sendable in the GSM-7 default alphabet."""
    return all(char in _SEPTETS for char in text)


def non_gsm_characters(text: str) -> tuple[str, ...]:
    """Distinct characters outside GSM-7, first appearance first."""
    return tuple(dict.fromkeys(char for char in text if char not in _SEPTETS))


def encoding_for(text: str) -> str:
    """One non-GSM character makes the whole message UCS-2."""
    return GSM7 if is_gsm7(text) else UCS2


def char_units(char: str, encoding: str) -> int:
    """Units one character costs: 1 or 2 septets, or 1 or 2 UTF-16 code units."""
    if encoding == GSM7:
        return _SEPTETS[char]
    return 2 if ord(char) > 0xFFFF else 1


def _costs(text: str, encoding: str) -> list[int]:
    return [char_units(char, encoding) for char in text]


def _segment_starts(costs: list[int], single: int, concat: int) -> list[int]:
    """Character indices where each segment starts, packing greedily.

    A character is never split: if it does not fit in what is left of the
    current segment it opens the next one.
    """
    if not costs:
        return []
    if sum(costs) <= single:
        return [0]
    starts, used = [0], 0
    for index, cost in enumerate(costs):
        if used + cost > concat:
            starts.append(index)
            used = 0
        used += cost
    return starts


def _starts_for(text: str) -> tuple[str, list[int], list[int]]:
    encoding = encoding_for(text)
    costs = _costs(text, encoding)
    return encoding, costs, _segment_starts(costs, *_LIMITS[encoding])


def shape(text: str) -> SmsShape:
    """Encoding, unit count, segment count and offending characters of ``text``."""
    encoding, costs, starts = _starts_for(text)
    return SmsShape(encoding, sum(costs), len(starts), non_gsm_characters(text))


def split_segments(text: str) -> list[str]:
    """The texts of the segments the message will be sent as ([] for empty text)."""
    _, _, starts = _starts_for(text)
    ends = starts[1:] + [len(text)]
    return [text[start:end] for start, end in zip(starts, ends, strict=False)]  # no text: no starts, one end
