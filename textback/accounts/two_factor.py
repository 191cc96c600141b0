"""Optional two-factor sign-in with an authenticator app (TOTP, RFC 6238, through pyotp).

Set-up makes a secret (stored encrypted, like provider credentials) and shows it with its otpauth://
URI; typing a right code switches it on and gives ten recovery codes, shown once and kept only as
sha256 hashes, each good for one sign-in. A code is accepted for the 30-second step before and after
the current one (phone clocks drift), and never twice: the last accepted step is stored and only a
later one passes, by a conditional UPDATE, so two requests racing with the same code cannot both win.
Switching it off needs a code too. Wrong codes at sign-in count in the login throttle (views).

A secret no configured key opens (TEXTBACK_ENCRYPTION_KEY changed without the old key after the new one)
cannot check an authenticator code: sign-in then takes only recovery codes, and says so.
`textback account reencrypt` moves these secrets to a new key with the provider credentials.
"""

import hashlib
import hmac
import logging
import secrets

import pyotp
from django.db import transaction
from django.utils import timezone

from textback.accounts.invitations import Refused
from textback.accounts.models import RecoveryCode, TwoFactor
from textback.lib.encryption import Undecryptable
from textback.providers import credentials
from textback.providers.credentials import ring

log = logging.getLogger(__name__)
ISSUER = "textback"
STEP = 30  # seconds a code lasts
DRIFT = 1  # steps either side of now that are still accepted
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o or 1/l/i to misread


class UnreadableSecret(Exception):
    """A person's authenticator secret that no configured key decrypts. Names the person, never the secret."""

    def __init__(self, two_factor: TwoFactor):
        username = two_factor.user.get_username()
        self.user_id = two_factor.user_id
        self.summary = f"the two-factor secret of {username} (user {two_factor.user_id}) cannot be decrypted with any configured key"
        super().__init__(
            f"{self.summary}, so they can sign in only with a recovery code. {credentials.advice()} Or switch their "
            f"two-factor sign-in off, so they set it up again: `textback user two-factor-off --email {username}`."
        )


def _secret(two_factor: TwoFactor) -> str:
    try:
        return ring().decrypt(two_factor.secret_encrypted)
    except Undecryptable:
        raise UnreadableSecret(two_factor) from None


def readable(two_factor: TwoFactor) -> bool:
    try:
        _secret(two_factor)
    except UnreadableSecret:
        return False
    return True


def audit(rows) -> credentials.Audit:
    """Where these people's authenticator secrets stand against the configured keys (see credentials.audit)."""
    return credentials.sort_secrets(rows, ("secret_encrypted",), lambda row, column: UnreadableSecret(row))


def is_on(user) -> bool:
    return TwoFactor.objects.filter(user=user, confirmed_at__isnull=False).exists()


def authenticator_readable(user) -> bool:
    """False when the person has two-factor on but no configured key opens its secret: only recovery codes work."""
    two_factor = TwoFactor.objects.filter(user=user, confirmed_at__isnull=False).select_related("user").first()
    if two_factor is None or readable(two_factor):
        return True
    log.error("two-factor sign-in needs a recovery code: %s", UnreadableSecret(two_factor))
    return False


def pending_setup(user) -> TwoFactor | None:
    """The set-up waiting for its first code; one whose secret no key opens any more is as good as none
    (starting again replaces it)."""
    two_factor = TwoFactor.objects.filter(user=user, confirmed_at=None).first()
    return two_factor if two_factor is not None and readable(two_factor) else None


def do_begin(user, now=None) -> TwoFactor:
    """A new secret for the person to put in their authenticator app; sign-in is unchanged until confirmed."""
    if is_on(user):
        raise Refused("Two-factor sign-in is on already. Turn it off first to move it to another phone.")
    TwoFactor.objects.filter(user=user).delete()
    return TwoFactor.objects.create(
        user=user, secret_encrypted=ring().encrypt(pyotp.random_base32()), created_at=now or timezone.now()
    )


def secret_for_display(two_factor: TwoFactor) -> str:
    """The secret in groups of four, as authenticator apps ask for it typed."""
    secret = _secret(two_factor)
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def otpauth_uri(two_factor: TwoFactor) -> str:
    user = two_factor.user
    return pyotp.TOTP(_secret(two_factor)).provisioning_uri(name=user.email or user.get_username(), issuer_name=ISSUER)


def _clean(code: str) -> str:
    return "".join((code or "").split()).replace("-", "").lower()


def _matching_step(two_factor: TwoFactor, code: str, now) -> int | None:
    if not (len(code) == 6 and code.isascii() and code.isdigit()):  # "²".isdigit() is True; compare_digest raises on it
        return None
    try:
        totp = pyotp.TOTP(_secret(two_factor))
    except UnreadableSecret:
        return None  # no code can be checked; recovery codes still work
    current = int(now.timestamp()) // STEP
    for step in range(current - DRIFT, current + DRIFT + 1):
        if hmac.compare_digest(totp.at(step * STEP), code):
            return step
    return None


def _use_totp(two_factor: TwoFactor, code: str, now) -> bool:
    step = _matching_step(two_factor, code, now)
    if step is None:
        return False
    return TwoFactor.objects.filter(pk=two_factor.pk, last_step__lt=step).update(last_step=step) == 1


def _hash(code: str) -> str:
    return hashlib.sha256(_clean(code).encode()).hexdigest()


def _use_recovery_code(user, code: str, now) -> bool:
    cleaned = _clean(code)
    if len(cleaned) != 10 or not cleaned.isalnum():
        return False
    return RecoveryCode.objects.filter(user=user, code_hash=_hash(cleaned), used_at=None).update(used_at=now) == 1


def check_code(user, code: str, now=None) -> bool:
    """True when `code` is a current authenticator code or an unused recovery code, which it then uses up."""
    now = now or timezone.now()
    two_factor = TwoFactor.objects.filter(user=user, confirmed_at__isnull=False).first()
    if two_factor is None:
        return False
    return _use_totp(two_factor, _clean(code), now) or _use_recovery_code(user, code, now)


def _new_recovery_codes(user) -> list[str]:
    codes = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10)) for _ in range(RECOVERY_CODES)]
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create(RecoveryCode(user=user, code_hash=_hash(code)) for code in codes)
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def do_confirm(user, code: str, now=None) -> list[str]:
    """Switch two-factor on when `code` is right; the recovery codes, to show once."""
    now = now or timezone.now()
    with transaction.atomic():
        two_factor = TwoFactor.objects.select_for_update().filter(user=user, confirmed_at=None).first()
        if two_factor is None:
            raise Refused("Start the set-up again: there is no authenticator waiting to be confirmed.")
        if not _use_totp(two_factor, _clean(code), now):
            raise Refused(
                "That code is not right. Type the 6 digits your authenticator app shows now for textback; "
                "if it still fails, check that the phone's clock is set automatically."
            )
        TwoFactor.objects.filter(pk=two_factor.pk).update(confirmed_at=now)
        return _new_recovery_codes(user)


def do_new_recovery_codes(user, code: str, now=None) -> list[str]:
    with transaction.atomic():
        if not check_code(user, code, now):
            raise Refused("That code is not right, so the recovery codes were not changed.")
        return _new_recovery_codes(user)


def do_turn_off(user, code: str, now=None) -> None:
    with transaction.atomic():
        if not check_code(user, code, now):
            raise Refused("That code is not right, so two-factor sign-in is still on.")
        do_remove(user)


def do_remove(user) -> bool:
    """Two-factor sign-in off without a code (an operator's help for a lost phone); False when it was not set up."""
    removed, _ = TwoFactor.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    return removed > 0


def recovery_codes_left(user) -> int:
    return RecoveryCode.objects.filter(user=user, used_at=None).count()
