"""Twilio's SIDs and tokens: typed in any letter case, stored and compared in Twilio's."""

import pytest

from textback.providers.twilio import ids

SID = "AC" + "0123456789abcdef" * 2


@pytest.mark.parametrize("typed", [SID, SID.upper(), "ac" + SID[2:], f"  {SID.upper()}\n"])
def test_an_account_sid_in_any_letter_case_is_stored_as_twilio_writes_it(typed):
    assert ids.sid_problem(typed) is None
    assert ids.normal_sid(typed) == SID


@pytest.mark.parametrize("typed", ["", "AC123", "CA" + SID[2:], SID + "0", "AC" + "g" * 32])
def test_a_malformed_account_sid_is_named_with_where_to_find_the_right_one(typed):
    assert ids.sid_problem(typed) == f"Account SID {typed!r} is malformed: {ids.SID_HELP}"


def test_the_patterns_match_only_twilios_own_form():
    assert ids.ACCOUNT_SID.fullmatch(SID)
    assert not ids.ACCOUNT_SID.fullmatch(SID.upper())
    assert not ids.ACCOUNT_SID.fullmatch("ac" + SID[2:])
    for pattern, prefix in [(ids.CALL_SID, "CA"), (ids.RECORDING_SID, "RE"), (ids.PHONE_NUMBER_SID, "PN")]:
        assert pattern.fullmatch(prefix + SID[2:]) and not pattern.fullmatch(prefix + SID[2:].upper())
    assert all(ids.MESSAGE_SID.fullmatch(p + SID[2:]) for p in ("SM", "MM", "SS"))


def test_a_token_in_any_letter_case_is_accepted_and_stored_in_lower_case():
    token = "f00dfeedc0ffee0ddba11deadbeef123"
    assert ids.token_problem(token.upper()) is None
    assert ids.normal_token(f" {token.upper()} ") == token


def test_a_malformed_token_is_described_without_quoting_it():
    secret = "Secret-Password-Nobody-Should-See"
    problem = ids.token_problem(secret)
    assert problem == f"the auth token is malformed (33 characters): {ids.TOKEN_HELP}"
    assert ids.token_problem("") == "no auth token is set"


def test_a_stored_sid_in_another_letter_case_is_a_problem_because_webhooks_would_never_match():
    assert ids.stored_sid_problem(SID) is None
    assert ids.stored_sid_problem(SID.upper()) == (
        f"Account SID {SID.upper()!r} is stored in another letter case than Twilio writes it ({SID}), "
        "so webhooks from this account are refused"
    )
    assert ids.stored_sid_problem("ACnope").endswith(ids.SID_HELP)


def test_text_that_is_not_a_sid_is_left_as_typed():
    assert ids.normal_sid(" hello ") == "hello"


@pytest.mark.django_db
def test_a_webhook_compares_its_account_sid_with_the_stored_one_as_twilio_writes_it(alpha_line, twilio_post):
    from textback.calls.models import Call
    from textback.providers.twilio.tests.helpers import fixture

    upper = fixture("voice_incoming", AccountSid=alpha_line.account.account_sid.upper())
    assert twilio_post("voice", upper).status_code == 403  # Twilio never writes it so
    assert twilio_post("voice", fixture("voice_incoming")).status_code == 200
    assert Call.objects.count() == 1
