"""textback.lib.encryption: Fernet tokens under a key ring, rotation, and the key derived from the secret key."""

import base64
import hashlib
import hmac

import pytest
from cryptography.fernet import Fernet

from textback.lib.encryption import DERIVATION_INFO, KeyRing, Undecryptable, derive_key, parse_keys, ring_keys

SECRET = "f1e2d3c4b5a697887766554433221100"
OLD, NEW = Fernet.generate_key(), Fernet.generate_key()


def rfc5869_hkdf_sha256(ikm: bytes, info: bytes, length: int = 32) -> bytes:
    """HKDF as RFC 5869 writes it, with no salt (a string of zeros), to check derive_key against."""
    prk = hmac.new(b"\0" * 32, ikm, hashlib.sha256).digest()
    okm, block, counter = b"", b"", 1
    while len(okm) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        okm, counter = okm + block, counter + 1
    return okm[:length]


def test_a_secret_round_trips_and_the_token_does_not_contain_it():
    ring = KeyRing([NEW])
    token = ring.encrypt(SECRET)

    assert SECRET not in token
    assert ring.decrypt(token) == SECRET


def test_the_same_secret_encrypts_differently_each_time():
    ring = KeyRing([NEW])
    assert ring.encrypt(SECRET) != ring.encrypt(SECRET)


def test_the_first_key_encrypts_and_every_key_decrypts():
    under_old = KeyRing([OLD]).encrypt(SECRET)
    ring = KeyRing([NEW, OLD])

    assert ring.decrypt(under_old) == SECRET
    assert not ring.is_current(under_old)
    assert KeyRing([NEW]).decrypt(ring.encrypt(SECRET)) == SECRET
    assert ring.is_current(ring.encrypt(SECRET))


def test_rotating_moves_a_token_to_the_first_key_so_the_old_key_can_go():
    under_old = KeyRing([OLD]).encrypt(SECRET)

    rotated = KeyRing([NEW, OLD]).rotate(under_old)

    assert KeyRing([NEW]).decrypt(rotated) == SECRET
    with pytest.raises(Undecryptable):
        KeyRing([OLD]).decrypt(rotated)


def test_a_token_under_a_key_the_ring_lacks_is_undecryptable():
    with pytest.raises(Undecryptable):
        KeyRing([NEW]).decrypt(KeyRing([OLD]).encrypt(SECRET))
    with pytest.raises(Undecryptable):
        KeyRing([NEW]).rotate(KeyRing([OLD]).encrypt(SECRET))


def test_a_tampered_token_is_undecryptable_not_garbage():
    ring = KeyRing([NEW])
    raw = bytearray(base64.urlsafe_b64decode(ring.encrypt(SECRET)))
    raw[30] ^= 1  # a bit of the ciphertext
    with pytest.raises(Undecryptable):
        ring.decrypt(base64.urlsafe_b64encode(bytes(raw)).decode())


def test_a_decrypted_token_is_served_from_the_cache_the_second_time():
    ring = KeyRing([NEW])
    token = ring.encrypt(SECRET)

    assert ring.decrypt(token) == ring.decrypt(token) == SECRET
    assert (ring.decrypt.cache_info().hits, ring.decrypt.cache_info().misses) == (1, 1)


def test_a_failed_decryption_is_not_cached():
    ring = KeyRing([NEW])
    for _ in range(2):
        with pytest.raises(Undecryptable):
            ring.decrypt(KeyRing([OLD]).encrypt(SECRET))
    assert ring.decrypt.cache_info().currsize == 0


def test_the_derived_key_is_hkdf_sha256_of_the_secret_key_with_the_documented_info_string():
    assert DERIVATION_INFO == b"textback provider credentials v1"  # README documents it; changing it loses data
    expected = base64.urlsafe_b64encode(rfc5869_hkdf_sha256(b"the secret key", DERIVATION_INFO))

    assert derive_key("the secret key") == expected
    assert derive_key("another secret key") != expected
    Fernet(expected)  # a usable Fernet key


def test_the_derived_key_comes_last_in_the_ring_and_only_once():
    derived = derive_key("the secret key")

    assert ring_keys([], "the secret key") == [derived]
    assert ring_keys([NEW, OLD], "the secret key") == [NEW, OLD, derived]
    assert ring_keys([derived, NEW], "the secret key") == [derived, NEW]


def test_keys_are_read_comma_separated_in_order():
    assert parse_keys(f" {NEW.decode()} ,{OLD.decode()},") == [NEW, OLD]
    assert parse_keys("") == []


def test_a_malformed_key_is_named_by_position_and_not_quoted():
    with pytest.raises(ValueError) as caught:
        parse_keys(f"{NEW.decode()},not-a-key-at-all")

    message = str(caught.value)
    assert message.startswith("key 2 of 2 is not a Fernet key")
    assert "Fernet.generate_key()" in message
    assert "not-a-key-at-all" not in message


def test_a_key_ring_needs_a_key():
    with pytest.raises(ValueError):
        KeyRing([])
