"""Message templates a business writes: plain text with a few merge fields.

The syntax is deliberately tiny so a tenant cannot reach anything but the
values we hand over: `{field}` or `{field|fallback}` where the fallback is used
when the value is empty, and `{{` / `}}` for literal braces. There are no
attribute lookups, filters, loops or conditions.
"""

import re
import unicodedata

from textback.lib.text import normalise_sms_text

FIELDS = {
    "business": "the business name",
    "staff": "the name signing the text (set per line)",
    "first_name": "the caller's first name, when we know it",
    "line": "the number the caller dialled",
    "booking_link": "the business's online booking link",
    "hours_today": "today's opening hours, e.g. 8 AM-5 PM, or closed",
    "next_open": "when you next open, e.g. tomorrow at 8 AM",
    "call_time": "when they called, e.g. this afternoon",
}
# What an empty field says when the template gives no {field|fallback} of its own.
BUILT_IN_FALLBACKS = {
    "booking_link": "by replying here",
    "hours_today": "closed",
    "next_open": "soon",
    "call_time": "earlier",
}
HOURS_FIELDS = frozenset({"hours_today", "next_open"})  # these need the schedule built from rows
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}|]*)(?:\|([^{}]*))?\}|[{}]")
MAX_VALUE = 60  # the longest a merge value gets (clean_value cuts it there)
LONG_VALUES = {"booking_link": 200}  # a web address cut short is broken: it keeps its full length
MAX_TEXT = 1600  # the longest text a provider takes (Twilio's cap on Body)


class TemplateError(ValueError):
    """A template that cannot be rendered; the message says what to fix."""


def _tokens(template: str):
    """Yield (literal_text, field, fallback) pieces, raising TemplateError on bad syntax."""
    pos = 0
    for match in _TOKEN.finditer(template):
        literal = template[pos : match.start()]
        pos = match.end()
        token = match.group(0)
        if token in ("{{", "}}"):
            yield literal + token[0], None, None
        elif token in ("{", "}"):
            raise TemplateError(
                f"unmatched {token!r} at character {match.start() + 1}; write {token * 2} for a literal brace"
            )
        else:
            field = match.group(1).strip()
            if field not in FIELDS:
                known = ", ".join("{" + f + "}" for f in FIELDS)
                raise TemplateError(f"unknown field {{{field}}}; the fields are {known}")
            yield literal, field, match.group(2)
    yield template[pos:], None, None


def check_template(template: str) -> None:
    """Raise TemplateError if the template cannot be rendered, or could come out longer than a text can be."""
    if not template.strip():
        raise TemplateError("the template is empty")
    length = len(longest(template))
    if length > MAX_TEXT:
        raise TemplateError(too_long(length))


def longest(template: str) -> str:
    """The template as it reads with every merge field at its longest: MAX_VALUE characters, or its fallback
    when that is longer (raises TemplateError on bad syntax)."""
    parts = []
    for literal, field, fallback in _tokens(template):
        parts.append(literal)
        if field is not None:
            parts.append("x" * max(LONG_VALUES.get(field, MAX_VALUE), len((fallback or "").strip())))
    return normalise_sms_text("".join(parts)).strip()


def too_long(length: int) -> str:
    return (
        f"with the longest names filled in (a caller's name, the staff name or your business name can each be "
        f"{MAX_VALUE} characters) it is {length:,} characters, and a text can be at most {MAX_TEXT:,}; "
        f"shorten it by at least {length - MAX_TEXT:,} characters"
    )


def clean_value(value: object, limit: int = MAX_VALUE) -> str:
    """A merge value as it may appear in a text: one line, no control characters (C0 or C1), bounded."""
    chars = (" " if unicodedata.category(c) == "Cc" else c for c in str(value or ""))
    return normalise_sms_text(" ".join("".join(chars).split()))[:limit]  # bounded after "…" became "..."


def fields_used(template: str) -> set[str]:
    """The merge fields a template uses (raises TemplateError on bad syntax)."""
    return {field for _, field, _ in _tokens(template) if field is not None}


def render(template: str, values: dict[str, object]) -> str:
    """The text a recipient reads, with look-alike characters made GSM-7 safe. A value may be a callable,
    called only when the template uses its field (the hours fields read the schedule only then)."""
    parts = []
    for literal, field, fallback in _tokens(template):
        parts.append(literal)
        if field is not None:
            value = values.get(field)
            value = clean_value(value() if callable(value) else value, LONG_VALUES.get(field, MAX_VALUE))
            parts.append(value or (fallback or "").strip() or BUILT_IN_FALLBACKS.get(field, ""))
    return normalise_sms_text("".join(parts)).strip()
