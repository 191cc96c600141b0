"""API tokens: made, shown once, checked, revoked, and counted against the rate limit.

A token reads `tbk_<prefix>_<secret>`: the prefix finds the row, the secret's SHA-256 is compared in constant
time. Nothing stored gives the token back. The rate limit is a fixed one-minute window counted by one UPDATE
on the token's row (as accounts/throttle.py counts logins), so it holds across web processes.
"""

import hashlib
import hmac
import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from textback.accounts.models import Business, Membership
from textback.api.models import ApiToken

TOKEN = re.compile(r"tbk_([a-z0-9]{8})_([A-Za-z0-9_-]{43})")
RATE_WINDOW = timedelta(minutes=1)
MAX_NAME = 100


class Refused(Exception):
    """The token was not made or changed; the message says why."""


class Unauthorized(Exception):
    """The request's token cannot be used; the message says why (for the 401's detail)."""


@dataclass(frozen=True)
class Made:
    token: ApiToken
    plain: str  # the whole token, to show once


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def check_scope(scope: str) -> str:
    scope = (scope or ApiToken.READ).strip()
    if scope not in dict(ApiToken.SCOPES):
        raise Refused(f"{scope!r} is not a scope; choose read or read_write.")
    return scope


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise Refused("Name the token after what will use it, e.g. Zapier or CRM sync.")
    if len(name) > MAX_NAME:
        raise Refused(f"Keep the name under {MAX_NAME} characters.")
    return name


def do_create(business: Business, name: str, scope: str, created_by) -> Made:
    """A new token for the business; the plain token is in the result and nowhere else."""
    name, scope = check_name(name), check_scope(scope)
    if scope == ApiToken.READ_WRITE and (
        created_by is None or not Membership.objects.filter(business=business, user=created_by).exists()
    ):
        raise Refused("A read-write token sends texts as the person who made it, who must work for the business.")
    secret = secrets.token_urlsafe(32)
    for _ in range(5):
        prefix = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(8))
        try:
            with transaction.atomic():
                token = ApiToken.objects.create(
                    business=business, name=name, scope=scope, prefix=prefix, secret_hash=secret_hash(secret),
                    created_by=created_by, created_at=timezone.now(),
                )  # fmt: skip
            return Made(token, f"tbk_{prefix}_{secret}")
        except IntegrityError:  # a prefix already taken: draw again
            continue
    raise Refused("Could not find a free token prefix; try again.")


def do_revoke(token: ApiToken, now: datetime | None = None) -> bool:
    """Revoke the token (from the next request on); False if it already was."""
    now = now or timezone.now()
    done = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
    if done:
        token.revoked_at = now
    return bool(done)


def parse(presented: str) -> tuple[str, str]:
    """(prefix, secret) of a presented token, or Unauthorized saying what is wrong with it."""
    match = TOKEN.fullmatch((presented or "").strip())
    if not match:
        raise Unauthorized("That is not a textback API token; a token looks like tbk_xxxxxxxx_… (Bearer <token>).")
    return match[1], match[2]


def authenticate(presented: str) -> ApiToken:
    """The live token presented, with its business and creator; or Unauthorized with the reason."""
    prefix, secret = parse(presented)
    token = ApiToken.objects.select_related("business", "created_by").filter(prefix=prefix).first()
    expected = token.secret_hash if token else secret_hash("not a token")  # compare anyway: same time either way
    if not hmac.compare_digest(secret_hash(secret), expected) or token is None:
        raise Unauthorized("Unknown API token; check it was copied whole, or create a new one.")
    if token.revoked_at:
        raise Unauthorized(f"This API token was revoked on {token.revoked_at:%Y-%m-%d %H:%M} UTC.")
    return token


def do_count(token: ApiToken, now: datetime | None = None) -> int:
    """Count one request against the token; 0 when allowed, else the seconds until the window ends."""
    now = now or timezone.now()
    limit = settings.API_RATE_PER_MINUTE
    rows = ApiToken.objects.filter(pk=token.pk)
    with transaction.atomic():
        counted = rows.filter(rate_window_ends__gt=now).update(rate_count=F("rate_count") + 1, last_used_at=now)
        if not counted:
            ended = Q(rate_window_ends__lte=now) | Q(rate_window_ends__isnull=True)
            if not rows.filter(ended).update(rate_count=1, rate_window_ends=now + RATE_WINDOW, last_used_at=now):
                rows.update(rate_count=F("rate_count") + 1, last_used_at=now)  # another process just started it
        count, ends = rows.values_list("rate_count", "rate_window_ends").get()
    if count <= limit:
        return 0
    return max(1, math.ceil((ends - now).total_seconds()))
