"""textback api-token create|list|revoke: /api/v1 tokens from a shell (the settings page does the same)."""

from django.db import transaction

from textback.accounts.models import Membership
from textback.api import tokens
from textback.api.models import ApiToken
from textback.ops import cli


def _when(moment) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment else "-"


class Command(cli.VerbCommand):
    help = "Make, list and revoke a business's /api/v1 tokens."
    verbs = {
        "create": "Make a token and print it (the only time it is shown).",
        "list": "List a business's tokens (never the tokens themselves).",
        "revoke": "Revoke a token by its prefix (the part after tbk_).",
    }

    def add_create_arguments(self, parser):
        parser.add_argument("--business", required=True, metavar="SLUG")
        parser.add_argument("--name", required=True, help="what will use it, e.g. Zapier")
        parser.add_argument("--scope", choices=["read", "read_write"], default="read")
        parser.add_argument(
            "--user", metavar="EMAIL",
            help="who texts sent with it are sent as (a read_write token; default: the business's first owner)",
        )  # fmt: skip

    def add_list_arguments(self, parser):
        parser.add_argument("--business", required=True, metavar="SLUG")

    def add_revoke_arguments(self, parser):
        parser.add_argument("prefix", help="e.g. 4cpsfujy, or the whole token")

    def _creator(self, business, email):
        members = Membership.objects.filter(business=business).select_related("user")
        if email:
            found = members.filter(user__email__iexact=email.strip()).first()
            if found is None:
                raise cli.fail(
                    f"--user: {email} does not work for {business.slug}; `textback user list` shows who does"
                )
            return found.user
        owner = members.filter(role=Membership.OWNER).order_by("pk").first()
        return owner.user if owner else None

    def do_create(self, *, business, name, scope, user, **options):
        owner = cli.business(business)
        try:
            with transaction.atomic():
                made = tokens.do_create(owner, name, scope, self._creator(owner, user))
        except tokens.Refused as exc:
            raise cli.fail(f"{exc} (give --user EMAIL of a member)" if scope == "read_write" else str(exc)) from None
        self.stderr.write(
            f"Made the {scope} token {made.token.name!r} for {owner.slug}; copy it now, it is not shown again:"
        )
        self.stdout.write(made.plain)

    def do_list(self, *, business, **options):
        rows = ApiToken.objects.filter(business=cli.business(business)).select_related("created_by").order_by("pk")
        cli.table(
            self.stdout,
            ["PREFIX", "NAME", "SCOPE", "CREATED", "BY", "LAST USED", "REVOKED"],
            [
                (t.prefix, t.name, t.scope, _when(t.created_at), t.created_by.email if t.created_by else "-",
                 _when(t.last_used_at), _when(t.revoked_at))
                for t in rows
            ],
        )  # fmt: skip

    def do_revoke(self, *, prefix, **options):
        typed = prefix.strip()
        key = typed.split("_")[1] if typed.startswith("tbk_") and typed.count("_") >= 2 else typed
        token = ApiToken.objects.select_related("business").filter(prefix=key).first()
        if token is None:
            raise cli.fail(
                f"there is no token with the prefix {key!r}; `textback api-token list --business SLUG` shows them"
            )
        if not tokens.do_revoke(token):
            self.stdout.write(f"{token} of {token.business.slug} was already revoked.")
            return
        self.stdout.write(f"Revoked {token} of {token.business.slug}; it stops working at once.")
