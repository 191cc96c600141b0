"""The tiny template language a business writes its texts in."""

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from textback.lib import gsm7
from textback.messaging.templating import (
    FIELDS,
    MAX_TEXT,
    MAX_VALUE,
    TemplateError,
    check_template,
    longest,
    render,
)
from textback.providers.models import DEFAULT_TEXTBACK_TEMPLATE, DEFAULT_VOICEMAIL_TEMPLATE

VALUES = {"business": "AlphaPlumbing", "staff": "Mike", "first_name": "Dana", "line": "(512) 555-0100"}


def test_merge_fields_are_filled_in():
    text = render("Hi {first_name}, this is {staff} at {business}. Call {line}.", VALUES)
    assert text == "Hi Dana, this is Mike at AlphaPlumbing. Call (512) 555-0100."


def test_spaces_inside_the_braces_are_allowed():
    assert render("{ business }", VALUES) == "AlphaPlumbing"


@pytest.mark.parametrize("empty", ["", None, "   ", "\n"])
def test_the_fallback_is_used_when_the_value_is_empty(empty):
    assert render("Hi {first_name|there}!", {**VALUES, "first_name": empty}) == "Hi there!"


def test_the_fallback_is_used_when_the_value_is_missing():
    assert render("Hi {first_name|there}, {staff|the team} here", {}) == "Hi there, the team here"


def test_the_fallback_is_not_used_when_there_is_a_value():
    assert render("Hi {first_name|there}!", VALUES) == "Hi Dana!"


def test_a_missing_value_without_a_fallback_is_left_empty():
    assert render("Hi {first_name}, it's {business}", {"business": "AlphaPlumbing"}) == "Hi , it's AlphaPlumbing"


def test_double_braces_are_literal_braces():
    assert render("Use code {{SAVE10}} at {business}", VALUES) == "Use code {SAVE10} at AlphaPlumbing"
    check_template("{{not a field}}")


def test_the_default_templates_are_valid_and_name_the_business_and_how_to_stop():
    for template, start in ((DEFAULT_TEXTBACK_TEMPLATE, "Hi Dana, Mike at AlphaPlumbing here"),
                            (DEFAULT_VOICEMAIL_TEMPLATE, "Hi Dana, AlphaPlumbing here.")):  # fmt: skip
        check_template(template)
        text = render(template, VALUES)
        assert "AlphaPlumbing" in text and "Reply STOP to opt out." in text
        assert text.startswith(start)


def test_an_unknown_field_is_rejected_naming_it_and_the_fields_there_are():
    with pytest.raises(TemplateError) as caught:
        check_template("Hi {name}, this is {business}")
    message = str(caught.value)
    assert "{name}" in message
    for field in FIELDS:
        assert "{" + field + "}" in message


@pytest.mark.parametrize(
    "template",
    [
        "{business.__class__}",
        "{business.__class__.__mro__}",
        "{business[0]}",
        "{business!r}",
        "{business:>100}",
        "{__import__}",
        "{0}",
        "{}",
    ],
)
def test_no_attribute_or_format_access_is_possible(template):
    with pytest.raises(TemplateError):
        check_template(template)
    with pytest.raises(TemplateError):
        render(template, {"business": object()})


@pytest.mark.parametrize(("template", "position"), [("Hi { there", "4"), ("Hi } there", "4"), ("{business", "1")])
def test_an_unmatched_brace_is_rejected_saying_where_and_how_to_fix_it(template, position):
    with pytest.raises(TemplateError) as caught:
        check_template(template)
    assert f"character {position}" in str(caught.value)
    assert "{{" in str(caught.value) or "}}" in str(caught.value)


@pytest.mark.parametrize("template", ["", "   ", "\n\t"])
def test_an_empty_template_is_rejected(template):
    with pytest.raises(TemplateError, match="empty"):
        check_template(template)


def test_a_value_is_never_read_as_template_syntax():
    text = render("Hi {first_name}", {"first_name": "{business.__class__} {{x}} {staff}"})
    assert text == "Hi {business.__class__} {{x}} {staff}"


@pytest.mark.parametrize("control", ["\x00", "\x07", "\x08", "\x1b", "\x7f", "\t", "\x0b", "\x85", "\x9b"])
def test_control_characters_in_values_are_stripped(control):
    text = render("Hi {first_name}, thanks", {"first_name": f"Dana{control}Lee"})
    assert not [char for char in text if unicodedata.category(char) == "Cc"], repr(text)
    assert text.startswith("Hi Dana") and text.endswith("Lee, thanks")


def test_line_breaks_in_a_value_become_spaces():
    assert render("Hi {first_name}!", {"first_name": "Dana\nLee\n"}) == "Hi Dana Lee!"
    assert "\n" not in render("Hi {first_name}!", {"first_name": "Dana\r\nLee"})
    assert "\r" not in render("Hi {first_name}!", {"first_name": "Dana\rLee"})


def test_a_long_value_is_cut_short():
    text = render("{first_name}", {"first_name": "x" * 500})
    assert text == "x" * MAX_VALUE


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("O\u2019Brien", "O'Brien"),
        ("\u201cBob\u201d", '"Bob"'),
        ("Smith\u2013Jones", "Smith-Jones"),
        ("Smith\u2014Jones", "Smith-Jones"),
        ("Dana\u2026", "Dana..."),
        ("Dana\u00a0Lee", "Dana Lee"),
        ("Da\u200bna", "Dana"),
    ],
)
def test_look_alike_characters_in_values_are_made_gsm7(value, expected):
    text = render("Hi {first_name}", {"first_name": value})
    assert text == f"Hi {expected}"
    assert gsm7.encoding_for(text) == gsm7.GSM7


def test_look_alike_characters_in_the_template_itself_are_made_gsm7():
    text = render("We\u2019re on our way \u2014 \u201csee you soon\u201d\u2026 {business}", VALUES)
    assert text == 'We\'re on our way - "see you soon"... AlphaPlumbing'
    assert gsm7.encoding_for(text) == gsm7.GSM7


def test_characters_with_no_gsm7_look_alike_are_kept():
    text = render("Hi {first_name} 👋", {"first_name": "Zoë"})
    assert text == "Hi Zoë 👋"
    assert gsm7.encoding_for(text) == gsm7.UCS2


# --- properties ---------------------------------------------------------------------------

field_names = st.sampled_from(sorted(FIELDS))
literal_text = st.text(st.characters(blacklist_characters="{}"), max_size=30)
placeholder = st.builds(
    lambda name, fallback: "{" + name + ("|" + fallback if fallback is not None else "") + "}",
    field_names,
    st.none() | st.text(st.characters(blacklist_characters="{}"), max_size=10),
)
templates = st.lists(literal_text | placeholder | st.sampled_from(["{{", "}}"]), min_size=1, max_size=8).map("".join)
any_values = st.dictionaries(field_names, st.none() | st.text() | st.integers() | st.floats(allow_nan=True))


@given(template=templates, values=any_values)
def test_render_never_raises_once_check_template_passed(template, values):
    try:
        check_template(template)
    except TemplateError:
        return
    assert isinstance(render(template, values), str)


@given(template=st.text(max_size=40), values=any_values)
def test_render_never_raises_for_any_checked_text(template, values):
    try:
        check_template(template)
    except TemplateError:
        return
    render(template, values)


@given(values=st.dictionaries(field_names, st.text()))
def test_a_value_never_adds_more_than_its_bounded_length(values):
    text = render("{business}|{staff}|{first_name}|{line}", values)
    assert len(text) <= 4 * MAX_VALUE + 3


def test_a_template_is_measured_with_every_field_at_its_longest():
    assert longest("Hi {first_name}") == "Hi " + "x" * MAX_VALUE
    assert longest("{first_name|" + "f" * 80 + "}") == "x" * 80  # a fallback longer than any value


def test_a_template_that_could_come_out_longer_than_a_text_is_refused():
    fits = "{first_name} " + "x" * (MAX_TEXT - MAX_VALUE - 1)
    check_template(fits)
    with pytest.raises(TemplateError, match="it is 1,601 characters, and a text can be at most 1,600"):
        check_template(fits + "!")
