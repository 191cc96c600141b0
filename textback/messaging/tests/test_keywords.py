"""Recognising STOP, START and HELP in what a contact texts (telephony-facts §3.4)."""

import pytest

from textback.messaging.keywords import HELP, OPT_IN, OPT_OUT, classify

OPT_OUT_WORDS = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"]
OPT_IN_WORDS = ["START", "YES", "UNSTOP"]
HELP_WORDS = ["HELP", "INFO"]


def kind(body: str, provider_type: str = "") -> str | None:
    found = classify(body, provider_type)
    return found.kind if found else None


@pytest.mark.parametrize("word", OPT_OUT_WORDS)
def test_every_carrier_opt_out_keyword_opts_out(word):
    assert kind(word) == OPT_OUT


@pytest.mark.parametrize("word", OPT_IN_WORDS)
def test_every_carrier_opt_in_keyword_opts_in(word):
    assert kind(word) == OPT_IN


@pytest.mark.parametrize("word", HELP_WORDS)
def test_every_carrier_help_keyword_asks_for_help(word):
    assert kind(word) == HELP


@pytest.mark.parametrize("spelling", [str.lower, str.title, str.upper, lambda w: w[0].lower() + w[1:]])
@pytest.mark.parametrize("word", OPT_OUT_WORDS + OPT_IN_WORDS + HELP_WORDS)
def test_keywords_match_in_any_case(word, spelling):
    assert kind(spelling(word)) is not None


@pytest.mark.parametrize(
    "body",
    [
        "  stop ",
        "Stop.",
        "STOP!",
        "stop!!!",
        "\nStop\n",
        "Stop\u00a0",
        "STOP ALL",
        "Stop all",
        "opt out",
        "Opt Out!",
        "STOP 🛑",
        '"stop"',
    ],
)
def test_an_opt_out_keyword_matches_despite_spaces_and_punctuation(body):
    assert kind(body) == OPT_OUT


@pytest.mark.parametrize("body", ["  start ", "Yes!", "yes.", "unstop", "START\n"])
def test_an_opt_in_keyword_matches_despite_spaces_and_punctuation(body):
    assert kind(body) == OPT_IN


@pytest.mark.parametrize("body", ["help?", " Help ", "INFO.", "Info!"])
def test_a_help_keyword_matches_despite_spaces_and_punctuation(body):
    assert kind(body) == HELP


def test_the_ledger_gets_the_keyword_in_its_carrier_spelling():
    assert classify("  stop all! ").word == "STOPALL"
    assert classify("opt out").word == "OPTOUT"
    assert classify("Stop.").phrase is False


@pytest.mark.parametrize(
    "body",
    [
        "stop texting me",
        "Stop texting me!",
        "STOP MESSAGING ME",
        "please stop sending me",
        "stop texting me please",
        "don't text me",
        "Dont text me again",
        "do not message me",
        "Remove me from your list.",
        "please remove me",
        "take me off your list",
        "Unsubscribe me",
        "opt me out",
    ],
)
def test_a_plain_request_to_stop_opts_out(body):
    found = classify(body)
    assert found is not None and found.kind == OPT_OUT
    assert found.phrase is True


@pytest.mark.parametrize(
    "body",
    [
        "Please stop",
        "Stop please",
        "stop it",
        "stop pls",
        "STOP STOP",
        "stop, stop!",
        "Stop it please, thanks",
        "quit it",
        "please unsubscribe",
        "OPT-OUT",
        "opt_out",
        "S.T.O.P.",
    ],
)
def test_an_opt_out_keyword_with_only_politeness_or_repetition_around_it_opts_out(body):
    assert kind(body) == OPT_OUT


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("ＳＴＯＰ", OPT_OUT),
        ("ｓｔｏｐ", OPT_OUT),
        ("ＳＴＯＰ ＡＬＬ", OPT_OUT),
        ("Ｐｌｅａｓｅ ｓｔｏｐ", OPT_OUT),
        ("ＵＮＳＴＯＰ", OPT_IN),
        ("ＨＥＬＰ", HELP),
    ],
)
def test_fullwidth_letters_are_read_as_the_keywords_they_show(body, expected):
    assert kind(body) == expected


@pytest.mark.parametrize("body", ["Don\u2019t text me again", "don\u2019t message me", "Don\u2019t text me"])
def test_a_plain_request_typed_on_an_iphone_with_a_curly_apostrophe_opts_out(body):
    # iOS "smart punctuation" (on by default) turns ' into ’ as people type.
    assert kind(body) == OPT_OUT


def test_a_phrase_is_recorded_as_typed_for_the_ledger():
    found = classify("Please remove me from your list.")
    assert found.word == "Please remove me from your list"


@pytest.mark.parametrize(
    "body",
    [
        "Can you stop by at 5?",
        "Yes please come today",
        "Yes, 3pm works",
        "I need to cancel my appointment",
        "Help! Water everywhere",
        "info on pricing please",
        "The leak won't stop",
        "At the end of the street",
        "Don't stop, keep it coming",
        "started leaking again",
        "Thank you",
        "it's fine, thanks",
        "end of the week please",
        "",
        "   ",
        "🛑",
    ],
)
def test_ordinary_sentences_containing_the_words_are_not_keywords(body):
    assert classify(body) is None


@pytest.mark.parametrize(
    ("body", "optouttype", "expected"),
    [
        ("Arrêtez", "STOP", OPT_OUT),  # a custom keyword of Twilio Advanced Opt-Out
        ("Please help me", "HELP", HELP),
        ("Commencer", "START", OPT_IN),
        ("start", "STOP", OPT_OUT),  # Twilio said STOP: that wins over our reading
        ("stop", "start", OPT_IN),
    ],
)
def test_the_opt_out_type_twilio_reports_wins(body, optouttype, expected):
    assert kind(body, optouttype) == expected


def test_an_unknown_opt_out_type_is_ignored():
    assert kind("Hello there", "SOMETHING") is None
    assert kind("STOP", "SOMETHING") == OPT_OUT
