"""Every stored secret moves to a new key together: provider credentials and people's two-factor secrets."""

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from textback.accounts import two_factor
from textback.accounts.models import TwoFactor
from textback.conftest import ALPHA_TOKEN
from textback.lib.encryption import KeyRing
from textback.ops import encrypted
from textback.providers import credentials
from textback.providers.models import ProviderAccount

OLD, NEW = Fernet.generate_key(), Fernet.generate_key()
WEBHOOK_KEY = "sk_live_b1d2c3e4f5a6978800aa11bb22cc33dd"


def stored(model, pk: int, column: str) -> str:
    return model.objects.filter(pk=pk).values_list(column, flat=True).get()


@pytest.mark.django_db
def test_reencrypting_moves_every_secret_of_every_kind_to_the_first_key_so_the_old_key_can_be_removed(
    alpha_twilio, alice, bob, settings
):
    settings.ENCRYPTION_KEYS = [OLD]
    alpha_twilio.auth_token, alpha_twilio.webhook_key = ALPHA_TOKEN, WEBHOOK_KEY
    alpha_twilio.save()
    secrets = {person.pk: two_factor.do_begin(person) for person in (alice, bob)}
    settings.ENCRYPTION_KEYS = [NEW, OLD]

    found = encrypted.do_reencrypt()

    assert {kind: (len(audit.stale), audit.total) for kind, audit in found.items()} == {
        "provider secret": (2, 2),
        "two-factor secret": (2, 2),
    }
    new = KeyRing([NEW])
    for column in credentials.SECRETS:
        assert new.is_current(stored(ProviderAccount, alpha_twilio.pk, column))
    for row in secrets.values():
        assert new.decrypt(stored(TwoFactor, row.pk, "secret_encrypted")) == KeyRing([OLD]).decrypt(
            row.secret_encrypted
        )
    assert all(len(audit.stale) == 0 for audit in encrypted.do_reencrypt().values())


@pytest.mark.django_db
def test_reencrypting_writes_nothing_of_either_kind_while_a_two_factor_secret_is_unreadable(
    alpha_twilio, alice, bob, settings
):
    settings.ENCRYPTION_KEYS = [OLD]
    lost = two_factor.do_begin(alice)
    settings.ENCRYPTION_KEYS = [NEW]
    readable = two_factor.do_begin(bob)
    settings.ENCRYPTION_KEYS = [Fernet.generate_key(), NEW]  # a rotation begun after OLD was dropped
    before = stored(ProviderAccount, alpha_twilio.pk, "auth_token_encrypted")  # under the derived key

    found = encrypted.do_reencrypt()

    [problem] = encrypted.unreadable(found)
    assert problem.summary == (
        f"the two-factor secret of alice@alpha.example (user {alice.pk}) cannot be decrypted with any configured key"
    )
    assert "`textback user two-factor-off --email alice@alpha.example`" in str(problem)
    assert stored(ProviderAccount, alpha_twilio.pk, "auth_token_encrypted") == before
    assert stored(TwoFactor, readable.pk, "secret_encrypted") == readable.secret_encrypted
    assert stored(TwoFactor, lost.pk, "secret_encrypted") == lost.secret_encrypted


@pytest.mark.django_db
def test_reencrypting_writes_nothing_when_a_provider_secret_is_unreadable(
    alpha_twilio, beta_line, alice, settings, lose_the_key
):
    lose_the_key(beta_line.account)
    before = stored(ProviderAccount, alpha_twilio.pk, "auth_token_encrypted")  # readable, not under the first key
    settings.ENCRYPTION_KEYS = [NEW, settings.ENCRYPTION_KEYS[0]]
    person = two_factor.do_begin(alice)
    settings.ENCRYPTION_KEYS = [Fernet.generate_key(), *settings.ENCRYPTION_KEYS]

    found = encrypted.do_reencrypt()

    assert [problem.account_id for problem in encrypted.unreadable(found)] == [beta_line.account.pk]
    assert stored(ProviderAccount, alpha_twilio.pk, "auth_token_encrypted") == before
    assert stored(TwoFactor, person.pk, "secret_encrypted") == person.secret_encrypted


def test_the_readme_says_rotating_the_key_covers_the_two_factor_secrets():
    readme = (Path(__file__).parents[3] / "README.md").read_text()
    section = " ".join(readme.split("### Rotating the encryption key", 1)[1].split("\n## ", 1)[0].split())
    assert (
        "Provider credentials (Twilio auth tokens and webhook keys) and people's two-factor (TOTP) secrets" in section
    )
    assert (
        "`textback account reencrypt`. It re-encrypts every stored secret with the first key, the provider "
        "credentials and the two-factor secrets in one transaction" in section
    )
