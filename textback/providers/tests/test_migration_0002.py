"""providers 0002 encrypts the plain auth tokens already in a database, and going back decrypts them."""

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from textback.lib.encryption import KeyRing, derive_key

pytestmark = pytest.mark.django_db(transaction=True)  # migrations run outside the test's transaction

PLAIN = [("providers", "0001_initial")]
ENCRYPTED = [("providers", "0002_encrypt_credentials")]
TOKEN, OTHER_TOKEN = "f1e2d3c4b5a697887766554433221100", "00112233445566778899aabbccddeeff"


def migrate(targets):
    """Migrate the test database to targets; the models as they were there."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.fixture
def back_to_plain_tokens():
    """The database as it was before 0002, put back to the latest schema afterwards, whatever happens."""
    apps = migrate(PLAIN)
    yield apps
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def column(name: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {name} FROM providers_provideraccount WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def column_names() -> list[str]:
    with connection.cursor() as cursor:
        return [c.name for c in connection.introspection.get_table_description(cursor, "providers_provideraccount")]


def plain_accounts(apps) -> list[int]:
    business = apps.get_model("accounts", "Business").objects.create(name="AlphaPlumbing", slug="alpha")
    accounts = apps.get_model("providers", "ProviderAccount").objects
    made = [
        accounts.create(business=business, provider="twilio", account_sid="AC" + "1" * 32, auth_token=TOKEN),
        accounts.create(business=business, provider="twilio", account_sid="AC" + "2" * 32, auth_token=OTHER_TOKEN),
        accounts.create(business=business, provider="sandbox", label="demo"),
    ]
    return [account.pk for account in made]


def test_it_encrypts_the_plain_tokens_and_drops_the_plain_column(back_to_plain_tokens, settings):
    first, second, sandbox = plain_accounts(back_to_plain_tokens)

    migrate(ENCRYPTED)

    ring = KeyRing([derive_key(settings.SECRET_KEY)])
    assert "auth_token" not in column_names()
    assert TOKEN not in column("auth_token_encrypted", first)
    assert ring.decrypt(column("auth_token_encrypted", first)) == TOKEN
    assert ring.decrypt(column("auth_token_encrypted", second)) == OTHER_TOKEN
    assert column("auth_token_encrypted", sandbox) == ""
    assert column("webhook_key_encrypted", first) == ""

    from textback.providers.models import ProviderAccount

    assert ProviderAccount.objects.get(pk=first).auth_token == TOKEN


def test_it_encrypts_with_the_first_configured_key(back_to_plain_tokens, settings):
    key = Fernet.generate_key()
    settings.ENCRYPTION_KEYS = [key]
    first, _, _ = plain_accounts(back_to_plain_tokens)

    migrate(ENCRYPTED)

    assert KeyRing([key]).decrypt(column("auth_token_encrypted", first)) == TOKEN


def test_going_back_decrypts_the_tokens_into_the_plain_column(back_to_plain_tokens):
    first, second, sandbox = plain_accounts(back_to_plain_tokens)
    migrate(ENCRYPTED)

    migrate(PLAIN)

    assert "auth_token_encrypted" not in column_names()
    assert [column("auth_token", pk) for pk in (first, second, sandbox)] == [TOKEN, OTHER_TOKEN, ""]


def test_going_back_without_the_key_fails_clearly_and_changes_nothing(back_to_plain_tokens, settings):
    settings.ENCRYPTION_KEYS = [Fernet.generate_key()]
    first, _, _ = plain_accounts(back_to_plain_tokens)
    migrate(ENCRYPTED)
    stored = column("auth_token_encrypted", first)
    settings.ENCRYPTION_KEYS = [Fernet.generate_key()]

    with pytest.raises(RuntimeError) as caught:
        migrate(PLAIN)

    assert f"the auth token of provider account {first} cannot be decrypted" in str(caught.value)
    assert column("auth_token_encrypted", first) == stored
    assert "auth_token" not in column_names()
