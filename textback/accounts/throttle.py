"""Login throttling that holds across spellings of a username and across web processes.

Each attempt reserves its place before the password is checked: one UPDATE … SET count = count + 1
on the row of the account (and then of the client address) numbers concurrent attempts in every
process one after another, and only an attempt whose number is within the limit is checked. So 30
simultaneous wrong passwords get exactly ACCOUNT_LIMIT checks, however many processes serve them.

A successful login clears the account's count and gives back its place in the address's, so staff
behind one office address do not use up the address's allowance by logging in. A failure keeps both.
The window is fixed: it starts at the first attempt and ends WINDOW later, when the count starts again.
"""

import logging
import math
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.forms import UsernameField
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac

from textback.accounts.models import LoginThrottle
from textback.lib.client_ip import throttle_scope

log = logging.getLogger("textback.login")

ACCOUNT_LIMIT = 10  # failed attempts per account in a window, whatever the spelling and the address
ADDRESS_LIMIT = 50  # failed attempts from one address (an IPv6 /64) in a window, over all the accounts it tries
WINDOW = timedelta(minutes=15)
USERNAME_SHOWN = 150  # Django's longest username; a lockout page shows no more of what was typed
ACCOUNT, ADDRESS = "account", "address"


# --- keys: pure ------------------------------------------------------------------------------


def normalise_username(raw: str) -> str:
    """The username as Django's login form reads it (stripped, then NFKC), with case folded too.

    Folding makes "Alice" and "alice" one account for counting even where the database tells them
    apart: counting two people together is safe, counting one person twice is the bypass.
    """
    return unicodedata.normalize("NFKC", UsernameField().to_python(raw).casefold())


def account_key(raw_username: str) -> str:
    """The account's row: keyed, so a password typed into the username field is not stored readable."""
    text = normalise_username(raw_username).encode("utf-8", "surrogatepass")
    return f"{ACCOUNT}:{salted_hmac('textback.login.account', text, algorithm='sha256').hexdigest()}"


def address_key(address: str) -> str:
    return f"{ADDRESS}:{throttle_scope(address)}"


def describe_wait(left: timedelta) -> str:
    """How long a lockout still lasts, rounded up to whole minutes: never promise less than the truth."""
    minutes = max(1, math.ceil(left.total_seconds() / 60))
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


# --- counting --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """A reserved login attempt. It may be checked only when `refused` is empty."""

    account: str
    address: str
    refused: str = ""  # ACCOUNT or ADDRESS: whose limit this attempt is over
    until: datetime | None = None  # when the refusing window ends

    def seconds_left(self, now: datetime) -> int:
        return max(1, math.ceil((self.until - now).total_seconds())) if self.until else 0


def _count(key: str, now: datetime) -> tuple[int, datetime]:
    """Add one attempt to key; its number within the window, and when the window ends."""
    rows = LoginThrottle.objects.filter(key=key)
    with transaction.atomic():
        if not rows.filter(window_ends__gt=now).update(count=F("count") + 1):
            if not rows.filter(window_ends__lte=now).update(count=1, window_ends=now + WINDOW):
                _create(key, now)
        return rows.values_list("count", "window_ends").get()


def _create(key: str, now: datetime) -> None:
    """Start a window for key; if another process has just started it, count in that one."""
    try:
        with transaction.atomic():
            LoginThrottle.objects.create(key=key, count=1, window_ends=now + WINDOW)
    except IntegrityError:
        LoginThrottle.objects.filter(key=key).update(count=F("count") + 1)
        return
    # Rows are only ever added here, so sweeping here bounds the table; a failed sweep is only logged.
    transaction.on_commit(lambda: do_sweep(now), robust=True)


def _give_back(key: str) -> None:
    LoginThrottle.objects.filter(key=key, count__gt=0).update(count=F("count") - 1)


def do_reserve(raw_username: str, address: str, now: datetime | None = None) -> Attempt:
    """Reserve one attempt for the account and the address, in their own short transactions.

    They commit before the password is hashed, so no row stays locked while argon2 runs. An attempt
    refused by the address gives its place back to the account: an account's count is of attempts
    that were checked, or may yet be.
    """
    now = now or timezone.now()
    attempt = Attempt(account=account_key(raw_username), address=address_key(address))
    count, until = _count(attempt.account, now)
    if count > ACCOUNT_LIMIT:
        if count == ACCOUNT_LIMIT + 1:  # log once per lockout, not once per refused request
            log.warning(
                "login locked for account %r until %s: %d failed attempts (the last from %s)",
                normalise_username(raw_username)[:80],
                until.isoformat(timespec="seconds"),
                ACCOUNT_LIMIT,
                address,
            )
        return Attempt(attempt.account, attempt.address, refused=ACCOUNT, until=until)
    count, until = _count(attempt.address, now)
    if count > ADDRESS_LIMIT:
        _give_back(attempt.account)
        if count == ADDRESS_LIMIT + 1:
            log.warning(
                "login locked for address %s until %s: %d failed attempts",
                throttle_scope(address),
                until.isoformat(timespec="seconds"),
                ADDRESS_LIMIT,
            )
        return Attempt(attempt.account, attempt.address, refused=ADDRESS, until=until)
    return attempt


def do_succeed(attempt: Attempt) -> None:
    """The password was right: the account starts afresh, and the address gets its place back."""
    LoginThrottle.objects.filter(key=attempt.account).update(count=0)
    _give_back(attempt.address)


def do_sweep(now: datetime | None = None) -> int:
    """Delete the rows whose window has ended, so attempts with made-up usernames do not pile up."""
    deleted, _ = LoginThrottle.objects.filter(window_ends__lt=now or timezone.now()).delete()
    return deleted
