import pytest
from hypothesis import given
from hypothesis import strategies as st

from textback.lib.gsm7 import is_gsm7, shape
from textback.lib.text import input_problem, normalise_sms_text, normalise_template, whole_number

LOOK_ALIKES = (
    "‘’‚‛′ʻʼˈ＇"
    "“”„‟″«»＂❝❞〝〞"
    "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
    "…•"
    "\u00a0\u202f\u205f\u3000" + "".join(chr(cp) for cp in range(0x2000, 0x200B)) + "\u200b\u200c\u200d\u2060\ufeff"
)
# Printable ASCII is GSM-7 except the backtick, which has no GSM-7 form.
GSM_ASCII = "".join(chr(cp) for cp in range(0x20, 0x7F) if chr(cp) != "`") + "\r\n"


@pytest.mark.parametrize("char", "‘’‚‛′ʻʼˈ＇")
def test_curly_single_quotes_become_an_apostrophe(char):
    assert normalise_sms_text(f"We{char}ll") == "We'll"


@pytest.mark.parametrize("char", "“”„‟″«»＂❝❞〝〞")
def test_curly_double_quotes_become_a_straight_quote(char):
    assert normalise_sms_text(f"{char}hi{char}") == '"hi"'


@pytest.mark.parametrize("char", "\u2010\u2011\u2012\u2013\u2014\u2015\u2212•")
def test_dashes_minus_and_bullet_become_a_hyphen(char):
    assert normalise_sms_text(f"9{char}5") == "9-5"


def test_an_ellipsis_becomes_three_dots():
    assert normalise_sms_text("Wait…") == "Wait..."


@pytest.mark.parametrize("char", ["\u00a0", "\u2000", "\u2005", "\u2009", "\u200a", "\u202f", "\u205f", "\u3000"])
def test_unusual_spaces_become_a_plain_space(char):
    assert normalise_sms_text(f"a{char}b") == "a b"


@pytest.mark.parametrize("char", "\u200b\u200c\u200d\u2060\ufeff")
def test_zero_width_characters_are_removed(char):
    assert normalise_sms_text(f"{char}call{char}back{char}") == "callback"


def test_windows_line_endings_become_newlines():
    assert normalise_sms_text("Hi\r\nBye\r\n") == "Hi\nBye\n"


def test_a_lone_carriage_return_is_left_alone():
    assert normalise_sms_text("a\rb") == "a\rb"


def test_a_doubled_carriage_return_before_a_newline_is_one_line_break():
    assert normalise_sms_text("a\r\r\nb") == "a\nb"


def test_accented_letters_and_emoji_are_kept():
    text = "Café Ω ж ç 😀 ½ ™ `"
    assert normalise_sms_text(text) == text


def test_an_emoji_zwj_sequence_is_kept_whole():
    developer = "\U0001f468\u200d\U0001f4bb"
    assert normalise_sms_text(f"Hi {developer}!") == f"Hi {developer}!"


def test_a_typical_pasted_message_becomes_gsm7():
    pasted = "Sorry we missed you – we’ll call back… “soon”\u00a0•\u200b"
    assert normalise_sms_text(pasted) == 'Sorry we missed you - we\'ll call back... "soon" -'
    assert shape(normalise_sms_text(pasted)).encoding == "GSM-7"


# --- normalise_template --------------------------------------------------------


def test_full_width_ascii_becomes_ascii():
    assert normalise_template("Ｃａｌｌ　ｕｓ！１２３") == "Call us!123"


def test_ligatures_are_expanded():
    assert normalise_template("ﬁx ﬂat ﬀ ﬆ") == "fix flat ff st"


def test_other_compatibility_characters_are_not_folded():
    assert normalise_template("10 m² ™ ½ ①") == "10 m² ™ ½ ①"


def test_templates_lose_trailing_whitespace_on_every_line_and_around_the_text():
    assert normalise_template("\n  Hi {name}, \t\r\nBye\u00a0\n\n") == "Hi {name},\nBye"


def test_templates_keep_indentation_inside_the_text():
    assert normalise_template("Hi\n  - one") == "Hi\n  - one"


def test_templates_also_replace_look_alikes():
    assert normalise_template("We’ll call back — promise…") == "We'll call back - promise..."


# --- properties ----------------------------------------------------------------

look_alike_text = st.text(alphabet=st.sampled_from(LOOK_ALIKES + GSM_ASCII))
messy_text = st.one_of(
    look_alike_text,
    st.text(alphabet=st.sampled_from(LOOK_ALIKES + GSM_ASCII + "é😀ж\u2028\U0001f4bb`ﬁＡ")),
    st.text(),
)


@given(look_alike_text)
def test_look_alikes_and_ascii_always_normalise_to_gsm7(text):
    assert is_gsm7(normalise_sms_text(text))


@given(messy_text)
def test_normalise_sms_text_is_idempotent(text):
    once = normalise_sms_text(text)
    assert normalise_sms_text(once) == once


@given(messy_text)
def test_normalise_template_is_idempotent(text):
    once = normalise_template(text)
    assert normalise_template(once) == once


@given(st.text(alphabet=st.sampled_from("é😀жΩç½™`{€ ab\n")))
def test_text_without_look_alikes_is_unchanged(text):
    assert normalise_sms_text(text) == text


# --- input_problem ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["", "+15125550147", "anonymous", "Water heater 🔥 leaking\nsince 6am", "é" * 40])
def test_ordinary_text_has_no_problem(value):
    assert input_problem(value, 40) is None


@pytest.mark.parametrize(
    "value, problem",
    [
        ("+1512\x005550147", "contains a NUL character"),
        ("\x00", "contains a NUL character"),
        ("+1512\ud800", "is not valid text"),
        ("\udfff", "is not valid text"),
        ("+1512\ufffd\ufffd\ufffd", "is not valid text"),
        ("5" * 41, "is longer than 40 characters"),
        ("\x00" * 100_000, "is longer than 40 characters"),
    ],
)
def test_nul_surrogates_undecodable_bytes_and_absurd_lengths_are_named(value, problem):
    assert input_problem(value, 40).startswith(problem)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("42", 42),
        ("007", 7),
        (str(2**63 - 1), 2**63 - 1),
        (str(2**63), None),  # past what a database id holds
        ("9" * 40, None),
        ("\u00b2", None),  # "²".isdigit() is True, and int() refuses it
        ("\u0661\u0662", None),  # int() reads it as 12; not what anyone typed as an id
        ("-1", None),
        ("+1", None),
        (" 1", None),
        ("1e5", None),
        ("1\x00", None),
        ("", None),
    ],
)
def test_whole_number_reads_only_ascii_digits(text, number):
    assert whole_number(text) == number


def test_whole_number_keeps_to_its_maximum():
    assert (whole_number("120", maximum=120), whole_number("121", maximum=120)) == (120, None)
