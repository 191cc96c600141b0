"""Every secret textback keeps encrypted under TEXTBACK_ENCRYPTION_KEY, by kind: provider credentials (Twilio
auth tokens and webhook keys) and people's two-factor secrets. `textback account reencrypt` and `textback check`
take them together, so a key rotation never leaves one kind behind under the key about to be removed.
"""

from django.db import transaction

from textback.accounts import two_factor
from textback.accounts.models import TwoFactor
from textback.providers import credentials
from textback.providers.models import ProviderAccount

PROVIDER, TWO_FACTOR = "provider secret", "two-factor secret"


def audit(lock: bool = False) -> dict[str, credentials.Audit]:
    """Each kind's audit, by kind. `lock` takes the rows' locks (inside a transaction) so they can be rewritten."""
    accounts = ProviderAccount.objects.select_related("business").order_by("pk")
    people = TwoFactor.objects.select_related("user").order_by("pk")
    if lock:
        accounts, people = accounts.select_for_update(of=("self",)), people.select_for_update(of=("self",))
    return {PROVIDER: credentials.audit(accounts), TWO_FACTOR: two_factor.audit(people)}


def unreadable(found: dict[str, credentials.Audit]) -> list[Exception]:
    return [problem for kind in found.values() for problem in kind.unreadable]


def do_reencrypt() -> dict[str, credentials.Audit]:
    """Re-encrypt under the first key every stored secret of every kind that is not under it yet. All or nothing:
    if any secret is unreadable, nothing is written, so after a success the older keys can go."""
    with transaction.atomic():
        found = audit(lock=True)
        if not unreadable(found):
            for kind in found.values():
                credentials.do_rotate(kind)
    return found
