"""textback line add|set|list|show: a business's phone numbers, how calls to them are handled, what the text says."""

import argparse
from datetime import time

from django.core.management.base import CommandError
from django.db import transaction

from textback.accounts.models import Business
from textback.accounts.settings_actions import opening_hours_problem
from textback.lib import hours as lib_hours
from textback.lib import phone
from textback.lib.urls import is_local
from textback.messaging.templating import FIELDS
from textback.ops import cli
from textback.providers.base import ProviderError
from textback.providers.models import MAX_RING, MIN_RING, TWILIO, Line, ProviderAccount
from textback.providers.twilio import numbers
from textback.providers.twilio.client import TwilioClient

MODES = [mode for mode, _ in Line.CALL_MODES]
KEYWORD_REPLIES = [choice for choice, _ in Line.KEYWORD_REPLIES]
FLAGS = {
    "number": "--number",
    "account": "--account",
    "label": "--label",
    "call_mode": "--mode",
    "forward_to": "--forward-to",
    "ring_seconds": "--ring-seconds",
    "staff_name": "--staff-name",
    "delay_seconds": "--delay",
    "textback_template": "--template",
    "voicemail_template": "--voicemail-template",
    "record_voicemail": "--voicemail",
    "greeting": "--greeting",
    "keyword_replies": "--keyword-replies",
    "textback_enabled": "--textback",
    "after_hours_template": "--after-hours-template",
    "holiday_template": "--holiday-template",
    "repeat_caller_template": "--repeat-caller-template",
    "emergency_template": "--emergency-template",
    "emergency_triage": "--emergency-triage",
    "own_hours": "--own-hours",
    "hours": "--own-hours",
}
# option → model field, for options stored as typed
PLAIN = {
    "label": "label",
    "mode": "call_mode",
    "ring_seconds": "ring_seconds",
    "staff_name": "staff_name",
    "delay": "delay_seconds",
    "template": "textback_template",
    "voicemail_template": "voicemail_template",
    "voicemail": "record_voicemail",
    "greeting": "greeting",
    "keyword_replies": "keyword_replies",
    "textback": "textback_enabled",
    "after_hours_template": "after_hours_template",
    "holiday_template": "holiday_template",
    "repeat_caller_template": "repeat_caller_template",
    "emergency_template": "emergency_template",
    "emergency_triage": "emergency_triage",
}


def add_line_arguments(parser, *, creating: bool) -> None:
    fields = ", ".join("{" + f + "}" for f in FIELDS)
    parser.add_argument(
        "--account", type=int, required=creating, metavar="ID", help="the provider account the number belongs to"
    )
    parser.add_argument("--label", help="location or purpose, e.g. 'Austin office'")
    parser.add_argument("--mode", choices=MODES, help="how calls are handled (default forward_screen)")
    parser.add_argument("--forward-to", metavar="N1,N2", help="staff phones rung at the same time (forward_screen)")
    parser.add_argument(
        "--ring-seconds", type=int, metavar="N", help=f"how long staff phones ring ({MIN_RING}-{MAX_RING})"
    )
    parser.add_argument("--staff-name", metavar="NAME", help="signs the text: 'this is NAME at …'")
    parser.add_argument("--delay", type=int, metavar="SECONDS", help="wait this long after the call before texting")
    parser.add_argument("--template", metavar="TEXT", help=f"the text-back; fields: {fields}")
    parser.add_argument("--voicemail-template", metavar="TEXT", help="the text after a voicemail ('' = use --template)")
    parser.add_argument(
        "--voicemail", action=argparse.BooleanOptionalAction, help="record a voicemail if nobody answers"
    )
    parser.add_argument("--greeting", metavar="TEXT", help="what the caller hears before the voicemail tone")
    parser.add_argument("--keyword-replies", choices=KEYWORD_REPLIES, help="who answers STOP/START/HELP")
    parser.add_argument("--textback", action=argparse.BooleanOptionalAction, help="text missed callers from this line")
    parser.add_argument(
        "--after-hours-template", metavar="TEXT", help="the text while closed ('' = use --template); default names "
        "the business and says when it opens with {next_open}",
    )  # fmt: skip
    parser.add_argument(
        "--holiday-template", metavar="TEXT", help="the text on a public holiday or closure ('' = the after-hours one)"
    )
    parser.add_argument(
        "--repeat-caller-template", metavar="TEXT", help="the text in opening hours to a caller called or texted "
        "before ('' = use --template)",
    )  # fmt: skip
    parser.add_argument(
        "--emergency-triage", action=argparse.BooleanOptionalAction,
        help="after hours, send --emergency-template instead of every other text (default off)",
    )  # fmt: skip
    parser.add_argument(
        "--emergency-template", metavar="TEXT", help="the emergency triage text ('' = the after-hours one)"
    )
    hours = parser.add_mutually_exclusive_group()
    hours.add_argument(
        "--own-hours", metavar="SPANS", help="this line's own weekly hours, e.g. 'Mon-Fri 08:00-17:00; Sat 09:00-12:00' "
        "(default: the business's hours)",
    )  # fmt: skip
    hours.add_argument("--business-hours", action="store_true", help="follow the business's hours again")
    parser.add_argument(
        "--configure-provider",
        action="store_true",
        help="set the number's webhooks at Twilio (voice, call status, SMS: what the call mode needs)",
    )
    parser.add_argument(
        "--take-over",
        action="store_true",
        help="with --configure-provider: also remove a TwiML App or SIP trunk that would keep Twilio from using them",
    )


def find_account(business: Business, account_id: int) -> ProviderAccount:
    account = ProviderAccount.objects.filter(pk=account_id).select_related("business").first()
    if account is None:
        raise cli.fail(f"--account: there is no provider account {account_id}; `textback account list` shows them")
    if account.business_id != business.pk:
        raise cli.fail(
            f"--account: account {account_id} belongs to {account.business.slug}, not {business.slug}; "
            f"`textback account list --business {business.slug}` shows this business's accounts"
        )
    return account


def find_line(raw: str) -> Line:
    """The line with a number typed in any format, read in the country of any business that has lines."""
    countries = set(Business.objects.filter(lines__isnull=False).values_list("country", flat=True)) or {"US"}
    candidates = set()
    for country in countries:
        try:
            candidates.add(phone.to_e164(raw, country))
        except phone.InvalidNumber:
            pass
    lines = list(Line.objects.filter(number__in=candidates).select_related("business", "account"))
    if not lines:
        raise cli.fail(f"no line has the number {raw!r}; `textback line list` shows them")
    if len(lines) > 1:
        raise cli.fail(f"{raw!r} matches {len(lines)} lines; type the number with its country code, e.g. +15125550147")
    return lines[0]


def apply(line: Line, options: dict) -> list[str]:
    """Set the fields the options give; return the options that changed something."""
    changed = []
    for option, field in PLAIN.items():
        if options.get(option) is not None:
            setattr(line, field, options[option])
            changed.append(FLAGS[field])
    if options.get("forward_to") is not None:
        line.forward_to = cli.numbers(options["forward_to"], line.business.country, "--forward-to")
        changed.append("--forward-to")
    if options.get("own_hours") is not None:
        try:
            spans = lib_hours.parse_spans(options["own_hours"])
        except lib_hours.SpanSyntaxError as exc:
            raise cli.fail(f"--own-hours: {exc}") from None
        if not spans:
            raise cli.fail("--own-hours: give at least one span, e.g. 'Mon-Fri 08:00-17:00'; or --business-hours")
        if problem := opening_hours_problem(spans):
            raise cli.fail(f"--own-hours: {problem}")
        line.own_hours, line.hours = True, [[s.weekday, f"{s.opens:%H:%M}", f"{s.closes:%H:%M}"] for s in spans]
        changed.append("--own-hours")
    if options.get("business_hours"):
        line.own_hours = False
        changed.append("--business-hours")
    return changed


def refuse_taken(number: str) -> None:
    taken = Line.objects.filter(number=number).select_related("business").first()
    if taken:
        raise cli.fail(
            f"--number: {number} is a line of {taken.business.slug} already; "
            f"change it with `textback line set {number}`"
        )


NOT_SHOWN = {"account", "own_hours", "hours"}


def _own_hours(line: Line) -> str:
    if not line.own_hours:
        return "no (the business's hours)"
    spans = [lib_hours.Span(d, time.fromisoformat(a), time.fromisoformat(b)) for d, a, b in line.hours]
    return "; ".join(lib_hours.format_spans(spans).splitlines())


def shown(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return ",".join(value) if isinstance(value, list) else str(value)


def save(line: Line) -> None:
    """Line.clean refuses what would never work (a line ringing itself, …), here as in the admin."""
    with transaction.atomic():
        cli.save(line, FLAGS)


# --- --configure-provider -----------------------------------------------------
#
# Everything that can be known before changing anything is checked first (the
# number is on the account, the credentials work, no TwiML App or trunk is in
# the way); a refusal there writes nothing, here or at Twilio. Then the line is
# saved, and only then is Twilio changed: from that moment Twilio sends the
# number's calls here, so the line must exist. If that last request fails, the
# line stays saved and the message gives the command that retries.


def prepare_provider(line: Line, configure: bool, take_over: bool) -> numbers.Plan | None:
    """The planned Twilio update, read-only; None when not asked for. Refusals exit before anything is written."""
    if take_over and not configure:
        raise cli.fail("--take-over goes with --configure-provider")
    if not configure:
        return None
    problem = numbers.setup_problem(line)
    if problem:
        raise cli.fail(f"--configure-provider: {problem}")
    account = line.account
    try:
        return numbers.prepare(TwilioClient.for_account(account), line, take_over=take_over)
    except numbers.NotConfigured as exc:
        raise cli.fail(f"--configure-provider: {exc}") from None
    except ProviderError as exc:
        code = cli.USAGE if getattr(exc, "refused_credentials", False) else 1
        raise CommandError(
            f"--configure-provider: {numbers.failure(exc, account)}; nothing was changed", returncode=code
        ) from None


def configure_provider(out, line: Line, plan: numbers.Plan) -> None:
    """Send the update to Twilio for a saved line and say what changed; a failure names the retry command."""
    try:
        numbers.apply(TwilioClient.for_account(line.account), plan, line)
    except (numbers.NotConfigured, ProviderError) as exc:
        raise CommandError(
            f"Twilio was not configured: {numbers.failure(exc, line.account)}. The line is saved; retry with "
            f"`textback line set {line.number} --configure-provider`",
            returncode=1,
        ) from None
    for text in numbers.report(plan):
        out.write(text)


class Command(cli.VerbCommand):
    help = "Add, change and list phone lines: the numbers callers dial."
    verbs = {
        "add": "Attach a phone number to a business on one of its provider accounts.",
        "set": "Change a line's settings.",
        "list": "List lines.",
        "show": "Show every setting of a line and, for Twilio, the webhook URLs to set.",
    }

    def add_add_arguments(self, parser):
        parser.add_argument("--business", required=True, metavar="SLUG")
        parser.add_argument("--number", required=True, help="the number callers dial, in any common format")
        add_line_arguments(parser, creating=True)

    def add_set_arguments(self, parser):
        parser.add_argument("number", help="the line's number, in any common format")
        add_line_arguments(parser, creating=False)

    def add_list_arguments(self, parser):
        parser.add_argument("--business", metavar="SLUG", help="only this business's lines")

    def add_show_arguments(self, parser):
        parser.add_argument("number")

    def do_add(self, *, business, number, account, configure_provider, take_over, **options):
        owner = cli.business(business)
        line = Line(business=owner, account=find_account(owner, account))
        line.number = cli.number(number, owner.country, "--number")
        # Twilio answers STOP/START/HELP itself on long codes; a second answer from us would be blocked anyway.
        line.keyword_replies = Line.PROVIDER if line.account.provider == TWILIO else Line.OURS
        refuse_taken(line.number)
        apply(line, options)
        cli.validate(line, FLAGS)
        plan = prepare_provider(line, configure_provider, take_over)
        save(line)
        provider = f"{line.account.provider} account {line.account.pk}"
        self.stdout.write(f"Added line {line.number} to {owner.slug} ({provider}, {line.call_mode}).")
        self._set_up(line, plan)

    def do_set(self, *, number, account, configure_provider, take_over, **options):
        line = find_line(number)
        changed = apply(line, options)
        if account is not None:
            line.account = find_account(line.business, account)
            changed.append("--account")
        if not changed and not configure_provider:
            raise cli.fail(
                "nothing to change: give at least one option, such as --forward-to, --template or --configure-provider"
            )
        if changed:
            cli.validate(line, FLAGS)
        plan = prepare_provider(line, configure_provider, take_over)
        if changed:
            save(line)
            self.stdout.write(f"Updated line {line.number}: {', '.join(changed)}.")
        self._set_up(line, plan)

    def do_list(self, *, business, **options):
        lines = Line.objects.select_related("business", "account").order_by("business__slug", "number")
        if business:
            lines = lines.filter(business=cli.business(business))
        cli.table(
            self.stdout,
            ["NUMBER", "BUSINESS", "PROVIDER", "ACCOUNT", "MODE", "RINGS", "TEXTBACK", "LABEL"],
            [
                (
                    n.number,
                    n.business.slug,
                    n.account.provider,
                    n.account.pk,
                    n.call_mode,
                    ",".join(n.forward_to) or "-",
                    "on" if n.textback_enabled else "off",
                    n.label,
                )
                for n in lines
            ],
        )

    def do_show(self, *, number, **options):
        line = find_line(number)
        rows = [("business", line.business.slug), ("account", f"{line.account.pk} ({line.account.provider})")]
        rows += [(flag.lstrip("-"), getattr(line, field)) for field, flag in FLAGS.items() if field not in NOT_SHOWN]
        rows.append(("own-hours", _own_hours(line)))
        for name, value in rows:
            self.stdout.write(f"{name + ':':20} {shown(value)}")
        self._print_set_up(line)

    def _set_up(self, line: Line, plan: numbers.Plan | None) -> None:
        if plan is None:
            self._print_set_up(line)
        else:
            configure_provider(self.stdout, line, plan)

    def _print_set_up(self, line: Line) -> None:
        """What the user must do outside textback for calls to reach it."""
        if line.account.provider == TWILIO:
            self.stdout.write(f"In the Twilio console, open the number {line.number} and set (all HTTP POST):")
            for name, url in numbers.wanted(line.call_mode).items():
                self.stdout.write(f"  {numbers.HOOKS[name].label + ':':32} {url}")
            self.stdout.write(f"(or let textback set them: `textback line set {line.number} --configure-provider`)")
        if line.call_mode == Line.GENERIC_PBX:
            self.stdout.write(
                f"Post finished calls to {cli.hook_url('generic-call')}, signed with the secret "
                f"`textback business secret {line.business.slug}` prints."
            )
        if line.account.provider == TWILIO and is_local(numbers.hook_url("twilio:sms")):
            self.stderr.write(
                "Twilio cannot reach these URLs: set TEXTBACK_PUBLIC_URL to this server's public https URL first.",
                style_func=self.style.WARNING,
            )
