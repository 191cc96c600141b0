"""The pure autoresponder rule (rules/loops.py): a machine answering our automatic texts, never a person."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from textback.rules import loops
from textback.rules.loops import Turn

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def ours(minutes: float, body: str = "Hi, this is Mike at AlphaPlumbing. How can we help?") -> Turn:
    return Turn(at=T0 + timedelta(minutes=minutes), ours=True, automatic=True, body=body)


def staff(minutes: float, body: str = "We can come at 2.") -> Turn:
    return Turn(at=T0 + timedelta(minutes=minutes), ours=True, automatic=False, body=body)


def theirs(minutes: float, body: str) -> Turn:
    return Turn(at=T0 + timedelta(minutes=minutes), ours=False, body=body)


def after(turn: Turn, seconds: float, body: str) -> Turn:
    return Turn(at=turn.at + timedelta(seconds=seconds), ours=False, body=body)


def test_an_automated_reply_to_our_text_back_is_an_autoresponder():
    text_back = ours(0)

    assert loops.detect([text_back, theirs(1, "This is an automated reply. I am away until Monday.")]) == loops.WORDING


def test_a_phones_driving_reply_to_our_text_back_is_an_autoresponder():
    thread = [ours(0), theirs(0.2, "I'm driving with Driving Focus turned on. I'll see your message when I get there.")]

    assert loops.detect(thread) == loops.WORDING


def test_automatic_words_from_someone_we_never_texted_automatically_stop_nothing():
    """Nothing of ours to loop with: a staff reply is a person's, and people answer people."""
    assert loops.detect([theirs(0, "Auto-reply: I am away")]) is None
    assert loops.detect([staff(0), theirs(1, "Auto-reply: I am away")]) is None


def test_a_persons_quick_answer_to_our_text_back_is_a_person():
    text_back = ours(0)

    assert loops.detect([text_back, after(text_back, 8, "Yes please, the kitchen sink is leaking")]) is None


def test_a_person_who_mentions_driving_is_a_person():
    assert loops.detect([ours(0), theirs(2, "I'm driving, there in 10")]) is None


def test_three_answers_each_within_seconds_of_our_automatic_texts_are_an_autoresponder():
    first, second, third = ours(0), ours(30), ours(60)
    thread = [
        first, after(first, 3, "Thanks for your message"),
        second, after(second, 4, "We got your message, someone will reply"),
        third, after(third, 2, "Your message matters to us"),
    ]  # fmt: skip

    assert loops.detect(thread) == loops.FAST_ANSWERS


def test_two_fast_answers_are_not_yet_enough():
    first, second = ours(0), ours(30)
    thread = [first, after(first, 3, "Thanks for texting"), second, after(second, 4, "Who is this?")]

    assert loops.detect(thread) is None


def test_a_slow_answer_between_fast_ones_breaks_the_run():
    first, second, third = ours(0), ours(30), ours(60)
    thread = [
        first, after(first, 3, "ok thanks for your message"),
        second, after(second, 40, "sorry who is this"),
        third, after(third, 2, "ok thanks, got it"),
    ]  # fmt: skip

    assert loops.detect(thread) is None


def test_the_same_words_after_three_of_our_automatic_texts_are_an_autoresponder():
    words = "Thank you for contacting Smith Family Dental"
    thread = [ours(0), theirs(5, words), ours(65), theirs(70, words), ours(130), theirs(140, words)]

    assert loops.detect(thread) == loops.SAME_WORDS


def test_a_person_asking_the_same_thing_three_times_with_no_automatic_text_between_is_a_person():
    thread = [ours(0), theirs(5, "Are you there?"), theirs(10, "Are you there?"), theirs(15, "Are you there?")]

    assert loops.detect(thread) is None


def test_short_words_repeated_are_a_persons():
    thread = [ours(0), theirs(5, "ok"), ours(65), theirs(70, "ok"), ours(130), theirs(140, "ok")]

    assert loops.detect(thread) is None


def test_texts_older_than_the_lookback_are_forgotten():
    words = "Thank you for contacting Smith Family Dental"
    old = loops.LOOKBACK / timedelta(minutes=1) + 10
    thread = [ours(0), theirs(5, words), ours(65), theirs(70, words), ours(old), theirs(old + 5, words)]

    assert loops.detect(thread) is None


def test_a_staff_reply_since_our_automatic_text_makes_the_next_answer_a_persons():
    assert loops.detect([ours(0), staff(1), theirs(2, "Automatic reply: out of office")]) is None


def test_every_reason_reads_as_words():
    assert set(loops.REASONS) == {loops.WORDING, loops.FAST_ANSWERS, loops.SAME_WORDS}


PERSON_WORDS = st.sampled_from(
    ["Yes please", "Can you come tomorrow?", "The leak is under the sink", "ok", "How much?", "Thanks!", "call me"]
)


@given(
    gaps=st.lists(st.integers(min_value=11, max_value=3600), min_size=1, max_size=6),
    words=st.lists(PERSON_WORDS, min_size=6, max_size=6, unique=True),
)
def test_people_answering_each_automatic_text_more_slowly_than_a_machine_with_their_own_words_are_never_paused(
    gaps, words
):
    thread, at = [], 0.0
    for i, gap in enumerate(gaps):
        text = ours(at)
        thread += [text, after(text, gap, words[i])]
        at += 120

    assert loops.detect(thread) is None
