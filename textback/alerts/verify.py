"""A staff phone is verified before it gets a caller's words: a one-time code texted from a business line,
typed back on My settings.

Text alerts and the SMS relay work only for a verified phone (`Membership.phone_is_verified`). Without
this, a phone typed wrongly (or on purpose) as a customer's number would get other callers' words as
alerts, and that customer's texts would be taken for staff answers.

- Which numbers can be a person's phone at all (`refusal`): not one of the business's lines, not a
  colleague's phone, not a customer of the business (a contact with texts, or calls that were not from
  one of the business's own numbers), not a number that sent STOP to the business (textback may not text
  it). An excluded number is fine: owners put staff phones on that list.
- The code: 6 digits, good for CODE_LIFETIME, MAX_WRONG wrong tries; a new code replaces the one before.
  Only an HMAC of it is kept.
- Sending: at most one code per RESEND_AFTER and MAX_CODES_A_DAY per person and business: the code goes to
  a number the person typed, and textback must not become a way to text anyone anything.
- It is texted from a line the person serves (else any line that is switched on), through the outbox like
  every alert text (`Alert.PHONE_CODE`), so the sandbox carrier's phone simulator shows it too.
"""

import re
import secrets
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from textback.accounts.models import Membership
from textback.alerts import channels
from textback.alerts.models import Alert, PhoneCode
from textback.calls.decide import OWN_NUMBER
from textback.calls.models import Call
from textback.lib import phone
from textback.messaging.actions import is_opted_out
from textback.messaging.models import Contact, Message
from textback.providers.models import Line

CODE_LIFETIME = timedelta(minutes=15)
MAX_WRONG = 5
RESEND_AFTER = timedelta(seconds=60)
MAX_CODES_A_DAY = 5


def refusal(membership: Membership, number: str) -> str | None:
    """Why `number` (E.164) cannot be this person's phone at this business, in words for them; None if it can."""
    business, pretty = membership.business, phone.pretty(number)
    if Line.objects.filter(business=business, number=number).exists():
        return "That is one of the business's own lines; give the phone you carry."
    taken = Membership.objects.filter(business=business, phone=number).exclude(pk=membership.pk).first()
    if taken:
        who = taken.user.get_full_name() or taken.user.get_username()
        return f"{pretty} is already {who}'s phone here; texts from it must say who is answering."
    if _is_customer(business, number):
        return (
            f"{pretty} is a customer's number: it has texted or called {business.name} (see Contacts). A staff "
            "phone gets other callers' words, and its texts are taken for answers to callers: give your own phone."
        )
    if is_opted_out(business, number):
        return (
            f"{pretty} sent STOP to {business.name}, so textback may not text it. Text START from it to "
            f"{business.name}'s number, then save it here again."
        )
    return None


def _is_customer(business, number: str) -> bool:
    """A contact with texts, or with calls that were not decided as coming from one of the business's own numbers."""
    texts = Message.objects.filter(contact=OuterRef("pk"))
    calls = Call.objects.filter(contact=OuterRef("pk")).exclude(decision_reason=OWN_NUMBER)
    return Contact.objects.filter(business=business, number=number).filter(Q(Exists(texts)) | Q(Exists(calls))).exists()


def _hash(membership: Membership, number: str, code: str) -> str:
    return salted_hmac("textback.phone-code", f"{membership.pk}:{number}:{code}").hexdigest()


def sending_line(membership: Membership) -> Line | None:
    """The line a code goes from: one the person serves, else any of the business's lines that is switched on."""
    served = membership.lines.filter(active=True).order_by("pk").first()
    return served or Line.objects.filter(business_id=membership.business_id, active=True).order_by("pk").first()


def code_text(business, code: str) -> str:
    return (
        f"{business.name}: {code} is your code to verify this phone for textback alerts. It expires in "
        f"{CODE_LIFETIME.seconds // 60} minutes. Did not ask for it? Ignore this text."
    )


def why_no_code(membership: Membership, now: datetime) -> str | None:
    """Why no code can be texted to this person's phone now, in words for them; None if one can."""
    if not membership.phone:
        return "Add your phone first."
    if membership.phone_is_verified:
        return "Your phone is verified already."
    sent = list(
        PhoneCode.objects.filter(membership=membership, created_at__gte=now - timedelta(days=1)).values_list(
            "created_at", flat=True
        )
    )
    if any(now - at < RESEND_AFTER for at in sent):
        return f"A code was texted less than a minute ago; wait {RESEND_AFTER.seconds} seconds before asking again."
    if len(sent) >= MAX_CODES_A_DAY:
        return f"{MAX_CODES_A_DAY} codes were texted in the last 24 hours; try again tomorrow."
    return refusal(membership, membership.phone)


def do_send_code(membership: Membership) -> tuple[PhoneCode | None, str]:
    """Text a new code to the person's phone (the caller holds the transaction; the membership row is locked
    so two clicks send one code). (the code row, '') or (None, why not)."""
    membership = Membership.objects.select_for_update().select_related("business").get(pk=membership.pk)
    now = timezone.now()
    problem = why_no_code(membership, now)
    line = sending_line(membership) if problem is None else None
    if problem is None and line is None:
        problem = f"textback cannot text your phone: {membership.business.name} has no line switched on."
    if problem:
        return None, problem
    PhoneCode.objects.filter(membership=membership, used_at__isnull=True, expires_at__gt=now).update(expires_at=now)
    code = f"{secrets.randbelow(10**6):06d}"
    row = PhoneCode.objects.create(
        membership=membership, phone=membership.phone, line=line, code_hash=_hash(membership, membership.phone, code),
        created_at=now, expires_at=now + CODE_LIFETIME,
    )  # fmt: skip
    channels.queue(
        business=membership.business, event=Alert.PHONE_CODE, channel=Alert.SMS, key=f"phone-code:{row.pk}",
        to=membership.phone, body=code_text(membership.business, code), line=line, membership=membership,
    )  # fmt: skip
    return row, ""


def live_code(membership: Membership, now: datetime | None = None) -> PhoneCode | None:
    """The code that can still verify the person's phone as it is now, if any."""
    now = now or timezone.now()
    return (
        PhoneCode.objects.filter(
            membership=membership,
            phone=membership.phone,
            used_at__isnull=True,
            expires_at__gt=now,
            wrong_tries__lt=MAX_WRONG,
        )  # fmt: skip
        .select_related("line__account")
        .order_by("-created_at", "-pk")
        .first()
    )


def do_check_code(membership: Membership, typed: str) -> str:
    """Verify the person's phone when `typed` is its live code; '' when it is verified, else why not.

    Wrong tries are counted on the code (the caller commits them; nothing is raised), so the MAX_WRONG-th
    wrong try ends it. The membership row is locked: a phone changed meanwhile is not verified by an old code."""
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    now = timezone.now()
    latest = (
        PhoneCode.objects.select_for_update()
        .filter(membership=membership, phone=membership.phone)
        .order_by("-created_at", "-pk")
        .first()
    )
    if not membership.phone or latest is None or latest.used_at is not None:
        return "Ask for a code first: textback texts it to your phone."
    if latest.expires_at <= now:
        return f"That code has expired (a code works for {CODE_LIFETIME.seconds // 60} minutes); ask for a new one."
    if latest.wrong_tries >= MAX_WRONG:
        return "Too many wrong codes; ask for a new one."
    digits = re.sub(r"[\s-]", "", typed or "")
    if not constant_time_compare(_hash(membership, membership.phone, digits), latest.code_hash):
        latest.wrong_tries += 1
        latest.save(update_fields=["wrong_tries"])
        left = MAX_WRONG - latest.wrong_tries
        more = f"{left} more {'try' if left == 1 else 'tries'} for this code." if left else "Ask for a new code."
        return f"That is not the code we texted to {phone.pretty(membership.phone)}. {more}"
    latest.used_at = now
    latest.save(update_fields=["used_at"])
    Membership.objects.filter(pk=membership.pk).update(phone_verified=membership.phone, phone_verified_at=now)
    return ""
