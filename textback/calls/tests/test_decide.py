"""The pure text-back decision: one test per rule, the order of reasons, and properties."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from textback.calls import decide, outcomes
from textback.calls.decide import CallFacts, Policy
from textback.lib.phone import facts

CALLER = "+15125550147"
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
DAY = timedelta(hours=24)


def policy(**changes) -> Policy:
    base = Policy(
        enabled=True,
        outcomes=frozenset(outcomes.DEFAULT_TEXTBACK_OUTCOMES),
        countries=frozenset({"US", "CA"}),
        cooldown=DAY,
    )
    return replace(base, **changes)


def call(number: str = CALLER, **changes) -> CallFacts:
    base = CallFacts(outcome=outcomes.NO_ANSWER, number=facts(number), now=NOW)
    return replace(base, **changes)


def reason(facts_: CallFacts, policy_: Policy | None = None) -> str | None:
    decision = decide.decide(facts_, policy_ or policy())
    assert decision.text is (decision.reason == decide.TEXT_MISSED_CALL)
    return None if decision.text else decision.reason


# --- one rule at a time --------------------------------------------------------------------


def test_an_ordinary_missed_call_from_a_us_mobile_is_texted():
    decision = decide.decide(call(), policy())

    assert decision == decide.Decision(text=True, reason=decide.TEXT_MISSED_CALL)
    assert decision.explanation == "Missed call: text-back queued"


@pytest.mark.parametrize("outcome", sorted(outcomes.MISSED))
def test_every_missed_outcome_is_texted_by_default(outcome):
    assert reason(call(outcome=outcome)) is None


def test_a_call_on_a_line_with_text_back_switched_off_is_not_texted():
    assert reason(call(), policy(enabled=False)) == decide.LINE_DISABLED


def test_an_answered_call_is_not_texted_by_default():
    assert reason(call(outcome=outcomes.ANSWERED)) == decide.OUTCOME_NOT_SELECTED


def test_an_outcome_the_business_did_not_choose_is_not_texted():
    chosen = policy(outcomes=frozenset({outcomes.NO_ANSWER, outcomes.VOICEMAIL}))

    assert reason(call(outcome=outcomes.BUSY), chosen) == decide.OUTCOME_NOT_SELECTED
    assert reason(call(outcome=outcomes.VOICEMAIL), chosen) is None


def test_a_call_that_has_not_ended_is_not_texted():
    assert reason(call(outcome=None)) == decide.NOT_ENDED


@pytest.mark.parametrize("caller_id", ["anonymous", "Restricted", "+266696687", "+7378742833", "+8656696", ""])
def test_an_anonymous_caller_is_not_texted(caller_id):
    assert reason(call(caller_id)) == decide.ANONYMOUS


@pytest.mark.parametrize("caller_id", ["+1512555014", "not a number", "+15125550147999", "512-555"])
def test_an_invalid_caller_id_is_not_texted(caller_id):
    assert reason(call(caller_id)) == decide.INVALID_NUMBER


@pytest.mark.parametrize("caller_id", ["22395", "+1512555", "12345678", "411", "898211"])
def test_a_short_code_or_a_too_short_caller_id_is_not_texted(caller_id):
    assert reason(call(caller_id)) == decide.SHORT_NUMBER


def test_a_premium_rate_caller_id_is_not_texted():
    assert reason(call("+19005550123")) == decide.PREMIUM_NUMBER


@pytest.mark.parametrize("caller_id", ["+18005550123", "+18885551234", "+18775550100", "+18665550100"])
def test_a_toll_free_caller_id_is_not_texted(caller_id):
    """A toll-free caller ID is a company's outbound trunk (a supplier, a call centre): it cannot take a text."""
    assert reason(call(caller_id)) == decide.TOLL_FREE_NUMBER


def test_a_toll_free_caller_id_is_not_texted_even_from_a_country_the_business_texts():
    assert reason(call("+448000151234"), policy(countries=frozenset({"GB"}))) == decide.TOLL_FREE_NUMBER


def test_a_call_under_both_caps_is_texted():
    assert reason(call(texts_this_hour=199, texts_today=999), policy(texts_per_hour=200, texts_per_day=1000)) is None


def test_a_call_at_the_hourly_cap_is_not_texted():
    capped = policy(texts_per_hour=200, texts_per_day=1000)

    assert reason(call(texts_this_hour=200, texts_today=500), capped) == decide.HOURLY_CAP
    assert decide.decide(call(texts_this_hour=200), capped).explanation == (
        "The business reached its cap on automatic texts this hour"
    )


def test_a_call_at_the_daily_cap_is_not_texted_whatever_the_hour():
    assert reason(call(texts_this_hour=3, texts_today=1000), policy(texts_per_hour=200, texts_per_day=1000)) == (
        decide.DAILY_CAP
    )


def test_a_cap_of_zero_means_no_cap():
    assert reason(call(texts_this_hour=10**6, texts_today=10**6), policy(texts_per_hour=0, texts_per_day=0)) is None


def test_a_call_that_would_not_be_texted_anyway_keeps_its_own_reason_over_the_cap():
    """Only a call that would be texted counts as stopped by the cap (and alerts the owner)."""
    capped = policy(texts_per_hour=1)

    assert reason(call(last_auto_text_at=NOW, texts_this_hour=5), capped) == decide.COOLDOWN
    assert reason(call("+18005550123", texts_this_hour=5), capped) == decide.TOLL_FREE_NUMBER


@pytest.mark.parametrize("caller_id", ["+18762345678", "+442079460123"])
def test_a_caller_outside_the_allowed_countries_is_not_texted(caller_id):
    """+1 876 is Jamaica: a +1 number is not necessarily US or Canada."""
    assert reason(call(caller_id)) == decide.COUNTRY_NOT_ALLOWED


def test_a_canadian_caller_is_texted_when_canada_is_allowed():
    assert reason(call("+14165550123")) is None
    assert reason(call("+14165550123"), policy(countries=frozenset({"US"}))) == decide.COUNTRY_NOT_ALLOWED


def test_a_british_caller_is_texted_when_the_business_allows_gb():
    assert reason(call("+442079460123"), policy(countries=frozenset({"US", "GB"}))) is None


def test_a_call_from_one_of_the_business_numbers_is_not_texted():
    assert reason(call(own_number=True)) == decide.OWN_NUMBER


def test_an_excluded_caller_is_not_texted():
    assert reason(call(excluded=True)) == decide.EXCLUDED


def test_an_opted_out_caller_is_not_texted():
    assert reason(call(opted_out=True)) == decide.OPTED_OUT


def test_a_known_landline_is_not_texted():
    assert reason(call(landline=True)) == decide.LANDLINE


def test_a_number_the_carrier_called_invalid_is_not_texted():
    assert reason(call(known_invalid=True)) == decide.INVALID_NUMBER


def test_a_caller_texted_automatically_an_hour_ago_is_in_the_cool_down():
    assert reason(call(last_auto_text_at=NOW - timedelta(hours=1))) == decide.COOLDOWN


def test_a_caller_texted_just_under_24_hours_ago_is_still_in_the_cool_down():
    assert reason(call(last_auto_text_at=NOW - DAY + timedelta(seconds=1))) == decide.COOLDOWN


def test_a_caller_texted_exactly_24_hours_ago_is_out_of_the_cool_down():
    assert reason(call(last_auto_text_at=NOW - DAY)) is None


def test_a_caller_texted_more_than_24_hours_ago_is_texted_again():
    assert reason(call(last_auto_text_at=NOW - DAY - timedelta(minutes=1))) is None


def test_the_cool_down_is_the_business_setting():
    two_hours = policy(cooldown=timedelta(hours=2))

    assert reason(call(last_auto_text_at=NOW - timedelta(hours=1)), two_hours) == decide.COOLDOWN
    assert reason(call(last_auto_text_at=NOW - timedelta(hours=3)), two_hours) is None


def test_a_zero_cool_down_never_blocks():
    assert reason(call(last_auto_text_at=NOW), policy(cooldown=timedelta(0))) is None


# --- several rules at once: the most fundamental reason is kept ------------------------------

EVERYTHING_WRONG = dict(
    own_number=True, excluded=True, opted_out=True, landline=True, last_auto_text_at=NOW - timedelta(minutes=5)
)


@pytest.mark.parametrize(
    "facts_, policy_, expected",
    [
        (call("anonymous", outcome=None, **EVERYTHING_WRONG), policy(enabled=False), decide.LINE_DISABLED),
        (call("anonymous", outcome=None, **EVERYTHING_WRONG), policy(), decide.NOT_ENDED),
        (call("anonymous", outcome=outcomes.ANSWERED, **EVERYTHING_WRONG), policy(), decide.OUTCOME_NOT_SELECTED),
        (call("anonymous", known_invalid=True, **EVERYTHING_WRONG), policy(), decide.ANONYMOUS),
        (call("12345", **EVERYTHING_WRONG), policy(), decide.SHORT_NUMBER),
        (call("not a number", **EVERYTHING_WRONG), policy(), decide.INVALID_NUMBER),
        (call("+18762345678", known_invalid=True, **EVERYTHING_WRONG), policy(), decide.INVALID_NUMBER),
        (call("+19005550123", **EVERYTHING_WRONG), policy(countries=frozenset({"GB"})), decide.PREMIUM_NUMBER),
        (call("+18005550123", **EVERYTHING_WRONG), policy(countries=frozenset({"GB"})), decide.TOLL_FREE_NUMBER),
        (call("+442079460123", **EVERYTHING_WRONG), policy(), decide.COUNTRY_NOT_ALLOWED),
        (call(**EVERYTHING_WRONG), policy(), decide.OWN_NUMBER),
        (call(**{**EVERYTHING_WRONG, "own_number": False}), policy(), decide.EXCLUDED),
        (call(opted_out=True, landline=True, last_auto_text_at=NOW), policy(), decide.OPTED_OUT),
        (call(landline=True, last_auto_text_at=NOW), policy(), decide.LANDLINE),
        (call(last_auto_text_at=NOW, texts_this_hour=9), policy(texts_per_hour=1), decide.COOLDOWN),
        (call(texts_this_hour=9, texts_today=9), policy(texts_per_hour=1, texts_per_day=1), decide.HOURLY_CAP),
    ],
    ids=[
        "disabled-first",
        "not-ended-before-outcome",
        "outcome-before-number",
        "anonymous-before-invalid",
        "short-before-invalid",
        "invalid-before-premium",
        "known-invalid-before-country",
        "premium-before-country",
        "toll-free-before-country",
        "country-before-own",
        "own-before-excluded",
        "excluded-before-opted-out",
        "opted-out-before-landline",
        "landline-before-cooldown",
        "cooldown-before-caps",
        "hourly-cap-before-daily",
    ],
)
def test_when_several_rules_apply_the_most_fundamental_reason_is_kept(facts_, policy_, expected):
    assert reason(facts_, policy_) == expected


# --- properties ------------------------------------------------------------------------------

NUMBERS = st.sampled_from(
    [
        CALLER,
        "+14165550123",
        "+18762345678",
        "+442079460123",
        "+19005550123",
        "12345",
        "anonymous",
        "",
        "+8656696",
        "+18005550123",
        "22395",
        "+448000151234",
    ]
)
OUTCOME_OR_NONE = st.one_of(st.none(), st.sampled_from(outcomes.OUTCOMES))
OFFSETS = st.one_of(
    st.none(), st.integers(min_value=0, max_value=3 * 24 * 3600).map(lambda s: NOW - timedelta(seconds=s))
)

call_facts = st.builds(
    CallFacts,
    outcome=OUTCOME_OR_NONE,
    number=NUMBERS.map(facts),
    own_number=st.booleans(),
    excluded=st.booleans(),
    opted_out=st.booleans(),
    landline=st.booleans(),
    known_invalid=st.booleans(),
    last_auto_text_at=OFFSETS,
    now=st.just(NOW),
    texts_this_hour=st.integers(min_value=0, max_value=300),
    texts_today=st.integers(min_value=0, max_value=1500),
)
policies = st.builds(
    Policy,
    enabled=st.booleans(),
    outcomes=st.frozensets(st.sampled_from(outcomes.OUTCOMES)),
    countries=st.frozensets(st.sampled_from(["US", "CA", "GB", "JM", "MX"])),
    cooldown=st.integers(min_value=0, max_value=48).map(lambda h: timedelta(hours=h)),
    texts_per_hour=st.integers(min_value=0, max_value=300),
    texts_per_day=st.integers(min_value=0, max_value=1500),
)


def any_rule_applies(f: CallFacts, p: Policy) -> bool:
    """The rules of ARCHITECTURE §4, written out independently of decide.py."""
    n = f.number
    in_cooldown = f.last_auto_text_at is not None and f.now - f.last_auto_text_at < p.cooldown
    return (
        not p.enabled
        or f.outcome is None
        or f.outcome not in p.outcomes
        or n.anonymous
        or not n.valid
        or f.known_invalid
        or n.premium
        or n.toll_free
        or n.region not in p.countries
        or f.own_number
        or f.excluded
        or f.opted_out
        or f.landline
        or in_cooldown
        or 0 < p.texts_per_hour <= f.texts_this_hour
        or 0 < p.texts_per_day <= f.texts_today
    )


@given(call_facts, policies)
def test_a_call_is_texted_exactly_when_no_rule_applies(f, p):
    assert decide.decide(f, p).text is (not any_rule_applies(f, p))


@given(call_facts, policies)
def test_every_decision_has_a_reason_people_can_read(f, p):
    decision = decide.decide(f, p)

    assert decision.reason in decide.REASONS
    assert decision.explanation == decide.REASONS[decision.reason]
    assert (decision.reason == decide.TEXT_MISSED_CALL) is decision.text


@given(call_facts, policies)
def test_an_answered_call_is_never_texted_unless_the_business_chose_answered(f, p):
    f = replace(f, outcome=outcomes.ANSWERED)
    if outcomes.ANSWERED not in p.outcomes:
        assert decide.decide(f, p).text is False
