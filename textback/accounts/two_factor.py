"""Optional two-factor sign-in with an authenticator app (TOTP, RFC 6238, through pyotp).

Set-up makes a secret (stored encrypted, like provider credentials) and shows it with its otpauth://
URI; typing a right code switches it on and gives ten recovery codes, shown once and kept only as
sha256 hashes, each good for one sign-in. A code is accepted for the 30-second step before and after
the current one (phone clocks drift), and never twice: the last accepted step is stored and only a
later one passes, by a conditional UPDATE, so two requests racing with the same code cannot both win.
Switching it off needs a code too. Wrong codes at sign-in count in the login throttle (views).
"""

import hashlib
import hmac
import secrets

import pyotp
from django.db import transaction
from django.utils import timezone

from textback.accounts.invitations import Refused
from textback.accounts.models import RecoveryCode, TwoFactor
from textback.providers.credentials import ring

ISSUER = "textback"
STEP = 30  # seconds a code lasts
DRIFT = 1  # steps either side of now that are still accepted
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o or 1/l/i to misread


def _secret(two_factor: TwoFactor) -> str:
    return ring().decrypt(two_factor.secret_encrypted)


def is_on(user) -> bool:
    return TwoFactor.objects.filter(user=user, confirmed_at__isnull=False).exists()


def pending_setup(user) -> TwoFactor | None:
    return TwoFactor.objects.filter(user=user, confirmed_at=None).first()


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
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp, current = pyotp.TOTP(_secret(two_factor)), int(now.timestamp()) // STEP
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
        TwoFactor.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()


def recovery_codes_left(user) -> int:
    return RecoveryCode.objects.filter(user=user, used_at=None).count()
