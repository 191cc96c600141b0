"""ProviderAccount's secrets are only ciphertext in the database, and read back as plaintext."""

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from textback.conftest import ALPHA_TOKEN
from textback.lib.encryption import KeyRing, derive_key
from textback.providers import credentials
from textback.providers.credentials import UnreadableCredential
from textback.providers.models import TWILIO, ProviderAccount

pytestmark = pytest.mark.django_db

OLD, NEW = Fernet.generate_key(), Fernet.generate_key()
WEBHOOK_KEY = "sk_live_b1d2c3e4f5a6978800aa11bb22cc33dd"


def raw(account: ProviderAccount, column: str) -> str:
    """What the database itself holds, read past the ORM."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM providers_provideraccount WHERE id = %s", [account.pk])
        return cursor.fetchone()[0]


def columns() -> list[str]:
    with connection.cursor() as cursor:
        return [c.name for c in connection.introspection.get_table_description(cursor, "providers_provideraccount")]


def test_the_auth_token_is_stored_only_as_ciphertext(alpha_twilio, settings):
    stored = raw(alpha_twilio, "auth_token_encrypted")

    assert ALPHA_TOKEN not in stored
    assert "auth_token" not in columns()  # the plain column is gone
    assert KeyRing([derive_key(settings.SECRET_KEY)]).decrypt(stored) == ALPHA_TOKEN
    assert ProviderAccount.objects.get(pk=alpha_twilio.pk).auth_token == ALPHA_TOKEN


def test_the_webhook_key_is_stored_only_as_ciphertext(alpha_twilio):
    alpha_twilio.webhook_key = WEBHOOK_KEY
    alpha_twilio.save()

    assert WEBHOOK_KEY not in raw(alpha_twilio, "webhook_key_encrypted")
    assert ProviderAccount.objects.get(pk=alpha_twilio.pk).webhook_key == WEBHOOK_KEY


def test_an_unset_secret_is_an_empty_column_and_reads_as_empty(alpha):
    account = ProviderAccount.objects.create(business=alpha, provider=TWILIO, account_sid="AC" + "2" * 32)

    assert (raw(account, "auth_token_encrypted"), raw(account, "webhook_key_encrypted")) == ("", "")
    assert (account.auth_token, account.webhook_key) == ("", "")
    account.webhook_key = WEBHOOK_KEY
    account.webhook_key = ""
    assert account.webhook_key_encrypted == ""


def test_a_configured_key_encrypts_instead_of_the_derived_one(alpha_twilio, settings):
    settings.ENCRYPTION_KEYS = [NEW]
    alpha_twilio.auth_token = ALPHA_TOKEN
    alpha_twilio.save()

    assert KeyRing([NEW]).decrypt(raw(alpha_twilio, "auth_token_encrypted")) == ALPHA_TOKEN


def test_secrets_stored_under_the_derived_key_stay_readable_once_a_key_is_set(alpha_twilio, settings):
    settings.ENCRYPTION_KEYS = [NEW]
    assert ProviderAccount.objects.get(pk=alpha_twilio.pk).auth_token == ALPHA_TOKEN


def test_old_secrets_stay_readable_while_the_old_key_follows_the_new_one(alpha_twilio, settings):
    settings.ENCRYPTION_KEYS = [OLD]
    alpha_twilio.auth_token = ALPHA_TOKEN
    alpha_twilio.save()

    settings.ENCRYPTION_KEYS = [NEW, OLD]

    assert ProviderAccount.objects.get(pk=alpha_twilio.pk).auth_token == ALPHA_TOKEN


def test_an_unreadable_secret_raises_an_error_that_names_the_account_and_what_to_do(beta_line, lose_the_key):
    account = beta_line.account
    lose_the_key(account)

    with pytest.raises(UnreadableCredential) as caught:
        ProviderAccount.objects.get(pk=account.pk).auth_token  # noqa: B018

    message = str(caught.value)
    assert f"the auth token of Twilio account {account.pk} (beta) cannot be decrypted" in message
    assert "TEXTBACK_ENCRYPTION_KEY changed? add the old key after the new one" in message
    assert f"`textback account set {account.pk} --token-stdin`" in message
    assert credentials.state(account, "auth_token_encrypted") == "unreadable"


def test_the_key_ring_follows_a_changed_setting(alpha_twilio, settings):
    settings.ENCRYPTION_KEYS = [NEW]
    first = credentials.ring()
    settings.ENCRYPTION_KEYS = [OLD]
    assert credentials.ring() is not first
    assert credentials.ring() is credentials.ring()
