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
}
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}|]*)(?:\|([^{}]*))?\}|[{}]")
MAX_VALUE = 60  # the longest a merge value gets (clean_value cuts it there)
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
            parts.append("x" * max(MAX_VALUE, len((fallback or "").strip())))
    return normalise_sms_text("".join(parts)).strip()


def too_long(length: int) -> str:
    return (
        f"with the longest names filled in (a caller's name, the staff name or your business name can each be "
        f"{MAX_VALUE} characters) it is {length:,} characters, and a text can be at most {MAX_TEXT:,}; "
        f"shorten it by at least {length - MAX_TEXT:,} characters"
    )


def clean_value(value: object) -> str:
    """A merge value as it may appear in a text: one line, no control characters (C0 or C1), bounded."""
    chars = (" " if unicodedata.category(c) == "Cc" else c for c in str(value or ""))
    return normalise_sms_text(" ".join("".join(chars).split()))[:MAX_VALUE]  # bounded after "…" became "..."


def render(template: str, values: dict[str, object]) -> str:
    """The text a recipient reads, with look-alike characters made GSM-7 safe."""
    parts = []
    for literal, field, fallback in _tokens(template):
        parts.append(literal)
        if field is not None:
            parts.append(clean_value(values.get(field)) or (fallback or "").strip())
    return normalise_sms_text("".join(parts)).strip()
