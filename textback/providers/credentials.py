"""Provider credentials at rest: ProviderAccount keeps only Fernet tokens, and this module opens them.

`account.auth_token` and `account.webhook_key` read as plaintext and encrypt when assigned
(see `secret`). The key ring is TEXTBACK_ENCRYPTION_KEY's keys (settings.ENCRYPTION_KEYS), then the
key derived from the secret key; it is built once per process, and so is its cache of decrypted
tokens, which keeps Fernet off the webhook hot path. People's two-factor secrets use the same ring
(accounts/two_factor.py); `sort_secrets` and `do_rotate` serve both kinds (ops/encrypted.py takes them together).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.signals import setting_changed
from django.db.models import Model
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
        super().__init__(
            f"{self.summary}. {advice()} Or give the {what} again: `textback account set {account.pk} {flag}`."
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


def advice() -> str:
    """What to do about a secret no configured key decrypts."""
    return ADVICE.format(secret_file=settings.DATA_DIR / "secret-key")


@dataclass
class Audit:
    """Where one kind of stored secret stands against the configured keys."""

    total: int  # secrets stored
    stale: list[tuple[Model, str, str]]  # (row, column, token) readable, but not under the first key
    unreadable: list[Exception]  # one per secret no configured key decrypts, each with a `summary`


def sort_secrets(rows, columns, unreadable: Callable[[Model, str], Exception]) -> Audit:
    """Sort the tokens in `columns` of `rows`: under the first key, readable under another, or unreadable
    (`unreadable(row, column)` makes the error that names it)."""
    keys = ring()
    result = Audit(0, [], [])
    for row in rows:
        for column in columns:
            token = getattr(row, column)
            if not token:
                continue
            result.total += 1
            if keys.is_current(token):
                continue
            try:
                keys.decrypt(token)
            except Undecryptable:
                result.unreadable.append(unreadable(row, column))
            else:
                result.stale.append((row, column, token))
    return result


def audit(accounts) -> Audit:
    return sort_secrets(accounts, SECRETS, UnreadableCredential)


def do_rotate(found: Audit) -> None:
    """Write every stale secret of an audit back under the first key. Run it in the transaction that took the
    audit under row locks, so a secret changed meanwhile is not overwritten with its old value."""
    keys = ring()
    for row, column, token in found.stale:
        type(row)._default_manager.filter(pk=row.pk).update(**{column: keys.rotate(token)})
