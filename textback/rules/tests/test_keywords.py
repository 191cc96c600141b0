"""The keyword routes' matcher: which replies page the on-call person, which get the booking link."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from textback.rules import keywords
from textback.rules.keywords import BOOK, PAGE, Route, default_routes, match

PAGES = [
    "EMERGENCY",
    "Emergency!!",
    "urgent",
    "EMERGENCY water everywhere",
    "it's an emergency",
    "It\u2019s an emergency, please hurry",
    "there is water everywhere in the kitchen",
    "basement is flooding",
    "we have no heat and a baby",
    "I smell gas",
    "gas smell in the hallway",
    "burst pipe under the sink",
    "not sure what happened but water everywhere",
    "Sewage coming up the drain",
    "no hot water and the baby needs a bath",
    "basement flooded overnight",
    "there's a flood in the basement",
    "we called 911, smells like gas in here",
    "sewage backing up into the tub",
    "the AC died, no ac and it's 104 out",
    "no heat since last night, no problem paying extra",  # "no problem" is not "no heat problems"
    "Tomorrow is too late, water everywhere now",
    "I can wait outside for you, water everywhere",
    "burst pipe!! is tomorrow ok or can someone come now?",
]
DO_NOT_PAGE = [
    "not an emergency, just need a quote",
    "It's not urgent",
    "no emergency, can you come Tuesday?",
    "non-emergency: dripping tap",
    "isn't urgent at all",
    "Thanks, see you Monday",
    "how much for a water heater?",
    "my pipes are insurgent",  # a word that merely contains one
    "urgently",  # a longer word is not the word
    "the smoke detector keeps chirping",
    "time to fire up the boiler for winter",
    "can you come asap for a quote?",
    # negated anywhere in the message, not only just before the word
    "not an emergency: no hot water since yesterday, tomorrow is fine",
    "No rush, but the water heater makes no hot water",
    "not urgent. We have no heat in the garage, whenever you can",
    "Non-emergency. Burst pipe outside, already shut off the water",
    "no power to one outlet, tomorrow's fine",
    "it can wait till Monday, the outside tap is leaking everywhere",
    # words that only look like an emergency
    "Can you quote installing flood lights?",
    "Is 911 Main St in your area?",
    "sewage pump annual service quote please",
    "The AC is fine now, no ac issues",
    "no heat problems since you fixed it, thanks!",
    "no power issues after the panel upgrade",
]


@pytest.mark.parametrize("reply", PAGES)
def test_it_pages_for_an_emergency_in_the_callers_words(reply):
    found = match(reply, default_routes())
    assert found is not None and found.action == PAGE, reply


@pytest.mark.parametrize("reply", DO_NOT_PAGE)
def test_it_does_not_page_for_a_negated_or_ordinary_reply(reply):
    found = match(reply, default_routes())
    assert found is None or found.action != PAGE, reply


def test_it_sends_the_booking_link_for_book():
    assert match("BOOK", default_routes()) == keywords.Match(BOOK, "book")
    assert match("Can I book online?", default_routes()).action == BOOK


@pytest.mark.parametrize(
    "reply",
    ["BOOK", "book online", "I'd like to book an appointment", "Can I make an appointment for Friday?",
     "can we schedule a visit next week", "need an appointment for a water heater install"],
)  # fmt: skip
def test_it_sends_the_booking_link_for_a_clear_request_to_book(reply):
    found = match(reply, default_routes())
    assert found is not None and found.action == BOOK, reply


@pytest.mark.parametrize(
    "reply",
    ["what time is my appointment tomorrow?", "I have an appointment at 3, running late",
     "Is my booking still on?", "can you confirm the appointment", "I need to reschedule my appointment"],
)  # fmt: skip
def test_it_does_not_send_the_booking_link_for_a_question_about_an_existing_appointment(reply):
    assert match(reply, default_routes()) is None, reply


def test_an_emergency_outranks_a_booking():
    assert match("book someone now, it's an emergency", default_routes()).action == PAGE


def test_it_names_the_longest_wording_that_matched_as_the_reason():
    found = match("EMERGENCY water everywhere", default_routes())
    assert found.word == "water everywhere"
    assert found.reason == "the reply says \u201cwater everywhere\u201d"


def test_a_route_switched_off_matches_nothing():
    routes = [Route(PAGE, keywords.DEFAULT_WORDS[PAGE], active=False), Route(BOOK, ("book",))]
    assert match("EMERGENCY", routes) is None


def test_a_business_may_add_its_own_words():
    routes = [Route(PAGE, ("no cooling", "frozen")), Route(BOOK, ("book",))]
    assert match("the walk-in has NO   cooling", routes).action == PAGE
    assert match("EMERGENCY", routes) is None  # the business replaced the words


def test_words_are_read_one_per_line_or_comma_separated_without_repeats():
    assert keywords.parse_words("Emergency, URGENT\n  water  everywhere \n\nurgent") == (
        "emergency",
        "urgent",
        "water everywhere",
    )


def test_the_default_words_hold_no_carrier_keyword():
    from textback.messaging.keywords import KEYWORDS

    for words in keywords.DEFAULT_WORDS.values():
        assert not {w.upper() for w in words} & set(KEYWORDS)


FILLER = st.lists(st.sampled_from(["please", "help", "the", "kitchen", "tonight", "hi", "we", "have", "thanks"]),
                  max_size=6).map(" ".join)  # fmt: skip
EMERGENCY_WORDS = st.sampled_from(keywords.DEFAULT_WORDS[PAGE])


@given(before=FILLER, word=EMERGENCY_WORDS, after=FILLER, shout=st.booleans())
def test_an_emergency_word_among_ordinary_words_always_pages(before, word, after, shout):
    reply = f"{before} {word.upper() if shout else word} {after}"
    assert match(reply, default_routes()).action == PAGE


@given(before=FILLER, negation=st.sampled_from(["not", "no", "isn't", "it's not an", "non-", "not really"]),
       word=EMERGENCY_WORDS, after=FILLER)  # fmt: skip
def test_a_negated_emergency_word_alone_never_pages(before, negation, word, after):
    reply = f"{before}. {negation} {word} {after}"
    found = match(reply, default_routes())
    assert found is None or found.action != PAGE, reply
