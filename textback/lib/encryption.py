"""Small secrets encrypted at rest: Fernet tokens under a list of keys, the first of which encrypts.

Fernet (AES-128-CBC with an HMAC-SHA256 over the whole token) is authenticated, so a
wrong key or a tampered token is refused, never decrypted into garbage. Rotation is
MultiFernet's: put a new key first, keep the old ones after it until every stored
token has been re-encrypted under the new key, then drop them.

With no key configured, a key is derived from the application's secret key with
HKDF-SHA256 and the fixed info string below, so a fresh install works with nothing set.
This module knows nothing of Django: callers pass the keys in.
"""

import base64
import functools
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# Changing this string changes the derived key, and every token encrypted under it becomes unreadable.
DERIVATION_INFO = b"textback provider credentials v1"
NEW_KEY_COMMAND = "python3 -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
CACHE_SIZE = 1024  # decrypted secrets kept per key ring; a few per provider account


class Undecryptable(Exception):
    """No key of the ring opens this token: it was encrypted under a key we no longer have, or altered."""


def derive_key(secret: str) -> bytes:
    """The Fernet key that stands in when none is configured: HKDF-SHA256 of the secret, no salt."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=DERIVATION_INFO)
    return base64.urlsafe_b64encode(hkdf.derive(secret.encode()))


def parse_keys(value: str) -> list[bytes]:
    """Comma-separated Fernet keys, in order. ValueError names a bad one by position, never by value."""
    keys = [item.strip() for item in value.split(",") if item.strip()]
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError:
            raise ValueError(
                f"key {position} of {len(keys)} is not a Fernet key (44 characters of url-safe base64 "
                f"holding 32 bytes); make one with {NEW_KEY_COMMAND}"
            ) from None
    return [key.encode() for key in keys]


def ring_keys(configured: Sequence[bytes], secret: str) -> list[bytes]:
    """The configured keys, then the one derived from the secret: it encrypts when none is configured, and
    still decrypts after one is, so moving to a configured key is "set it, then re-encrypt"."""
    derived = derive_key(secret)
    return list(configured) if derived in configured else [*configured, derived]


def new_key() -> str:
    return Fernet.generate_key().decode()


class KeyRing:
    """Encrypts with the first key, decrypts with any; remembers what it decrypted.

    Decrypting a token costs an HMAC and an AES pass (tens of microseconds); a token is
    immutable, so the plaintext is cached by token and a hot path that reads the same
    secret on every request pays a dictionary lookup. Failures are not cached.
    """

    def __init__(self, keys: Sequence[bytes]):
        if not keys:
            raise ValueError("a key ring needs at least one key")
        self._first = Fernet(keys[0])
        self._all = MultiFernet([Fernet(key) for key in keys])
        self.decrypt = functools.lru_cache(maxsize=CACHE_SIZE)(self._decrypt)

    def encrypt(self, plaintext: str) -> str:
        return self._first.encrypt(plaintext.encode()).decode()

    def _decrypt(self, token: str) -> str:
        try:
            return self._all.decrypt(token.encode()).decode()
        except InvalidToken:
            raise Undecryptable("none of the configured keys can decrypt it") from None

    def is_current(self, token: str) -> bool:
        """True when the first key opens the token, so re-encrypting it would change nothing."""
        try:
            self._first.decrypt(token.encode())
        except InvalidToken:
            return False
        return True

    def rotate(self, token: str) -> str:
        """The same plaintext, encrypted under the first key."""
        try:
            return self._all.rotate(token.encode()).decode()
        except InvalidToken:
            raise Undecryptable("none of the configured keys can decrypt it") from None
