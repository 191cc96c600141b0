"""The default text for every situation, held to the rules of a good first text (the seeds' advice):
the business named in the first six words, a question, no promise to call back, how to stop, and one
GSM-7 segment (160 characters) even with the longest names and times we expect."""

import re

import pytest

from textback.lib import gsm7
from textback.messaging.templating import render
from textback.providers import models

DEFAULTS = {
    "business hours": models.DEFAULT_TEXTBACK_TEMPLATE,
    "after hours": models.DEFAULT_AFTER_HOURS_TEMPLATE,
    "holiday or closure": models.DEFAULT_HOLIDAY_TEMPLATE,
    "repeat caller": models.DEFAULT_REPEAT_CALLER_TEMPLATE,
    "emergency triage": models.DEFAULT_EMERGENCY_TEMPLATE,
    "voicemail": models.DEFAULT_VOICEMAIL_TEMPLATE,
}
LONGEST = {
    "business": "Rio Grande Valley Plumbing & Drain"[:30],
    "first_name": "Maximiliana",
    "staff": "Christopher",
    "line": "(512) 555-0100",
    "next_open": "Wednesday at 12:30 PM",
    "hours_today": "8 AM-noon, 1 PM-5:30 PM",
    "call_time": "this afternoon",
    "booking_link": "",
}
CALL_BACK = re.compile(r"\b(we('| wi)ll|will) (call|ring|phone) you( back)?\b|\bcall you back\b", re.I)


@pytest.mark.parametrize("template", DEFAULTS.values(), ids=DEFAULTS)
def test_a_default_fits_one_gsm7_segment_asks_a_question_and_says_how_to_stop(template):
    text = render(template, LONGEST)
    shape = gsm7.shape(text)
    assert shape.encoding == gsm7.GSM7 and shape.units <= 160, (shape.units, text)
    assert "?" in text
    assert "Reply STOP to opt out." in text
    assert not CALL_BACK.search(text)


@pytest.mark.parametrize("template", DEFAULTS.values(), ids=DEFAULTS)
def test_a_default_names_the_business_in_its_first_six_words(template):
    words = template.split()
    assert any("{business}" in word for word in words[:6]), words[:6]


def test_the_call_back_check_would_catch_a_promise_to_call_back():
    assert CALL_BACK.search("Sorry we missed you, we'll call you back soon")
    assert CALL_BACK.search("We will call you shortly")
    assert not CALL_BACK.search("Thanks for your call. What's going on?")
