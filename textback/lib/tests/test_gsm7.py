import itertools

import gsm0338  # noqa: F401  (registers the "gsm03.38" codec)
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from textback.lib.gsm7 import (
    GSM7,
    GSM7_BASIC,
    GSM7_CONCAT,
    GSM7_EXT,
    GSM7_SINGLE,
    UCS2,
    UCS2_CONCAT,
    UCS2_SINGLE,
    SmsShape,
    is_gsm7,
    shape,
    split_segments,
)

GSM_CHARS = [c for c in GSM7_BASIC if c != "\x1b"] + list(GSM7_EXT)
MIXED_CHARS = GSM_CHARS + ["’", "—", "`", "é", "ж", "😀", "👍", "\U0001f1fa"]

gsm_text = st.text(alphabet=st.sampled_from(GSM_CHARS), max_size=400)
mixed_text = st.text(alphabet=st.sampled_from(MIXED_CHARS), max_size=400)
any_text = st.one_of(gsm_text, mixed_text, st.text(max_size=400))


def gsm_septets(text):
    return len(text.encode("gsm03.38"))


def utf16_units(text):
    return len(text.encode("utf-16-le")) // 2


# --- verified examples -------------------------------------------------------


def test_a_curly_apostrophe_forces_ucs2():
    assert shape("We’ll call back") == SmsShape(UCS2, 15, 1, ("’",))


def test_the_euro_sign_costs_two_septets():
    assert shape("Price: 10€") == SmsShape(GSM7, 11, 1, ())


@pytest.mark.parametrize("length, segments", [(160, 1), (161, 2), (306, 2), (307, 3)])
def test_plain_gsm_text_splits_at_160_then_153(length, segments):
    assert shape("a" * length).segments == segments


def test_160_septets_of_extension_characters_fit_one_message():
    assert shape("{" * 80) == SmsShape(GSM7, 160, 1, ())


def test_161_septets_would_be_needed_so_81_braces_take_two_segments():
    assert shape("{" * 81).segments == 2


def test_an_accented_letter_in_the_gsm_table_keeps_gsm7():
    assert shape("x" * 70 + "é") == SmsShape(GSM7, 71, 1, ())


def test_seventy_ucs2_units_still_fit_one_message():
    assert shape("x" * 69 + "’") == SmsShape(UCS2, 70, 1, ("’",))


@pytest.mark.parametrize("char", ["—", "`"])
def test_an_em_dash_or_a_backtick_forces_ucs2(char):
    assert shape(char).encoding == UCS2


def test_an_emoji_costs_two_utf16_units():
    assert shape("😀") == SmsShape(UCS2, 2, 1, ("😀",))


# --- encoding choice ---------------------------------------------------------


def test_empty_text_is_gsm7_with_nothing_to_send():
    assert shape("") == SmsShape(GSM7, 0, 0, ())
    assert split_segments("") == []
    assert is_gsm7("")


def test_a_bare_escape_character_is_not_sendable_as_gsm7():
    assert not is_gsm7("\x1b")
    assert shape("a\x1b") == SmsShape(UCS2, 2, 1, ("\x1b",))


def test_every_basic_character_except_escape_is_gsm7():
    assert all(is_gsm7(c) for c in GSM_CHARS)


def test_non_gsm_lists_distinct_offenders_in_order_of_first_appearance():
    assert shape("—a`—’`").non_gsm == ("—", "`", "’")


def test_gsm_only_characters_cost_one_ucs2_unit_once_the_message_is_ucs2():
    assert shape("{€’").units == 3


# --- boundaries --------------------------------------------------------------


@pytest.mark.parametrize("length, segments", [(70, 1), (71, 2), (67 * 2, 2), (67 * 2 + 1, 3)])
def test_ucs2_text_splits_at_70_then_67(length, segments):
    assert shape("’" * length).segments == segments


@pytest.mark.parametrize("length, segments", [(153 * 2, 2), (153 * 2 + 1, 3)])
def test_gsm7_concatenated_segments_hold_153_septets(length, segments):
    assert [len(s) for s in split_segments("a" * length)][:2] == [153, 153]
    assert shape("a" * length).segments == segments


def test_an_escape_pair_that_would_straddle_a_boundary_moves_to_the_next_segment():
    text = "a" * 152 + "{" + "b" * 10
    assert split_segments(text) == ["a" * 152, "{" + "b" * 10]


def test_an_escape_pair_that_ends_exactly_on_the_boundary_stays():
    text = "a" * 151 + "{" + "b" * 10
    assert split_segments(text) == ["a" * 151 + "{", "b" * 10]


def test_a_moved_escape_pair_can_cost_an_extra_segment():
    text = "a" * 152 + "{" + "a" * 152  # 306 septets, but cannot pack into 2
    assert shape(text) == SmsShape(GSM7, 306, 3, ())
    assert split_segments(text) == ["a" * 152, "{" + "a" * 151, "a"]


def test_a_surrogate_pair_at_the_67_unit_boundary_moves_to_the_next_segment():
    text = "x" * 66 + "😀" + "x" * 66  # 134 units, but cannot pack into 2
    assert shape(text) == SmsShape(UCS2, 134, 3, ("😀",))
    assert split_segments(text) == ["x" * 66, "😀" + "x" * 65, "x"]


def test_a_surrogate_pair_that_ends_exactly_on_the_boundary_stays():
    text = "x" * 65 + "😀" + "x" * 10
    assert split_segments(text) == ["x" * 65 + "😀", "x" * 10]


def test_seventy_units_ending_in_an_emoji_fit_one_message():
    assert shape("x" * 68 + "😀").segments == 1
    assert shape("x" * 69 + "😀").segments == 2


# --- properties --------------------------------------------------------------


@given(gsm_text)
def test_gsm7_units_match_the_gsm0338_codec(text):
    assert shape(text).units == gsm_septets(text)


@given(any_text)
def test_ucs2_units_are_utf16_code_units(text):
    if not is_gsm7(text):
        assert shape(text).units == utf16_units(text)


@given(any_text)
def test_segment_count_matches_the_segments_produced(text):
    assert shape(text).segments == len(split_segments(text))


@given(any_text)
def test_joining_the_segments_gives_back_the_text(text):
    assert "".join(split_segments(text)) == text


@given(any_text)
@example("a" * 152 + "{" + "a" * 152)
@example("x" * 66 + "😀" + "x" * 66)
def test_every_segment_fits_its_limit(text):
    encoding = shape(text).encoding
    measure = gsm_septets if encoding == GSM7 else utf16_units
    single, concat = (GSM7_SINGLE, GSM7_CONCAT) if encoding == GSM7 else (UCS2_SINGLE, UCS2_CONCAT)
    segments = split_segments(text)
    limit = single if len(segments) == 1 else concat
    assert all(0 < measure(s) <= limit for s in segments)


@given(any_text)
def test_no_segment_could_have_taken_the_next_character(text):
    """Greedy packing: splitting earlier than needed would waste segments."""
    encoding = shape(text).encoding
    measure = gsm_septets if encoding == GSM7 else utf16_units
    limit = GSM7_CONCAT if encoding == GSM7 else UCS2_CONCAT
    segments = split_segments(text)
    for current, following in itertools.pairwise(segments):
        assert measure(current + following[0]) > limit
