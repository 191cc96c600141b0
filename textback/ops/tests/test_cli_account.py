"""`textback account …`: provider credentials from a shell, without the token ever showing."""

import pytest

from textback.ops.tests.conftest import SID, TOKEN
from textback.providers.models import SANDBOX, TWILIO, ProviderAccount


@pytest.fixture
def token_file(tmp_path):
    path = tmp_path / "token"
    path.write_text(TOKEN + "\n")
    return str(path)


def add_twilio(textback, *extra, sid=SID, **kwargs):
    return textback("account", "add", "--business", "acme", "--provider", "twilio", "--sid", sid, *extra, **kwargs)


def test_it_adds_a_twilio_account_from_a_token_file_and_prints_its_id(textback, acme, token_file):
    result = add_twilio(textback, "--label", "main", "--token-file", token_file)
    assert result.code == 0
    account = ProviderAccount.objects.get()
    assert result.out.strip() == str(account.pk)
    assert (account.business, account.provider, account.label) == (acme, TWILIO, "main")
    assert (account.account_sid, account.auth_token) == (SID, TOKEN)


def test_it_reads_the_token_from_standard_input(textback, acme):
    assert add_twilio(textback, "--token-stdin", stdin=TOKEN + "\n").code == 0
    assert ProviderAccount.objects.get().auth_token == TOKEN


def test_it_reads_the_token_from_the_environment(textback, acme, monkeypatch):
    monkeypatch.setenv("TEXTBACK_TWILIO_AUTH_TOKEN", TOKEN)
    assert add_twilio(textback).code == 0
    assert ProviderAccount.objects.get().auth_token == TOKEN


def test_it_has_no_option_that_takes_the_token_as_an_argument(textback, acme):
    result = textback("account", "add", "--business", "acme", "--provider", "twilio", "--sid", SID, "--token", TOKEN)
    assert result.code != 0
    assert "unrecognized arguments: --token" in result.err
    assert not ProviderAccount.objects.exists()


def test_it_refuses_a_twilio_account_without_a_token(textback, acme, monkeypatch):
    monkeypatch.delenv("TEXTBACK_TWILIO_AUTH_TOKEN", raising=False)
    result = add_twilio(textback)
    assert result.code == 2
    assert "--token-file PATH, --token-stdin or the TEXTBACK_TWILIO_AUTH_TOKEN environment variable" in result.err
    assert not ProviderAccount.objects.exists()


def test_it_does_not_fall_back_to_the_environment_when_stdin_is_empty(textback, acme, monkeypatch):
    monkeypatch.setenv("TEXTBACK_TWILIO_AUTH_TOKEN", TOKEN)
    result = add_twilio(textback, "--token-stdin", stdin="")
    assert result.code == 2
    assert not ProviderAccount.objects.exists()


def test_it_refuses_a_malformed_account_sid(textback, acme, token_file):
    result = add_twilio(textback, "--token-file", token_file, sid="AC123")
    assert result.code == 2
    assert "the Account SID starts with AC and has 32 hex digits after it; find it on console.twilio.com" in result.err
    assert not ProviderAccount.objects.exists()


def test_it_refuses_an_api_key_sid_in_place_of_the_account_sid(textback, acme, token_file):
    result = add_twilio(textback, "--token-file", token_file, sid="SK" + "0" * 32)
    assert result.code == 2
    assert "starts with AC" in result.err


def test_it_refuses_a_malformed_token_without_repeating_it(textback, acme):
    wrong = "not-a-token-but-a-password-xyz"
    result = add_twilio(textback, "--token-stdin", stdin=wrong)
    assert result.code == 2
    assert "the auth token is 32 hex digits" in result.err
    assert wrong not in result.output
    assert not ProviderAccount.objects.exists()


def test_it_stores_the_sid_and_token_in_twilios_letter_case(textback, acme):
    add_twilio(textback, "--token-stdin", sid=SID.upper(), stdin=TOKEN.upper())
    account = ProviderAccount.objects.get()
    assert (account.account_sid, account.auth_token) == (SID, TOKEN)


def test_it_refuses_the_same_twilio_account_twice(textback, twilio_account, token_file):
    result = add_twilio(textback, "--token-file", token_file)
    assert result.code == 2
    assert f"acme has this Twilio account already (id {twilio_account.pk})" in result.err


def test_it_says_when_the_token_file_cannot_be_read(textback, acme, tmp_path):
    result = add_twilio(textback, "--token-file", str(tmp_path / "missing"))
    assert result.code == 2
    assert "cannot read the auth token from" in result.err


def test_it_adds_a_sandbox_account(textback, acme):
    result = textback("account", "add", "--business", "acme", "--provider", "sandbox", "--label", "demo")
    assert result.code == 0
    assert ProviderAccount.objects.get(pk=int(result.out)).provider == SANDBOX


def test_it_refuses_twilio_credentials_on_a_sandbox_account(textback, acme):
    result = textback("account", "add", "--business", "acme", "--provider", "sandbox", "--sid", SID)
    assert result.code == 2
    assert "sandbox accounts take no --sid or auth token" in result.err


def test_it_lists_accounts_with_whether_a_token_is_set(textback, twilio_account, sandbox_account, bolt):
    ProviderAccount.objects.create(business=bolt, provider=TWILIO, account_sid="AC" + "1" * 32)
    rows = [line.split() for line in textback("account", "list").out.splitlines()]
    assert rows[0] == ["ID", "BUSINESS", "PROVIDER", "LABEL", "ACCOUNT", "SID", "TOKEN", "LINES"]
    assert rows[1] == [str(twilio_account.pk), "acme", "twilio", "main", SID, "token", "set", "0"]
    assert rows[2] == [str(sandbox_account.pk), "acme", "sandbox", "demo", "-", "0"]
    assert rows[3][1:] == ["bolt", "twilio", "AC" + "1" * 32, "no", "token", "0"]
    only_bolt = textback("account", "list", "--business", "bolt").out
    assert "acme" not in only_bolt


def test_it_replaces_the_token(textback, twilio_account):
    new = "0" * 31 + "1"
    result = textback("account", "set", str(twilio_account.pk), "--token-stdin", "--label", "primary", stdin=new)
    assert result.code == 0
    twilio_account.refresh_from_db()
    assert (twilio_account.auth_token, twilio_account.label) == (new, "primary")
    assert new not in result.output


def test_it_says_which_account_does_not_exist(textback, acme):
    result = textback("account", "set", "999", "--label", "x")
    assert result.code == 2
    assert "there is no provider account 999" in result.err


def test_it_never_prints_the_auth_token(textback, acme, token_file, monkeypatch):
    monkeypatch.setenv("TEXTBACK_TWILIO_AUTH_TOKEN", TOKEN)
    results = [
        add_twilio(textback, "--token-file", token_file),
        add_twilio(textback, "--token-file", token_file),  # refused as a duplicate
        textback("account", "list"),
        textback("account", "set", str(ProviderAccount.objects.get().pk), "--token-stdin", stdin=TOKEN),
        textback("account", "add", "--business", "bolt", "--provider", "twilio", "--sid", SID),  # no such business
    ]
    for result in results:
        assert TOKEN not in result.output
        assert TOKEN.upper() not in result.output
