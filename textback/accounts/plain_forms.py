"""Forms that refuse what is not text, and say what to fix in words an owner understands.

Django's stock messages ("Select a valid choice. x is not one of the available choices.", "Ensure this value
has at most 40 characters (it has 52).", "Null characters are not allowed.") name no field and read like a
programmer's. `PlainWords`, a mixin for every form of the staff app, gives each field that still carries a
stock message one that names the field and says what to do (a message a form sets itself is kept), and adds
the project's text check (lib/text.py `input_problem`: a NUL, a lone surrogate, bytes that were not UTF-8)
to every text field, so such input is refused next to its field on both databases, never stored.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import pretty_name

from textback.lib.text import MAX_ID, input_problem, whole_number


def _stock(field: forms.Field) -> dict[str, str]:
    """The messages Django gives a field of this class when nobody sets them."""
    stock: dict[str, str] = {}
    for cls in reversed(type(field).__mro__):
        stock.update(getattr(cls, "default_error_messages", {}))
    return stock


def _words(field: forms.Field, label: str) -> dict[str, str]:
    """Plain messages for a field, by error code."""
    name = f"“{label}”"
    if isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
        pick = f"Choose one of the options for {name}."
        return {"required": pick, "invalid_choice": pick, "invalid_pk_value": pick, "invalid_list": pick}
    if isinstance(field, forms.EmailField):
        typed = "Give an email address, such as jane@example.com."
        return {"required": typed, "invalid": typed, **_text_words(name)}
    if isinstance(field, forms.IntegerField):
        return {
            "required": f"Give {name} as a whole number.",
            "invalid": f"Give {name} as a whole number, such as 20.",
            "min_value": f"{name} must be %(limit_value)s or more.",
            "max_value": f"{name} must be %(limit_value)s or less.",
        }
    if isinstance(field, forms.TimeField):
        return {"required": f"Give a time for {name}.", "invalid": f"Give {name} as a time, such as 8:00 AM or 17:30."}
    return {"required": f"Fill in {name}.", **_text_words(name)}


def _text_words(name: str) -> dict[str, str]:
    return {
        "max_length": f"{name} can be at most %(limit_value)d characters; this is %(show_value)d. Shorten it.",
        "min_length": f"{name} needs at least %(limit_value)d characters; this is %(show_value)d.",
        "null_characters_not_allowed": f"{name} contains a NUL character; type it again without it.",
    }


class _Text:
    """A text field's check that the value is text that can be stored (lengths are the field's own check)."""

    def __init__(self, name: str):
        self.name = name

    def __call__(self, value) -> None:
        # A NUL is Django's own check's to report (its message is "null_characters_not_allowed" above): once is enough.
        problem = input_problem(value.replace("\x00", "")) if isinstance(value, str) else None
        if problem:
            raise ValidationError(f"{self.name} {problem}; type it again.", code="not_text")


class PlainWords:
    """Mix into a Form or ModelForm (before it): plain messages for every field, text checked as text."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, field in self.fields.items():
            label = str(field.label or pretty_name(key))
            stock = _stock(field)
            for code, words in _words(field, label).items():
                if code not in field.error_messages or field.error_messages[code] == stock.get(code):
                    field.error_messages[code] = words
            if isinstance(field, forms.CharField):
                field.validators.append(_Text(f"“{label}”"))


def _is_id(value) -> bool:
    return isinstance(value, str | int) and whole_number(str(value), MAX_ID) is not None


class ModelIdField(forms.ModelChoiceField):
    """A row chosen by its id. Anything but an id (a NUL, non-ASCII digits, a number past 64 bits) is refused
    with the field's own "choose one" message before any query."""

    def to_python(self, value):
        if value not in self.empty_values and not isinstance(value, self.queryset.model) and not _is_id(value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class ModelIdsField(forms.ModelMultipleChoiceField):
    """Several rows chosen by id, each checked as ModelIdField checks one (SQLite and PostgreSQL would both
    raise on an id past 64 bits in the query that looks them up)."""

    def _check_values(self, value):
        if not all(_is_id(v) for v in value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super()._check_values(value)
