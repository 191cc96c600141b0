"""textback user add|list|remove|phone|two-factor-off: the staff who sign in to a business's inbox, their roles,
and their phones."""

import secrets

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from textback.accounts import two_factor
from textback.accounts.models import Business, Membership
from textback.alerts import verify
from textback.lib import phone
from textback.ops import cli

ROLES = [role for role, _ in Membership.ROLES]
FLAGS = {"username": "--email", "email": "--email", "first_name": "--name", "last_name": "--name"}


def read_email(raw: str) -> str:
    """Sign-in names are e-mail addresses, kept in lower case."""
    email = raw.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise cli.fail(f"--email: {raw!r} is not an e-mail address such as mike@example.com") from None
    return email


def check_password(password: str, user) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise cli.fail("the password is not accepted: " + " ".join(exc.messages)) from None


def new_user(email: str, name: str | None, password: str):
    first, _, last = (name or "").strip().partition(" ")
    user = get_user_model()(username=email, email=email, first_name=first, last_name=last.strip())
    check_password(password, user)
    user.set_password(password)
    cli.save(user, FLAGS)
    return user


def default_role(business: Business) -> str:
    """The first person added to a business runs it; everyone after starts as an agent."""
    return Membership.AGENT if business.memberships.exists() else Membership.OWNER


class Command(cli.VerbCommand):
    help = "Add staff users to a business, list them, or remove them from it."
    verbs = {
        "add": "Create a user (or reuse an existing one) and make them a member of a business.",
        "list": "List a business's members.",
        "remove": "Take a user out of a business (the user account itself stays).",
        "phone": "Set or clear a member's phone for text alerts; --verified vouches for it instead of a texted code.",
        "two-factor-off": "Switch a person's two-factor sign-in off (a lost phone, or a secret no key can read).",
    }

    def add_add_arguments(self, parser):
        parser.add_argument("--business", required=True, metavar="SLUG")
        parser.add_argument("--email", required=True, help="the address they sign in with")
        parser.add_argument("--role", choices=ROLES, help="default: owner for a business's first member, else agent")
        parser.add_argument("--name", help="their name, e.g. 'Mike Rivera'")
        source = parser.add_mutually_exclusive_group()
        source.add_argument("--password-file", metavar="PATH", help="read the password from this file")
        source.add_argument("--password-stdin", action="store_true", help="read the password from standard input")

    def add_list_arguments(self, parser):
        parser.add_argument("--business", required=True, metavar="SLUG")

    def add_remove_arguments(self, parser):
        parser.add_argument("--business", required=True, metavar="SLUG")
        parser.add_argument("--email", required=True)

    def add_phone_arguments(self, parser):
        parser.add_argument("--business", required=True, metavar="SLUG")
        parser.add_argument("--email", required=True, help="the address they sign in with")
        number = parser.add_mutually_exclusive_group()
        number.add_argument("--phone", dest="number", help="their own phone, e.g. '(512) 555-0177' or +15125550177")
        number.add_argument("--clear", action="store_true", help="remove their phone (no text alerts)")
        parser.add_argument(
            "--verified",
            action="store_true",
            help="you know the phone is theirs: mark it verified without the code textback would text it",
        )

    def add_two_factor_off_arguments(self, parser):
        parser.add_argument("--email", required=True, help="the address they sign in with")

    def do_add(self, *, business, email, role, name, password_file, password_stdin, **options):
        owner, email = cli.business(business), read_email(email)
        password = cli.read_secret(password_file, password_stdin, self.stdin, "password")
        user = get_user_model().objects.filter(username__iexact=email).first()
        generated = None
        with transaction.atomic():
            if user is None:
                generated = None if password else secrets.token_urlsafe(12)
                user = new_user(email, name, password or generated)
            elif password:
                self.stderr.write(
                    f"{email} exists already, so the password is unchanged "
                    f"(`textback changepassword {user.username}` changes it).",
                    style_func=self.style.WARNING,
                )
            self._join(user, owner, role)
        if generated:
            self.stdout.write(f"Password for {email} (shown only this once): {generated}")

    def _join(self, user, business: Business, role: str | None) -> None:
        membership = Membership.objects.filter(user=user, business=business).first()
        if membership is None:
            membership = Membership.objects.create(user=user, business=business, role=role or default_role(business))
            self.stdout.write(f"Added {user.username} to {business.slug} as {membership.role}.")
        elif role and role != membership.role:
            membership.role = role
            membership.save(update_fields=["role"])
            self.stdout.write(f"{user.username} is now {role} at {business.slug}.")
        else:
            self.stdout.write(f"{user.username} is a member of {business.slug} already, as {membership.role}.")

    def do_list(self, *, business, **options):
        members = Membership.objects.filter(business=cli.business(business)).select_related("user")
        cli.table(
            self.stdout,
            ["EMAIL", "NAME", "ROLE", "ACTIVE", "LAST LOGIN"],
            [
                (
                    m.user.username,
                    m.user.get_full_name(),
                    m.role,
                    "yes" if m.user.is_active else "no",
                    m.user.last_login.strftime("%Y-%m-%d %H:%M") if m.user.last_login else "never",
                )
                for m in members.order_by("user__username")
            ],
        )

    def do_remove(self, *, business, email, **options):
        owner = cli.business(business)
        membership = Membership.objects.filter(business=owner, user__username__iexact=email.strip()).first()
        if membership is None:
            raise cli.fail(
                f"{email} is not a member of {owner.slug}; `textback user list --business {owner.slug}` shows who is"
            )
        owners = Membership.objects.filter(business=owner, role=Membership.OWNER)
        if membership.role == Membership.OWNER and owners.count() == 1:
            raise cli.fail(f"{email} is the only owner of {owner.slug}; add another owner first")
        membership.delete()
        self.stdout.write(f"Removed {membership.user.username} from {owner.slug}.")

    def do_phone(self, *, business, email, number: str | None, clear: bool, verified: bool, **options):
        owner = cli.business(business)
        membership = Membership.objects.filter(business=owner, user__username__iexact=email.strip()).first()
        if membership is None:
            raise cli.fail(
                f"{email} is not a member of {owner.slug}; `textback user list --business {owner.slug}` shows who is"
            )
        if number is None and not clear and not verified:
            raise cli.fail("say what to do: --phone NUMBER, --clear, or --verified for the phone they have")
        typed = number
        number = "" if clear else membership.phone if typed is None else cli.number(typed, owner.country, "--phone")
        if number and number != membership.phone and (problem := verify.refusal(membership, number)):
            raise cli.fail(f"--phone: {problem}")
        if verified and not number:
            raise cli.fail(f"--verified: {membership.user.username} has no phone at {owner.slug}; give --phone")
        with transaction.atomic():
            membership.phone = number
            cli.validate(membership, {"phone": "--phone"})
            if verified:
                membership.phone_verified, membership.phone_verified_at = number, timezone.now()
            membership.save(update_fields=["phone", "phone_verified", "phone_verified_at"])
        self.stdout.write(self._phone_words(membership))

    @staticmethod
    def _phone_words(membership: Membership) -> str:
        who = f"{membership.user.username} at {membership.business.slug}"
        if not membership.phone:
            return f"{who} has no phone: no text alerts, no answering by text."
        if membership.phone_is_verified:
            return f"{who}: {phone.pretty(membership.phone)}, verified. Text alerts and answering by text work."
        return (
            f"{who}: {phone.pretty(membership.phone)}, not verified: they ask for a code on My settings and type "
            "it back (or run this again with --verified)."
        )

    def do_two_factor_off(self, *, email, **options):
        user = get_user_model().objects.filter(username__iexact=email.strip()).first()
        if user is None:
            raise cli.fail(f"there is no user {email}; `textback user list --business SLUG` shows a business's members")
        with transaction.atomic():
            removed = two_factor.do_remove(user)
        if not removed:
            self.stdout.write(f"{user.username} has no two-factor sign-in; nothing changed.")
            return
        self.stdout.write(
            f"Two-factor sign-in is off for {user.username}: their password alone signs in, and they can set it up "
            "again on My account. Their recovery codes no longer work."
        )
