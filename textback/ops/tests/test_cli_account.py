"""`textback account …`: provider credentials from a shell, without the token ever showing."""

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth import get_user_model

from textback.accounts import two_factor
from textback.accounts.models import TwoFactor
from textback.lib.encryption import KeyRing
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
    assert "sandbox accounts take no --sid, auth token or webhook key" in result.err


def test_it_lists_accounts_with_whether_a_token_is_set(textback, twilio_account, sandbox_account, bolt):
    ProviderAccount.objects.create(business=bolt, provider=TWILIO, account_sid="AC" + "1" * 32)
    rows = [line.split() for line in textback("account", "list").out.splitlines()]
    assert rows[0] == ["ID", "BUSINESS", "PROVIDER", "LABEL", "ACCOUNT", "SID", "TOKEN", "WEBHOOK", "KEY", "LINES"]
    assert rows[1] == [str(twilio_account.pk), "acme", "twilio", "main", SID, "token", "set", "-", "0"]
    assert rows[2] == [str(sandbox_account.pk), "acme", "sandbox", "demo", "-", "-", "0"]
    assert rows[3][1:] == ["bolt", "twilio", "AC" + "1" * 32, "no", "token", "-", "0"]
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


# --- the webhook key (a Twilio webhook SharedKey's secret) ----------------------------------------

WEBHOOK_KEY = "Zk3xQ9vR2mT7wY4pL8nB6cJ1hF5dS0aG"  # distinctive, so a test can search any output for it


@pytest.fixture
def key_file(tmp_path):
    path = tmp_path / "webhook-key"
    path.write_text(WEBHOOK_KEY + "\n")
    return str(path)


def test_it_adds_a_twilio_account_with_a_webhook_key_from_a_file(textback, acme, token_file, key_file):
    result = add_twilio(textback, "--token-file", token_file, "--webhook-key-file", key_file)
    assert result.code == 0, result.output
    account = ProviderAccount.objects.get()
    assert (account.auth_token, account.webhook_key) == (TOKEN, WEBHOOK_KEY)
    assert WEBHOOK_KEY not in account.webhook_key_encrypted


def test_it_reads_the_webhook_key_from_standard_input(textback, acme, token_file):
    assert add_twilio(textback, "--token-file", token_file, "--webhook-key-stdin", stdin=WEBHOOK_KEY + "\n").code == 0
    assert ProviderAccount.objects.get().webhook_key == WEBHOOK_KEY


def test_an_account_has_no_webhook_key_unless_given_one(textback, acme, token_file):
    add_twilio(textback, "--token-file", token_file)
    assert ProviderAccount.objects.get().webhook_key == ""


def test_it_has_no_option_that_takes_the_webhook_key_as_an_argument(textback, acme, token_file):
    result = add_twilio(textback, "--token-file", token_file, "--webhook-key", WEBHOOK_KEY)
    assert result.code != 0
    assert "unrecognized arguments: --webhook-key" in result.err
    assert not ProviderAccount.objects.exists()


def test_it_refuses_two_secrets_from_standard_input(textback, acme):
    result = add_twilio(textback, "--token-stdin", "--webhook-key-stdin", stdin=f"{TOKEN}\n{WEBHOOK_KEY}\n")
    assert result.code == 2
    assert "only one secret can come from standard input" in result.err
    assert not ProviderAccount.objects.exists()


def test_it_refuses_a_malformed_webhook_key_without_repeating_it(textback, acme, token_file):
    wrong = "two words"
    result = add_twilio(textback, "--token-file", token_file, "--webhook-key-stdin", stdin=wrong)
    assert result.code == 2
    assert "the webhook key is malformed (9 characters)" in result.err
    assert wrong not in result.output
    assert not ProviderAccount.objects.exists()


def test_it_refuses_an_empty_webhook_key(textback, twilio_account):
    result = textback("account", "set", str(twilio_account.pk), "--webhook-key-stdin", stdin="\n")
    assert result.code == 2
    assert "the webhook key is empty" in result.err and "--no-webhook-key" in result.err


def test_it_sets_replaces_and_removes_the_webhook_key(textback, twilio_account, key_file):
    result = textback("account", "set", str(twilio_account.pk), "--webhook-key-file", key_file)
    assert result.out.strip() == f"Updated account {twilio_account.pk}: webhook key."
    twilio_account.refresh_from_db()
    assert (twilio_account.webhook_key, twilio_account.auth_token) == (WEBHOOK_KEY, TOKEN)

    textback("account", "set", str(twilio_account.pk), "--webhook-key-stdin", stdin="another-key-0123456789")
    twilio_account.refresh_from_db()
    assert twilio_account.webhook_key == "another-key-0123456789"

    result = textback("account", "set", str(twilio_account.pk), "--no-webhook-key")
    assert result.out.strip() == f"Updated account {twilio_account.pk}: webhook key removed."
    twilio_account.refresh_from_db()
    assert (twilio_account.webhook_key, twilio_account.webhook_key_encrypted) == ("", "")


def test_it_refuses_a_webhook_key_on_a_sandbox_account(textback, sandbox_account, key_file):
    result = textback("account", "set", str(sandbox_account.pk), "--webhook-key-file", key_file)
    assert result.code == 2
    assert "sandbox accounts take no --sid, auth token or webhook key" in result.err


def test_it_lists_whether_a_webhook_key_is_set_and_whether_secrets_are_readable(
    textback, twilio_account, bolt, lose_the_key
):
    twilio_account.webhook_key = WEBHOOK_KEY
    twilio_account.save()
    unreadable = ProviderAccount.objects.create(
        business=bolt, provider=TWILIO, account_sid="AC" + "1" * 32, auth_token=TOKEN
    )
    lose_the_key(unreadable)
    twilio_account.auth_token, twilio_account.webhook_key = TOKEN, WEBHOOK_KEY  # stored again under the new key
    twilio_account.save()

    result = textback("account", "list")
    rows = [line.split() for line in result.out.splitlines()]
    assert rows[1][-4:] == ["token", "set", "set", "0"]
    assert rows[2][-3:] == ["unreadable", "-", "0"]
    for secret in (TOKEN, WEBHOOK_KEY, twilio_account.auth_token_encrypted, twilio_account.webhook_key_encrypted):
        assert secret not in result.output


def test_it_never_prints_the_webhook_key(textback, acme, token_file, key_file):
    results = [
        add_twilio(textback, "--token-file", token_file, "--webhook-key-file", key_file),
        add_twilio(textback, "--token-file", token_file, "--webhook-key-file", key_file),  # a duplicate
        textback("account", "list"),
        textback("account", "set", str(ProviderAccount.objects.get().pk), "--webhook-key-stdin", stdin=WEBHOOK_KEY),
        textback("account", "reencrypt"),
    ]
    for result in results:
        assert WEBHOOK_KEY not in result.output


# --- textback account reencrypt ---------------------------------------------------------------


def test_reencrypt_moves_every_secret_to_the_new_key_and_says_how_many(textback, twilio_account, settings):
    old, new = Fernet.generate_key(), Fernet.generate_key()
    settings.ENCRYPTION_KEYS = [old]
    twilio_account.auth_token, twilio_account.webhook_key = TOKEN, WEBHOOK_KEY
    twilio_account.save()
    settings.ENCRYPTION_KEYS = [new, old]

    result = textback("account", "reencrypt")

    assert result.code == 0, result.output
    assert result.out.strip() == (
        "Re-encrypted 2 of 2 provider secrets and 0 of 0 two-factor secrets with the first key (0 already used it). "
        "The keys after the first in TEXTBACK_ENCRYPTION_KEY can now be removed."
    )
    twilio_account.refresh_from_db()
    assert KeyRing([new]).decrypt(twilio_account.auth_token_encrypted) == TOKEN
    assert KeyRing([new]).decrypt(twilio_account.webhook_key_encrypted) == WEBHOOK_KEY
    again = textback("account", "reencrypt").out
    assert again.startswith("Re-encrypted 0 of 2 provider secrets and 0 of 0 two-factor secrets with the first key")


def test_reencrypt_moves_the_two_factor_secrets_too_and_counts_them_apart(textback, twilio_account, settings):
    old, new = Fernet.generate_key(), Fernet.generate_key()
    settings.ENCRYPTION_KEYS = [old]
    person = get_user_model().objects.create_user("mike@acme.example", "mike@acme.example", "x" * 12)
    secret = two_factor.do_begin(person).secret_encrypted
    settings.ENCRYPTION_KEYS = [new, old]

    result = textback("account", "reencrypt")

    assert result.out.startswith(
        "Re-encrypted 1 of 1 provider secret and 1 of 1 two-factor secret with the first key (0 already used it)."
    )
    moved = TwoFactor.objects.get(user=person).secret_encrypted
    assert KeyRing([new]).decrypt(moved) == KeyRing([old]).decrypt(secret)


def test_reencrypt_without_a_configured_key_says_what_the_first_key_is(textback, twilio_account):
    result = textback("account", "reencrypt")
    assert result.out.strip() == (
        "Re-encrypted 0 of 1 provider secret and 0 of 0 two-factor secrets with the first key (1 already used it). "
        "TEXTBACK_ENCRYPTION_KEY is not set, so the first key is the one derived from the secret key."
    )


def a_lost_auth_token(bolt, lose_the_key, lose_the_two_factor_key) -> str:
    lost = ProviderAccount.objects.create(business=bolt, provider=TWILIO, account_sid="AC" + "1" * 32, auth_token=TOKEN)
    lose_the_key(lost)
    return f"the auth token of Twilio account {lost.pk} (bolt)"


def a_lost_two_factor_secret(bolt, lose_the_key, lose_the_two_factor_key) -> str:
    person = get_user_model().objects.create_user("mike@acme.example", "mike@acme.example", "x" * 12)
    lose_the_two_factor_key(person)
    return f"the two-factor secret of mike@acme.example (user {person.pk})"


@pytest.mark.parametrize("lose", [a_lost_auth_token, a_lost_two_factor_secret])
def test_reencrypt_refuses_and_writes_nothing_while_a_secret_is_unreadable(
    textback, twilio_account, bolt, lose_the_key, lose_the_two_factor_key, lose
):
    named = lose(bolt, lose_the_key, lose_the_two_factor_key)
    before = ProviderAccount.objects.get(pk=twilio_account.pk).auth_token_encrypted  # under the derived key

    result = textback("account", "reencrypt")

    assert result.code == 2
    assert result.err.startswith(
        f"nothing was re-encrypted: {named} cannot be decrypted with any configured key. "
        "TEXTBACK_ENCRYPTION_KEY changed? add the old key after the new one"
    )
    assert ProviderAccount.objects.get(pk=twilio_account.pk).auth_token_encrypted == before
