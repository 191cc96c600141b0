"""Provider credentials at rest: ProviderAccount keeps only Fernet tokens, and this module opens them.

`account.auth_token` and `account.webhook_key` read as plaintext and encrypt when assigned
(see `secret`). The key ring is TEXTBACK_ENCRYPTION_KEY's keys (settings.ENCRYPTION_KEYS), then the
key derived from the secret key; it is built once per process, and so is its cache of decrypted
tokens, which keeps Fernet off the webhook hot path.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.signals import setting_changed
from django.db import transaction
from django.dispatch import receiver

from textback.lib.encryption import KeyRing, Undecryptable, ring_keys

# The encrypted columns of ProviderAccount: what each holds, and the `textback account set` option that replaces it.
SECRETS = {
    "auth_token_encrypted": ("auth token", "--token-stdin"),
    "webhook_key_encrypted": ("webhook key", "--webhook-key-stdin"),
}
ADVICE = (
    "TEXTBACK_ENCRYPTION_KEY changed? add the old key after the new one (comma-separated). "
    "Never set it? Then the secret key changed: restore the old TEXTBACK_SECRET_KEY (or the generated file {secret_file})."
)

MAX_WEBHOOK_KEY = 512

_ring: KeyRing | None = None


def ring() -> KeyRing:
    global _ring
    if _ring is None:  # threads racing here build equal rings; either will do
        _ring = KeyRing(ring_keys(settings.ENCRYPTION_KEYS, settings.SECRET_KEY))
    return _ring


@receiver(setting_changed)
def _forget_ring(setting: str, **kwargs) -> None:
    global _ring
    if setting in ("ENCRYPTION_KEYS", "SECRET_KEY"):
        _ring = None


class UnreadableCredential(Exception):
    """A stored secret that no configured key decrypts. The message says what to do; it holds no secret."""

    def __init__(self, account, column: str):
        what, flag = SECRETS[column]
        self.account_id, self.what = account.pk, what
        self.summary = (
            f"the {what} of {account.get_provider_display()} account {account.pk} ({account.business.slug}) "
            "cannot be decrypted with any configured key"
        )
        advice = ADVICE.format(secret_file=settings.DATA_DIR / "secret-key")
        super().__init__(
            f"{self.summary}. {advice} Or give the {what} again: `textback account set {account.pk} {flag}`."
        )


def secret(column: str) -> property:
    """A model attribute that reads the plaintext of an encrypted column ('' when unset) and encrypts on assignment."""

    def get(account) -> str:
        token = getattr(account, column)
        if not token:
            return ""
        try:
            return ring().decrypt(token)
        except Undecryptable:
            raise UnreadableCredential(account, column) from None

    def set_(account, plaintext: str) -> None:
        setattr(account, column, ring().encrypt(plaintext) if plaintext else "")

    return property(get, set_, doc=f"The {SECRETS[column][0]}, decrypted; assigning encrypts it into {column}.")


def webhook_key_problem(key: str) -> str | None:
    """Why a webhook SharedKey secret cannot be right, or None. Never quotes it."""
    if len(key) > MAX_WEBHOOK_KEY or any(c.isspace() or not c.isprintable() for c in key):
        return (
            f"the webhook key is malformed ({len(key)} characters): give the SharedKey's secret exactly as Twilio "
            f"returned it, on one line (at most {MAX_WEBHOOK_KEY} characters, no spaces)"
        )
    return None


def state(account, column: str) -> str:
    """'not set', 'set' or 'unreadable' (no configured key decrypts it): all that is ever shown of a secret."""
    token = getattr(account, column)
    if not token:
        return "not set"
    try:
        ring().decrypt(token)
    except Undecryptable:
        return "unreadable"
    return "set"


@dataclass
class Audit:
    """Where the stored secrets stand against the configured keys."""

    total: int  # secrets stored
    stale: list[tuple[object, str, str]]  # (account, column, token) readable, but not under the first key
    unreadable: list[UnreadableCredential]


def audit(accounts) -> Audit:
    keys = ring()
    result = Audit(0, [], [])
    for account in accounts:
        for column in SECRETS:
            token = getattr(account, column)
            if not token:
                continue
            result.total += 1
            if keys.is_current(token):
                continue
            try:
                keys.decrypt(token)
            except Undecryptable:
                result.unreadable.append(UnreadableCredential(account, column))
            else:
                result.stale.append((account, column, token))
    return result


def do_reencrypt() -> Audit:
    """Re-encrypt under the first key every stored secret that is not under it yet. All or nothing:
    if any secret is unreadable, nothing is written, so after a success the older keys can go.

    Takes the accounts' row locks, so a secret changed meanwhile is not overwritten with its old value."""
    from textback.providers.models import ProviderAccount

    keys = ring()
    with transaction.atomic():
        accounts = ProviderAccount.objects.select_for_update(of=("self",)).select_related("business").order_by("pk")
        found = audit(accounts)
        if not found.unreadable:
            for account, column, token in found.stale:
                ProviderAccount.objects.filter(pk=account.pk).update(**{column: keys.rotate(token)})
    return found
