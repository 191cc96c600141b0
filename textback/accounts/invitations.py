"""Inviting people by email: an owner names an address and a role, the person follows the mailed link.

Only the sha256 of a link's token is stored, so the table alone cannot be used to join a business.
A link works once and for seven days; resending makes a new token (the old link stops working),
revoking ends it. The invitation and its mail are written in one transaction (the mail is outbox
work), so there is never an invitation nobody was told of, nor a mail for one that was not saved.
"""

import hashlib
import secrets
import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from textback.accounts.access import ROLE_NAMES
from textback.accounts.mail import queue_email
from textback.accounts.models import Business, Invitation, Membership

VALID_FOR = timedelta(days=7)
MAX_NAME = 150  # Django's first_name and last_name hold 150 characters each


class Refused(Exception):
    """Nothing was changed; the message says why, in words for the person who asked."""


class Gone(Exception):
    """An invitation link that cannot be used (any more): the message says why and what to do."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def normalise_email(raw: str) -> str:
    """Sign-in names are email addresses in lower case (as `textback user add` makes them)."""
    email = (raw or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise Refused(f"“{raw.strip()[:100]}” is not an email address such as mike@example.com.") from None
    return email


def user_with_email(email: str):
    users = get_user_model().objects.filter(Q(username__iexact=email) | Q(email__iexact=email))
    return users.order_by("pk").first()


def is_pending(invitation: Invitation) -> bool:
    return invitation.accepted_at is None and invitation.revoked_at is None


def pending_for(business: Business):
    return Invitation.objects.filter(business=business, accepted_at=None, revoked_at=None).order_by("-created_at")


def check_invite(business: Business, raw_email: str, role: str) -> str:
    """The address to invite, or Refused saying why not."""
    email = normalise_email(raw_email)
    if role not in ROLE_NAMES:
        raise Refused("Choose a role: owner, manager or agent.")
    member = Membership.objects.filter(business=business).filter(
        Q(user__username__iexact=email) | Q(user__email__iexact=email)
    )
    if existing := member.first():
        raise Refused(f"{email} is already a member of {business.name}, as {existing.get_role_display().lower()}.")
    return email


def link(token: str) -> str:
    return settings.PUBLIC_URL + reverse("account:invite", args=[token])


def _new_token(invitation: Invitation, now) -> str:
    token = secrets.token_urlsafe(32)
    invitation.token_hash = token_hash(token)
    invitation.created_at, invitation.expires_at = now, now + VALID_FOR
    return token


def _mail(invitation: Invitation, token: str) -> None:
    inviter = invitation.invited_by
    context = {
        "invitation": invitation,
        "business": invitation.business,
        "inviter": (inviter.get_full_name() or inviter.email or inviter.get_username()) if inviter else "",
        "role": invitation.get_role_display().lower(),
        "link": link(token),
        "expires": invitation.expires_at.astimezone(zoneinfo.ZoneInfo(invitation.business.time_zone)),
    }
    queue_email(
        to=[invitation.email],
        subject=f"You're invited to {invitation.business.name} on textback",
        body=render_to_string("accounts/mail/invitation.txt", context),
        key=f"invite:{invitation.pk}:{invitation.token_hash[:16]}",
        business=invitation.business,
        expires_in=VALID_FOR,
    )


def do_invite(business: Business, email: str, role: str, invited_by, now=None) -> Invitation:
    """Invite `email` (already checked) with `role`, and mail the link. Call inside a transaction.

    An earlier pending invitation to the same address is revoked: its link stops working."""
    now = now or timezone.now()
    pending_for(business).filter(email=email).update(revoked_at=now)
    invitation = Invitation(business=business, email=email, role=role, invited_by=invited_by)
    token = _new_token(invitation, now)
    invitation.save()
    _mail(invitation, token)
    return invitation


def do_resend(invitation: Invitation, by, now=None) -> Invitation:
    """Mail a fresh link (the old one stops working) valid for another seven days."""
    if not is_pending(invitation):
        raise Refused(f"The invitation to {invitation.email} was already {_ended(invitation)}; invite them again.")
    invitation = Invitation.objects.select_for_update(of=("self",)).select_related("business").get(pk=invitation.pk)
    token = _new_token(invitation, now or timezone.now())
    invitation.invited_by = by
    invitation.save(update_fields=["token_hash", "created_at", "expires_at", "invited_by"])
    _mail(invitation, token)
    return invitation


def do_revoke(invitation: Invitation, now=None) -> None:
    if not is_pending(invitation):
        raise Refused(f"The invitation to {invitation.email} was already {_ended(invitation)}.")
    Invitation.objects.filter(pk=invitation.pk, accepted_at=None, revoked_at=None).update(
        revoked_at=now or timezone.now()
    )


def _ended(invitation: Invitation) -> str:
    return "accepted" if invitation.accepted_at else "revoked"


# --- following the link -------------------------------------------------------------------------


def usable(token: str, *, lock: bool = False, now=None) -> Invitation:
    """The pending invitation this link's token opens, or Gone saying why it cannot be used."""
    rows = Invitation.objects.select_related("business", "invited_by")
    if lock:
        rows = rows.select_for_update(of=("self",))  # not the inviter (an outer join) nor the business
    invitation = rows.filter(token_hash=token_hash(token)).first()
    if invitation is None:
        raise Gone(
            "This invitation link is not valid: it may have been replaced by a newer invitation, or mistyped. "
            "Ask the person who invited you to send it again."
        )
    business = invitation.business.name
    if invitation.accepted_at:
        raise Gone(
            f"This invitation to {business} has been used already. If it was you, log in; "
            "otherwise ask an owner of the business to invite you again."
        )
    if invitation.revoked_at:
        raise Gone(f"This invitation to {business} was withdrawn. Ask an owner of the business to invite you again.")
    if invitation.expires_at <= (now or timezone.now()):
        raise Gone(
            f"This invitation to {business} expired on {timezone.localtime(invitation.expires_at):%b %-d, %Y}. "
            "Ask an owner of the business to send it again."
        )
    return invitation


def check_new_account(invitation: Invitation, name: str, password: str) -> None:
    """Raises ValidationError (with the password validators' own words) when the account cannot be made."""
    user = get_user_model()(username=invitation.email, email=invitation.email, first_name=name)
    password_validation.validate_password(password, user)


def _accept(invitation: Invitation, user, now) -> Membership:
    membership, _ = Membership.objects.get_or_create(
        user=user, business=invitation.business, defaults={"role": invitation.role}
    )
    Invitation.objects.filter(pk=invitation.pk).update(accepted_at=now, accepted_by=user)
    return membership


def do_accept_new(token: str, name: str, password: str, now=None) -> Membership:
    """Create the invited person's account and membership. Call inside a transaction.

    The invitation row is locked and checked again, so two clicks of one link make one account."""
    now = now or timezone.now()
    invitation = usable(token, lock=True, now=now)
    if user_with_email(invitation.email) is not None:
        raise Refused(f"There is already an account for {invitation.email}: log in to accept the invitation.")
    first, _, last = name.strip().partition(" ")
    user = get_user_model()(
        username=invitation.email, email=invitation.email, first_name=first[:150], last_name=last.strip()[:150]
    )
    user.set_password(password)
    user.save()
    return _accept(invitation, user, now)


def do_accept_existing(token: str, user, now=None) -> Membership:
    """The signed-in person (whose address the invitation names) joins the business."""
    now = now or timezone.now()
    invitation = usable(token, lock=True, now=now)
    if not addressed_to(invitation, user):
        raise Refused(
            f"This invitation is for {invitation.email}, but you are logged in as {user.get_username()}. "
            f"Log out, then open the link again and log in as {invitation.email}."
        )
    return _accept(invitation, user, now)


def addressed_to(invitation: Invitation, user) -> bool:
    return invitation.email in {user.get_username().lower(), (user.email or "").lower()}
