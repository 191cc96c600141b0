"""rules/revocation.py as a specification: what a reasonable person reads as "stop texting me", in three
languages, and what they do not. The corpus test measures it on 336 replies; these pin the rules."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from textback.rules.revocation import BORDERLINE, MAX_PHRASE, NONE, OPT_OUT, judge, phrase


def kind(body: str) -> str:
    return judge(body).kind


@pytest.mark.parametrize(
    "body",
    ["stop texting me", "please stop", "remove me", "wrong number, stop", "lose my number", "no more texts",
     "alto", "no me manden más mensajes", "cancelar", "arrêtez", "désabonner", "don't contact me again",
     "unsubscribe", "leave me alone"],
)  # fmt: skip
def test_the_issues_examples_of_an_opt_out_opt_out(body):
    assert kind(body) == OPT_OUT


@pytest.mark.parametrize(
    "body", ["can you stop by tomorrow?", "the leak won't stop", "stop the water first?", "no stopping now",
             "cancel my appointment?", "Need to cancel, can we do Friday?", "remove the old faucet too"],
)  # fmt: skip
def test_the_issues_examples_of_an_ambiguous_message_are_no_opt_out(body):
    assert kind(body) == NONE


@pytest.mark.parametrize("body", ["not interested", "who is this? stop", "wrong number", "no gracias", "stop what?"])
def test_a_message_a_person_should_read_is_borderline(body):
    assert kind(body) == BORDERLINE


@pytest.mark.parametrize(
    "body", ["EMERGENCY stop texting me", "URGENT stop texting me", "urgent remove my number",
             "EMERGENCY no more texts", "urgente: no me manden mensajes", "URGENCE arrêtez de m'écrire"],
)  # fmt: skip
def test_it_reads_an_emergency_word_in_front_of_an_opt_out_as_an_opt_out_so_nobody_is_paged(body):
    assert kind(body) == OPT_OUT


@pytest.mark.parametrize("body", ["EMERGENCY the water won't stop", "URGENT can you stop by today?"])
def test_it_still_reads_an_emergency_about_a_leak_or_a_visit_as_no_opt_out(body):
    assert kind(body) == NONE


def test_cancel_alone_is_the_carriers_keyword_but_cancel_with_an_appointment_is_a_reply():
    assert kind("Cancel") == OPT_OUT
    assert kind("cancel please") == OPT_OUT
    assert kind("cancel the 3pm please") == NONE
    assert kind("cancel?? no! we still need you") != OPT_OUT  # a bare word asked as a question is never enough


def test_a_bare_stop_next_to_a_reason_to_stop_opts_out_next_to_anything_else_it_is_borderline():
    assert kind("I never called you. STOP") == OPT_OUT
    assert kind("not interested, stop") == OPT_OUT
    assert kind("STOP. Can you come Tuesday instead?") == BORDERLINE


def test_the_ledger_keeps_the_words_as_typed_up_to_160_characters():
    assert phrase("  Stop   texting\nme  ") == "Stop texting me"
    assert len(phrase("stop texting me " * 20)) == MAX_PHRASE


folds = st.sampled_from([str.upper, str.lower, str.title, lambda s: s.replace("'", "\u2019")])


@settings(max_examples=300, deadline=None)
@given(body=st.sampled_from(["stop texting me", "don't text me again", "No me escriban más", "Arrêtez de m'écrire",
                             "remove my number", "leave me alone", "please stop"]),
       fold=folds, before=st.sampled_from(["", "  ", "Hey, ", "OK. ", "🙄 "]),
       after=st.sampled_from(["", "!!", " please", ". Thanks", " 😡", "..."]))  # fmt: skip
def test_an_opt_out_stays_one_whatever_the_case_quotes_politeness_and_emoji_around_it(body, fold, before, after):
    assert kind(before + fold(body) + after) == OPT_OUT


@settings(max_examples=300, deadline=None)
@given(body=st.sampled_from(["can you stop by at {}?", "the leak won't stop since {}", "cancel my {} appointment",
                             "please remove the old {} too", "stop by after {} please", "no more hot water since {}"]),
       filler=st.sampled_from(["3", "monday", "noon", "the morning", "9am", "lunch"]), fold=folds)  # fmt: skip
def test_a_trade_sentence_using_the_words_never_opts_out(body, filler, fold):
    assert kind(fold(body.format(filler))) != OPT_OUT


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=400))
def test_any_text_at_all_gets_one_of_the_three_answers(text):
    assert kind(text) in (OPT_OUT, BORDERLINE, NONE)


@pytest.mark.parametrize(
    "body", ["stop texting me i never called you", "dont text me again or ill report you",
             "who is this stop messaging me", "leave me alone im not interested", "no more texts please im all set",
             "dejen de escribirme por favor no llame", "arretez de m'envoyer des messages je n'ai pas appele"],
)  # fmt: skip
def test_a_clear_request_running_on_without_punctuation_still_opts_out(body):
    assert kind(body) == OPT_OUT


@pytest.mark.parametrize(
    "body", ["dont text me before 7am I work nights", "remove me from the waitlist and book friday",
             "can you take me off the waitlist", "i told the other company to stop texting me",
             "please dont stop texting me updates", "don't call me, text me", "no more hot water since monday",
             "i want to unsubscribe from the maintenance plan", "stop texting the other number, use this one"],
)  # fmt: skip
def test_words_that_narrow_or_redirect_the_request_are_no_opt_out(body):
    assert kind(body) != OPT_OUT
