"""textback check: Django's system checks, then textback's own configuration, each problem with what to do.

Every finding is one line: "ERROR …" (textback will not work until fixed),
"WARN  …" (works, but not as it should), "INFO  …" or "ok    …". The command
exits 1 when there is any error (or any warning, with --fail-level WARNING).
`--online` also asks Twilio about each account (closed? a trial? a sub-account?)
and each number: on the account, its webhooks pointing here, no TwiML App or
SIP trunk in their way, and its incoming texts reaching textback.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import SystemCheckError
from django.core.management.commands import check
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http.request import validate_host
from django.utils import timezone

from textback.accounts.models import Business
from textback.calls.models import Call
from textback.lib import phone
from textback.lib.env import env
from textback.lib.urls import is_local
from textback.messaging.models import Message
from textback.messaging.templating import TemplateError, check_template
from textback.ops import encrypted
from textback.ops.cli import plural
from textback.providers import credentials
from textback.providers.base import ProviderError
from textback.providers.models import SANDBOX, TWILIO, Line, ProviderAccount
from textback.providers.twilio import ids, numbers
from textback.providers.twilio.client import TwilioClient


class Report:
    """Findings, written as they are found, and counted."""

    def __init__(self, out, style, verbose: bool):
        self.out, self.style, self.verbose = out, style, verbose
        self.errors = self.warnings = 0

    def error(self, text: str) -> None:
        self.errors += 1
        self.out.write(f"ERROR {text}", self.style.ERROR)

    def warn(self, text: str) -> None:
        self.warnings += 1
        self.out.write(f"WARN  {text}", self.style.WARNING)

    def info(self, text: str) -> None:
        self.out.write(f"INFO  {text}")

    def ok(self, text: str) -> None:
        if self.verbose:
            self.out.write(f"ok    {text}", self.style.SUCCESS)

    @property
    def problems(self) -> int:
        return self.errors + self.warnings

    def summary(self) -> str:
        if not self.problems:
            return "textback check: no problems found."
        return f"textback check: {plural(self.errors, 'error')}, {plural(self.warnings, 'warning')}."


class Command(check.Command):
    help = "Run Django's system checks, then check textback's configuration and say exactly what to fix."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--online",
            action="store_true",
            help="also ask Twilio whether each number is on its account and points here",
        )

    def handle(self, *app_labels, **options):
        report = Report(self.stdout, self.style, verbose=options["verbosity"] >= 1)
        try:
            super().handle(*app_labels, **options)
        except SystemCheckError as exc:
            self.stderr.write(str(exc), lambda text: text)
            report.error("Django's system checks found problems (listed above)")
        if options["list_tags"]:
            return
        run_checks(report, online=options["online"])
        failing = report.errors + (report.warnings if options["fail_level"] in ("WARNING", "INFO", "DEBUG") else 0)
        if failing:
            raise SystemCheckError(report.summary())  # exit status 1, printed without a "CommandError:" prefix
        self.stdout.write(report.summary())


def run_checks(report: Report, online: bool) -> None:
    ready = check_database(report)
    uses_twilio = ready and ProviderAccount.objects.filter(provider=TWILIO).exists()
    check_public_url(report, uses_twilio)
    check_secrets(report)
    if not ready:
        return
    check_businesses(report)
    for account in ProviderAccount.objects.filter(provider=TWILIO).select_related("business").order_by("pk"):
        check_account(report, account)
    check_encryption(report)
    for line in Line.objects.select_related("business", "account").order_by("business__slug", "number"):
        check_line(report, line)
    if online:
        check_twilio_online(report)


# --- settings ---------------------------------------------------------------


def check_public_url(report: Report, uses_twilio: bool) -> None:
    url = settings.PUBLIC_URL
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        report.error(
            f"TEXTBACK_PUBLIC_URL {url!r} is not an http(s) URL: "
            "set it to this server's public URL, such as https://textback.example.com"
        )
        return
    before = report.problems
    if parts.path.strip("/") or parts.query or parts.fragment:
        report.error(
            f"TEXTBACK_PUBLIC_URL {url} has a path, query or fragment: set it to {parts.scheme}://{parts.netloc} "
            "(textback serves its webhooks from the root, and Twilio signs the exact URL)"
        )
    check_reachable(report, url, uses_twilio)
    check_allowed_host(report, parts.hostname)
    if report.problems == before:
        report.ok(f"TEXTBACK_PUBLIC_URL is {url}")


def check_reachable(report: Report, url: str, uses_twilio: bool) -> None:
    if is_local(url):
        message = f"Twilio cannot reach {url}: set TEXTBACK_PUBLIC_URL to the public https URL of this server"
        if uses_twilio:
            report.error(message)
        else:
            report.warn(message + " (fine while you only use the sandbox carrier)")
    elif url.startswith("http://"):
        report.warn(
            f"TEXTBACK_PUBLIC_URL {url} is plain http: Twilio needs a publicly reachable URL and https is recommended "
            "(logins and callers' messages travel in the clear otherwise); put TLS in front and use https://"
        )


def check_allowed_host(report: Report, host: str) -> None:
    host = f"[{host}]" if ":" in host else host
    if not validate_host(host, settings.ALLOWED_HOSTS):
        report.error(
            f"the public URL's host {host} is not in ALLOWED_HOSTS ({', '.join(settings.ALLOWED_HOSTS)}), so every "
            "request to it is refused: add it to TEXTBACK_ALLOWED_HOSTS"
        )


def check_secrets(report: Report) -> None:
    if len(settings.SECRET_KEY) < 50:
        report.warn(
            f"TEXTBACK_SECRET_KEY is only {len(settings.SECRET_KEY)} characters: use at least 50 random characters, "
            "e.g. from python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    elif env("TEXTBACK_SECRET_KEY"):
        report.ok("TEXTBACK_SECRET_KEY is set")
    else:
        report.ok(f"secret key generated in {settings.DATA_DIR / 'secret-key'} (keep that file)")
    if settings.ENCRYPTION_KEYS:
        report.ok(f"TEXTBACK_ENCRYPTION_KEY is set ({plural(len(settings.ENCRYPTION_KEYS), 'key')})")
    else:
        report.ok(
            "provider credentials and two-factor secrets are encrypted with a key derived from the secret key (keep it)"
        )
    if settings.DEBUG and not is_local(settings.PUBLIC_URL):
        report.warn("TEXTBACK_DEBUG is on for a public server: error pages would show code and settings; turn it off")


def unapplied_migrations() -> list[str]:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _ in plan]


def check_database(report: Report) -> bool:
    """True when the database is reachable and fully migrated, so its contents can be checked."""
    where = f"{connection.vendor} database {connection.settings_dict.get('NAME')}"
    try:
        connection.ensure_connection()
        pending = unapplied_migrations()
    except DatabaseError as exc:
        report.error(
            f"cannot use the {where} ({exc}): check TEXTBACK_DATABASE_URL and that the database server is running"
        )
        return False
    if pending:
        missing = plural(len(pending), "migration")
        report.error(f"{missing} not applied to the {where} (first {pending[0]}): run `textback migrate`")
        return False
    report.ok(f"{where} is reachable and migrated")
    return True


# --- businesses, accounts, lines --------------------------------------------


def check_businesses(report: Report) -> None:
    businesses = list(Business.objects.order_by("slug").prefetch_related("lines__account", "memberships"))
    if not businesses:
        report.warn(
            "there are no businesses yet: create one with `textback business create --name NAME`, or run `textback demo`"
        )
    for business in businesses:
        check_business(report, business)


def check_business(report: Report, business: Business) -> None:
    slug, before = business.slug, report.problems
    lines = list(business.lines.all())
    if not lines:
        report.warn(
            f"business {slug} has no lines: add one with "
            f"`textback line add --business {slug} --account ID --number NUMBER`"
        )
    if not business.memberships.all():
        report.warn(
            f"business {slug} has no members, so nobody can use its inbox: "
            f"`textback user add --business {slug} --email YOU@EXAMPLE.COM --role owner`"
        )
    if not business.help_contact.strip():
        report.warn(
            f"business {slug} has no help contact, so HELP replies only give the line's number: "
            f"`textback business set {slug} --help-contact 'call (512) 555-0100 or visit example.com'`"
        )
    if lines and all(line.account.provider == SANDBOX for line in lines):
        report.info(
            f"business {slug} has only sandbox lines: fine for the demo; "
            "real calls need `textback account add --provider twilio`"
        )
    if report.problems == before:
        report.ok(f"business {slug}: {plural(len(lines), 'line')}")


def check_account(report: Report, account: ProviderAccount) -> None:
    where, before = f"Twilio account {account.pk} ({account.business.slug})", report.problems
    unreadable = [column for column in credentials.SECRETS if credentials.state(account, column) == "unreadable"]
    for column in unreadable:
        report.error(str(credentials.UnreadableCredential(account, column)))
    token_problem = None if "auth_token_encrypted" in unreadable else ids.token_problem(account.auth_token)
    for problem, fix in ((ids.stored_sid_problem(account.account_sid), "--sid AC…"), (token_problem, "--token-stdin")):
        if problem:
            report.error(f"{where}: {problem}; fix it with `textback account set {account.pk} {fix}`")
    if report.problems == before:
        key = ", webhook key set" if account.webhook_key_encrypted else ""
        report.ok(f"{where}: Account SID {account.account_sid}, token set{key}")


def check_encryption(report: Report) -> None:
    """Secrets still under an older key work, but the older key cannot be dropped until they are moved.
    (An unreadable provider secret is reported with its account; an unreadable two-factor secret here.)"""
    found = encrypted.audit()
    for problem in found[encrypted.TWO_FACTOR].unreadable:
        report.error(str(problem))
    stale = {kind: len(audit.stale) for kind, audit in found.items() if audit.stale}
    total = sum(audit.total for audit in found.values())
    if stale:
        count = sum(stale.values())
        kinds = ", ".join(plural(number, kind) for kind, number in stale.items())
        report.warn(
            f"{plural(count, 'stored secret')} ({kinds}) {'is' if count == 1 else 'are'} not encrypted with the first "
            "key of TEXTBACK_ENCRYPTION_KEY yet: run `textback account reencrypt` (then older keys can be removed)"
        )
    elif total and not encrypted.unreadable(found):
        report.ok(f"{plural(total, 'stored secret')}, all encrypted with the first key")


def check_line(report: Report, line: Line) -> None:
    where, before = f"line {line.number} ({line.business.slug})", report.problems
    for problem in line_problems(line):
        report.error(f"{where}: {problem}")
    if not line.textback_enabled:
        report.info(f"{where}: text-back is off (`textback line set {line.number} --textback` turns it on)")
    if report.problems == before:
        report.ok(f"{where}: {line.call_mode} on {line.account.provider} account {line.account.pk}")


def line_problems(line: Line) -> list[str]:
    """What is wrong with a line, each with the command that fixes it."""
    fix = f"`textback line set {line.number}"
    problems = []
    if not phone.is_e164(line.number):
        problems.append(f"{line.number!r} is not an E.164 number such as +15125550147; add the line again in that form")
    if line.account.business_id != line.business_id:
        problems.append(f"its provider account {line.account.pk} belongs to another business: {fix} --account ID`")
    if line.call_mode == Line.FORWARD_SCREEN and not line.forward_to:
        problems.append(
            f"forward_screen rings staff phones but none are set: {fix} --forward-to +15125550199` "
            "(or --mode carrier_forward)"
        )
    for number in line.forward_to or []:
        if not isinstance(number, str) or not phone.is_e164(number):
            problems.append(f"forward-to number {number!r} is not an E.164 number: {fix} --forward-to +15125550199`")
        elif number == line.number:
            problems.append(f"it forwards to its own number, so calls would loop back: {fix} --forward-to STAFF_PHONE`")
    problems += template_problems(line, fix)
    if line.account.provider == TWILIO and not line.account.auth_token_encrypted:
        pk = line.account.pk
        problems.append(f"its Twilio account {pk} has no auth token: `textback account set {pk} --token-stdin`")
    return problems


def template_problems(line: Line, fix: str) -> list[str]:
    problems = []
    templates = [("text-back template", "--template", line.textback_template)]
    if line.voicemail_template.strip():
        templates.append(("voicemail template", "--voicemail-template", line.voicemail_template))
    for name, flag, template in templates:
        try:
            check_template(template)
        except TemplateError as exc:
            problems.append(f"the {name}: {exc}: {fix} {flag} '…'`")
    return problems


# --- asking Twilio ------------------------------------------------------------


def check_twilio_online(report: Report) -> None:
    accounts = ProviderAccount.objects.filter(provider=TWILIO).select_related("business").order_by("pk")
    if not accounts:
        report.info("--online: there are no Twilio accounts to ask about")
    for account in accounts:
        unreadable = credentials.state(account, "auth_token_encrypted") == "unreadable"
        if unreadable or ids.stored_sid_problem(account.account_sid) or ids.token_problem(account.auth_token):
            report.info(f"--online: skipped Twilio account {account.pk} until its SID and token are fixed")
            continue
        check_account_online(report, account)


def check_account_online(report: Report, account: ProviderAccount) -> None:
    where = f"Twilio account {account.pk} ({account.business.slug})"
    client = TwilioClient.for_account(account)
    try:
        resource = client.fetch_account()
    except ProviderError as exc:
        report.error(f"{where}: {numbers.failure(exc, account)}")
        return
    before = report.problems
    for level, problem in account_problems(account, resource):
        getattr(report, level)(f"{where}: {problem}")
    if report.problems == before:
        report.ok(f"{where}: Twilio accepts its credentials")
    for line in account.lines.select_related("business").order_by("number"):
        try:
            check_number_online(report, client, line)
        except ProviderError as exc:
            report.error(f"line {line.number} ({line.business.slug}): {numbers.failure(exc, account)}")


def account_problems(account: ProviderAccount, resource: dict) -> list[tuple[str, str]]:
    """(report level, finding) about the Account resource: closed or suspended, a trial, a sub-account."""
    found = []
    status, owner = resource.get("status") or "active", resource.get("owner_account_sid") or account.account_sid
    if status != "active":
        found.append(
            ("error", f"Twilio says the account is {status}, so it neither sends nor receives: see console.twilio.com")
        )
    if resource.get("type") == "Trial":
        found.append(
            (
                "warn",
                "it is a trial account: Twilio delivers its texts only to verified numbers and starts each with "
                '"Sent from your Twilio trial account"; upgrade it in the Twilio console',
            )
        )
    if owner != account.account_sid and not signed_webhook_seen(account):
        found.append(
            (
                "warn",
                f"{account.account_sid} is a sub-account of {owner}: Twilio signs its numbers' webhooks with the "
                "sub-account's own auth token, so make sure the stored token is the sub-account's, not the parent's "
                "(switch to the sub-account in the Twilio console to see it); this goes away once textback has "
                "accepted a signed webhook from it",
            )
        )
    return found


def signed_webhook_seen(account: ProviderAccount) -> bool:
    """True when textback has accepted a webhook signed for this account (calls and incoming texts need one)."""
    return (
        Call.objects.filter(line__account=account, provider=TWILIO).exists()
        or Message.objects.filter(line__account=account, provider=TWILIO, direction=Message.IN).exists()
    )


def check_number_online(report: Report, client: TwilioClient, line: Line) -> None:
    where = f"line {line.number} ({line.business.slug})"
    resource = client.find_number(line.number)
    if resource is None:
        report.error(
            f"{where}: the number is not on Twilio account {line.account.account_sid}: buy or port it there, "
            f"or attach the line to the account that has it (`textback line set {line.number} --account ID`)"
        )
        return
    before = report.problems
    app_sid = resource.get(numbers.VOICE_APP.field)
    app = client.fetch_application(app_sid) if app_sid and line.call_mode == Line.STATUS_ONLY else None
    problems = numbers.override_problems(resource, line, app)
    problems += numbers.hook_problems(resource, line.call_mode, skip=numbers.hidden(resource, line.call_mode))
    for problem in problems:
        report.error(f"{where}: {problem}")
    stray = numbers.stray_voice_url(resource, line.call_mode)
    if stray:
        report.warn(f"{where}: {stray}")
    if report.problems == before:
        report.ok(f"{where}: on Twilio, and its webhooks point here")
        check_inbound_online(report, client, line, where)  # what the number's own settings cannot show


def check_inbound_online(report: Report, client: TwilioClient, line: Line, where: str) -> None:
    """Texts Twilio received for the number that never reached textback (a Messaging Service's routing)."""
    received = client.inbound_messages(line.number)
    recorded = set(
        Message.objects.filter(
            provider=TWILIO, direction=Message.IN, provider_message_id__in=[m.get("sid") for m in received]
        ).values_list("provider_message_id", flat=True)
    )
    verdict = numbers.inbound_verdict(received, recorded, since=line.created_at, now=timezone.now())
    getattr(report, verdict.level)(f"{where}: {verdict.text}")
