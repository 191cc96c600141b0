"""textback account add|set|list: a business's provider accounts (Twilio credentials, or the sandbox).

The auth token is read from a file, standard input or TEXTBACK_TWILIO_AUTH_TOKEN,
never from an argument, so it stays out of shell history and `ps`; and it is
never printed.
"""

from django.db import transaction
from django.db.models import Count

from textback.lib.env import env
from textback.ops import cli
from textback.providers.models import PROVIDERS, SANDBOX, TWILIO, ProviderAccount
from textback.providers.twilio import ids

TOKEN_ENV = "TEXTBACK_TWILIO_AUTH_TOKEN"
FLAGS = {"account_sid": "--sid", "auth_token": "the auth token", "label": "--label", "provider": "--provider"}
NO_TOKEN = (
    "give the Twilio auth token with --token-file PATH, --token-stdin or the TEXTBACK_TWILIO_AUTH_TOKEN "
    "environment variable (never as an argument, so it stays out of shell history)"
)


def add_token_arguments(parser) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--token-file",
        metavar="PATH",
        help="read the Twilio auth token from this file (or set TEXTBACK_TWILIO_AUTH_TOKEN)",
    )
    source.add_argument("--token-stdin", action="store_true", help="read the Twilio auth token from standard input")


def twilio_sid(sid: str | None) -> str:
    """The Account SID as typed, in any letter case, stored as Twilio writes it."""
    if not sid:
        raise cli.fail(f"--sid is required for a Twilio account: {ids.SID_HELP}")
    problem = ids.sid_problem(sid.strip())
    if problem:
        raise cli.fail(f"--sid: {problem}")
    return ids.normal_sid(sid)


def twilio_token(token: str) -> str:
    problem = ids.token_problem(token)
    if problem:
        raise cli.fail(problem[0].upper() + problem[1:])
    return ids.normal_token(token)


class Command(cli.VerbCommand):
    help = "Add, change and list provider accounts (Twilio credentials or the sandbox carrier)."
    verbs = {
        "add": "Add a provider account to a business and print its id.",
        "set": "Change an account's label, SID or auth token.",
        "list": "List provider accounts (never their tokens).",
    }

    def add_add_arguments(self, parser):
        parser.add_argument("--business", required=True, metavar="SLUG")
        parser.add_argument("--provider", required=True, choices=[p for p, _ in PROVIDERS])
        parser.add_argument("--label", help="a name for the account, e.g. 'main'")
        parser.add_argument("--sid", metavar="AC…", help="Twilio Account SID")
        add_token_arguments(parser)

    def add_set_arguments(self, parser):
        parser.add_argument("account_id", metavar="ID", type=int, help="the account id (see `textback account list`)")
        parser.add_argument("--label")
        parser.add_argument("--sid", metavar="AC…", help="Twilio Account SID")
        add_token_arguments(parser)

    def add_list_arguments(self, parser):
        parser.add_argument("--business", metavar="SLUG", help="only this business's accounts")

    def _token(self, options) -> str | None:
        return cli.read_secret(options["token_file"], options["token_stdin"], self.stdin, "auth token")

    def do_add(self, *, business, provider, label, sid, **options):
        account = ProviderAccount(business=cli.business(business), provider=provider, label=(label or "").strip())
        if provider == TWILIO:
            account.account_sid = twilio_sid(sid)
            token = self._token(options)
            if token is None:  # an empty --token-stdin is a mistake, not a reason to look elsewhere
                token = env(TOKEN_ENV) or ""
            if not token.strip():
                raise cli.fail(NO_TOKEN)
            account.auth_token = twilio_token(token.strip())
            self._refuse_duplicate(account)
        elif sid or options["token_file"] or options["token_stdin"]:
            raise cli.fail(f"{provider} accounts take no --sid or auth token")
        with transaction.atomic():
            cli.save(account, FLAGS)
        self.stdout.write(str(account.pk))

    def _refuse_duplicate(self, account: ProviderAccount) -> None:
        same = ProviderAccount.objects.filter(
            business=account.business, provider=TWILIO, account_sid=account.account_sid
        )
        if same.exists():
            raise cli.fail(
                f"{account.business.slug} has this Twilio account already (id {same.first().pk}); "
                f"change it with `textback account set {same.first().pk}`"
            )

    def do_set(self, *, account_id, label, sid, **options):
        account = ProviderAccount.objects.filter(pk=account_id).first()
        if account is None:
            raise cli.fail(f"there is no provider account {account_id}; `textback account list` shows them")
        token = self._token(options)
        if account.provider == SANDBOX and (sid or token):
            raise cli.fail("sandbox accounts take no --sid or auth token")
        changed = self._apply(account, label, sid, token)
        if not changed:
            raise cli.fail("nothing to change: give --label, --sid, --token-file or --token-stdin")
        with transaction.atomic():
            cli.save(account, FLAGS)
        self.stdout.write(f"Updated account {account.pk}: {', '.join(changed)}.")

    @staticmethod
    def _apply(account: ProviderAccount, label, sid, token) -> list[str]:
        changed = []
        if label is not None:
            account.label = label.strip()
            changed.append("label")
        if sid is not None:
            account.account_sid = twilio_sid(sid)
            changed.append("Account SID")
        if token is not None:
            account.auth_token = twilio_token(token.strip())
            changed.append("auth token")
        return changed

    def do_list(self, *, business, **options):
        accounts = ProviderAccount.objects.select_related("business").annotate(line_count=Count("lines"))
        if business:
            accounts = accounts.filter(business=cli.business(business))
        cli.table(
            self.stdout,
            ["ID", "BUSINESS", "PROVIDER", "LABEL", "ACCOUNT SID", "TOKEN", "LINES"],
            [
                (a.pk, a.business.slug, a.provider, a.label, a.account_sid, _token_state(a), a.line_count)
                for a in accounts.order_by("business__slug", "pk")
            ],
        )


def _token_state(account: ProviderAccount) -> str:
    if account.provider != TWILIO:
        return "-"
    return "token set" if account.auth_token else "no token"
