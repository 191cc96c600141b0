"""textback account add|set|list|reencrypt: a business's provider accounts (Twilio credentials, or the sandbox).

The auth token is read from a file, standard input or TEXTBACK_TWILIO_AUTH_TOKEN,
and the webhook key (the secret of a Twilio webhook SharedKey) from a file or
standard input, never from an argument, so they stay out of shell history and
`ps`; and they are never printed. Both are stored encrypted; `reencrypt` moves
them, and people's two-factor secrets, to the first key of TEXTBACK_ENCRYPTION_KEY
after a new key is added.
"""

from django.conf import settings
from django.db import transaction
from django.db.models import Count

from textback.lib.env import env
from textback.ops import cli, encrypted
from textback.providers import credentials
from textback.providers.models import PROVIDERS, SANDBOX, TWILIO, ProviderAccount
from textback.providers.twilio import ids

TOKEN_ENV = "TEXTBACK_TWILIO_AUTH_TOKEN"
FLAGS = {"account_sid": "--sid", "label": "--label", "provider": "--provider"}
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


def add_webhook_key_arguments(parser, *, removable: bool) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--webhook-key-file",
        metavar="PATH",
        help="read the secret of the Twilio webhook SharedKey that signs this account's webhooks from this file",
    )
    source.add_argument(
        "--webhook-key-stdin", action="store_true", help="read the webhook SharedKey secret from standard input"
    )
    if removable:
        source.add_argument(
            "--no-webhook-key", action="store_true", help="forget the webhook key (signatures use the auth token)"
        )


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


def webhook_key(key: str) -> str:
    key = key.strip()
    if not key:
        raise cli.fail("the webhook key is empty: give the SharedKey's secret (to remove a key, use --no-webhook-key)")
    problem = credentials.webhook_key_problem(key)
    if problem:
        raise cli.fail(problem)
    return key


class Command(cli.VerbCommand):
    help = "Add, change, list and re-encrypt provider accounts (Twilio credentials or the sandbox carrier)."
    verbs = {
        "add": "Add a provider account to a business and print its id.",
        "set": "Change an account's label, SID, auth token or webhook key.",
        "list": "List provider accounts (never their secrets).",
        "reencrypt": "Re-encrypt every stored secret with the first key of TEXTBACK_ENCRYPTION_KEY.",
    }

    def add_add_arguments(self, parser):
        parser.add_argument("--business", required=True, metavar="SLUG")
        parser.add_argument("--provider", required=True, choices=[p for p, _ in PROVIDERS])
        parser.add_argument("--label", help="a name for the account, e.g. 'main'")
        parser.add_argument("--sid", metavar="AC…", help="Twilio Account SID")
        add_token_arguments(parser)
        add_webhook_key_arguments(parser, removable=False)

    def add_set_arguments(self, parser):
        parser.add_argument("account_id", metavar="ID", type=int, help="the account id (see `textback account list`)")
        parser.add_argument("--label")
        parser.add_argument("--sid", metavar="AC…", help="Twilio Account SID")
        add_token_arguments(parser)
        add_webhook_key_arguments(parser, removable=True)

    def add_list_arguments(self, parser):
        parser.add_argument("--business", metavar="SLUG", help="only this business's accounts")

    def add_reencrypt_arguments(self, parser):
        pass  # every stored secret, always: a partial re-encryption would leave the old key needed

    def _token(self, options) -> str | None:
        return cli.read_secret(options["token_file"], options["token_stdin"], self.stdin, "auth token")

    def _webhook_key(self, options) -> str | None:
        if options["token_stdin"] and options["webhook_key_stdin"]:
            raise cli.fail(
                "only one secret can come from standard input: give the other with --token-file or --webhook-key-file"
            )
        key = cli.read_secret(options["webhook_key_file"], options["webhook_key_stdin"], self.stdin, "webhook key")
        return None if key is None else webhook_key(key)

    @staticmethod
    def _secret_flags(options) -> bool:
        names = ("token_file", "token_stdin", "webhook_key_file", "webhook_key_stdin", "no_webhook_key")
        return any(options.get(name) for name in names)

    def do_add(self, *, business, provider, label, sid, **options):
        account = ProviderAccount(business=cli.business(business), provider=provider, label=(label or "").strip())
        if provider == TWILIO:
            account.account_sid = twilio_sid(sid)
            key = self._webhook_key(options)
            token = self._token(options)
            if token is None:  # an empty --token-stdin is a mistake, not a reason to look elsewhere
                token = env(TOKEN_ENV) or ""
            if not token.strip():
                raise cli.fail(NO_TOKEN)
            account.auth_token = twilio_token(token.strip())
            account.webhook_key = key or ""
            self._refuse_duplicate(account)
        elif sid or self._secret_flags(options):
            raise cli.fail(f"{provider} accounts take no --sid, auth token or webhook key")
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
        if account.provider == SANDBOX and (sid or self._secret_flags(options)):
            raise cli.fail("sandbox accounts take no --sid, auth token or webhook key")
        key = "" if options["no_webhook_key"] else self._webhook_key(options)
        changed = self._apply(account, label, sid, self._token(options), key)
        if not changed:
            raise cli.fail(
                "nothing to change: give --label, --sid, --token-file, --token-stdin, --webhook-key-file, "
                "--webhook-key-stdin or --no-webhook-key"
            )
        with transaction.atomic():
            cli.save(account, FLAGS)
        self.stdout.write(f"Updated account {account.pk}: {', '.join(changed)}.")

    @staticmethod
    def _apply(account: ProviderAccount, label, sid, token, key) -> list[str]:
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
        if key == "":
            account.webhook_key = ""
            changed.append("webhook key removed")
        elif key is not None:
            account.webhook_key = key
            changed.append("webhook key")
        return changed

    def do_list(self, *, business, **options):
        accounts = ProviderAccount.objects.select_related("business").annotate(line_count=Count("lines"))
        if business:
            accounts = accounts.filter(business=cli.business(business))
        cli.table(
            self.stdout,
            ["ID", "BUSINESS", "PROVIDER", "LABEL", "ACCOUNT SID", "TOKEN", "WEBHOOK KEY", "LINES"],
            [
                (a.pk, a.business.slug, a.provider, a.label, a.account_sid, *_secret_states(a), a.line_count)
                for a in accounts.order_by("business__slug", "pk")
            ],
        )

    def do_reencrypt(self, **options):
        found = encrypted.do_reencrypt()
        problems = encrypted.unreadable(found)
        if problems:
            raise cli.fail(
                "nothing was re-encrypted: "
                + "; ".join(problem.summary for problem in problems)
                + ". "
                + credentials.advice()
            )
        moved = sum(len(kind.stale) for kind in found.values())
        stored = sum(kind.total for kind in found.values())
        counts = " and ".join(f"{len(kind.stale)} of {cli.plural(kind.total, name)}" for name, kind in found.items())
        self.stdout.write(
            f"Re-encrypted {counts} with the first key ({stored - moved} already used it). {_after_reencrypt()}"
        )


def _after_reencrypt() -> str:
    keys = len(settings.ENCRYPTION_KEYS)
    if keys > 1:
        return "The keys after the first in TEXTBACK_ENCRYPTION_KEY can now be removed."
    if keys == 1:
        return "Every secret is under TEXTBACK_ENCRYPTION_KEY."
    return "TEXTBACK_ENCRYPTION_KEY is not set, so the first key is the one derived from the secret key."


SECRET_WORDS = {
    "auth_token_encrypted": {"set": "token set", "not set": "no token", "unreadable": "unreadable"},
    "webhook_key_encrypted": {"set": "set", "not set": "-", "unreadable": "unreadable"},
}


def _secret_states(account: ProviderAccount) -> tuple[str, str]:
    """What `list` shows of each secret: whether it is set, and whether this server can read it; never more."""
    if account.provider != TWILIO:
        return "-", "-"
    return tuple(SECRET_WORDS[column][credentials.state(account, column)] for column in SECRET_WORDS)
