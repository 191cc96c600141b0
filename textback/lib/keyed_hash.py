"""A keyed hash of a phone number: what remains of an erased contact's number (a suppression entry).

HMAC-SHA256 under a key derived from the install's secret (HKDF-SHA256, its own info string, so it is
not the encryption key): the same number always gives the same hash on this install, so a later call
or text from it can be recognised, while the hash alone does not give the number back to anyone without
the secret (a bare SHA-256 of a ten-digit number is reversed by trying them all).
"""

import hashlib
import hmac

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

INFO = b"textback number hash v1"


def derive_key(secret: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INFO).derive(secret.encode())


def number_hash(key: bytes, number: str) -> str:
    """64 hex digits; the number as stored (E.164), so "+15125550147" and "5125550147" differ."""
    return hmac.new(key, number.strip().encode(), hashlib.sha256).hexdigest()
