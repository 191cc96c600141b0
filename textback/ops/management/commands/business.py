"""textback business create|list|set|secret|followups|closures: the businesses (tenants), their text-back rules,
escalation, follow-ups and closures."""

import argparse
from datetime import date, time, timedelta

from django.db import transaction
from django.db.models import Count
from django.utils.text import slugify

from textback.accounts import settings_actions
from textback.accounts.models import Business, new_signing_secret
from textback.calls.outcomes import OUTCOMES
from textback.lib import hours as lib_hours
from textback.ops import cli
from textback.ops.management.commands import consent
from textback.ops.management.commands.line import find_line
from textback.providers.models import Line
from textback.rules import actions as rules
from textback.rules import cli as rules_cli
from textback.rules import closures, followups, retention
from textback.rules.models import Closure

FLAGS = {
    "name": "--name",
    "slug": "--slug",
    "time_zone": "--time-zone",
    "country": "--country",
    "help_contact": "--help-contact",
    "textback_outcomes": "--outcomes",
    "allowed_countries": "--countries",
    "cooldown_hours": "--cooldown-hours",
    "staleness_minutes": "--staleness-minutes",
    "escalate_after_minutes": "--escalate-after-minutes",
    "texts_per_hour": "--texts-per-hour",
    "texts_per_day": "--texts-per-day",
    "public_holidays": "--holidays",
    "holiday_country": "--holiday-country",
    "holiday_subdivision": "--holiday-region",
}
CAP_MAX = 100_000
ESCALATION_MAX = 24 * 60


def _window(text: str) -> tuple[time, time]:
    try:
        start, end = (time.fromisoformat(part.strip()) for part in text.split("-"))
    except ValueError:
        raise cli.fail(f"--window: give it as HH:MM-HH:MM, e.g. 09:00-20:00, not {text!r}") from None
    return start, end


def _step(text: str) -> followups.Step:
    minutes, _, rest = text.partition(":")
    valid, _, template = rest.partition(":")
    if not (minutes.strip().isdigit() and valid.strip().isdigit() and template.strip()):
        raise cli.fail(f"--step: give it as MINUTES:VALID_MINUTES:TEXT, e.g. '60:240:Still need a hand?', not {text!r}")
    return followups.Step(timedelta(minutes=int(minutes)), template.strip(), timedelta(minutes=int(valid)))


def _line_of(business, raw: str) -> Line:
    number = cli.number(raw, business.country, "--line")
    found = Line.objects.filter(business=business, number=number).first()
    if found is None:
        raise cli.fail(f"--line: {number} is not a line of {business.slug}; `textback line list` shows them")
    return found


def _outcomes(text: str) -> str:
    return ",".join(item.lower() for item in cli.split(text))


def _countries(text: str) -> str:
    return ",".join(cli.country(code, "--countries") for code in cli.split(text))


def _escalation_minutes(minutes: int) -> int:
    if not 0 <= minutes <= ESCALATION_MAX:
        raise cli.fail(f"--escalate-after-minutes: give whole minutes from 1 to {ESCALATION_MAX}, or 0 for never")
    return minutes


def _set_retention(business, text: str | None) -> None:
    """--retention-days (not a Business field: rules.Retention), read as `textback consent retention` reads it."""
    if text is not None:
        retention.do_set_retention(business, consent.read_days(text, "--retention-days"))


def _cap(flag: str):
    def read(count: int) -> int:
        if not 0 <= count <= CAP_MAX:
            raise cli.fail(f"{flag}: give a whole number of texts from 1 to {CAP_MAX}, or 0 for no cap")
        return count

    return read


# option → (model field, how to read it)
READERS = {
    "name": ("name", str.strip),
    "time_zone": ("time_zone", cli.time_zone),
    "country": ("country", cli.country),
    "help_contact": ("help_contact", str.strip),
    "outcomes": ("textback_outcomes", _outcomes),
    "countries": ("allowed_countries", _countries),
    "cooldown_hours": ("cooldown_hours", int),
    "staleness_minutes": ("staleness_minutes", int),
    "escalate_after_minutes": ("escalate_after_minutes", _escalation_minutes),
    "texts_per_hour": ("texts_per_hour", _cap("--texts-per-hour")),
    "texts_per_day": ("texts_per_day", _cap("--texts-per-day")),
    "holidays": ("public_holidays", bool),
    "holiday_country": ("holiday_country", lambda code: code.strip().upper()),
    "holiday_region": ("holiday_subdivision", lambda code: code.strip().upper()),
}


def changes(options: dict) -> dict[str, object]:
    """The model fields the given options set."""
    return {field: read(options[opt]) for opt, (field, read) in READERS.items() if options.get(opt) is not None}


def add_settings_arguments(parser, *, name_required: bool) -> None:
    parser.add_argument("--name", required=name_required, help="the name callers see in texts")
    parser.add_argument("--time-zone", metavar="TZ", help="e.g. America/Chicago (the default)")
    parser.add_argument("--country", help="two-letter code; numbers typed without +country code are read as this")
    parser.add_argument("--help-contact", metavar="TEXT", help="how a caller reaches you, sent in HELP replies")
    parser.add_argument(
        "--outcomes", metavar="LIST", help=f"call outcomes that get a text-back, comma-separated: {', '.join(OUTCOMES)}"
    )
    parser.add_argument(
        "--countries", metavar="LIST", help="callers from outside these countries are not texted (US,CA)"
    )
    parser.add_argument(
        "--cooldown-hours", type=int, metavar="N", help="do not text a caller automatically twice in N hours"
    )
    parser.add_argument(
        "--staleness-minutes", type=int, metavar="N", help="a text-back N minutes late is dropped, not sent"
    )
    parser.add_argument(
        "--escalate-after-minutes",
        type=int,
        metavar="N",
        help="alert managers and owners when a caller has waited N minutes of opening time for an answer "
        "(default 5); 0: never",
    )
    parser.add_argument(
        "--retention-days",
        metavar="N",
        help="erase the words of texts and recording links older than N days, nightly at 3 AM local time; "
        "'forever' (the default) keeps them. Rows and counts always stay.",
    )
    rules_cli.add_arguments(parser)

    add_cap_arguments(parser)
    parser.add_argument(
        "--holidays", action=argparse.BooleanOptionalAction,
        help="closed on public holidays (default on; applies once opening hours are set)",
    )  # fmt: skip
    parser.add_argument(
        "--holiday-country", metavar="CC", help="whose public holidays: a two-letter code ('' = the business's country)"
    )
    parser.add_argument("--holiday-region", metavar="CODE", help="a state or region for its own holidays: TX, ON, SCT")
    hours = parser.add_mutually_exclusive_group()
    hours.add_argument(
        "--hours", metavar="SPANS", help="weekly opening hours in the business's time zone, e.g. "
        "'Mon-Fri 08:00-17:00; Sat 09:00-12:00' (default: none set, always open)",
    )  # fmt: skip
    hours.add_argument("--always-open", action="store_true", help="remove the opening hours: always open")


def _opening_hours(options: dict) -> list | None:
    """The weekly spans --hours gives ([] for --always-open), or None when neither was given."""
    if options.get("always_open"):
        return []
    if options.get("hours") is None:
        return None
    try:
        spans = lib_hours.parse_spans(options["hours"])
    except lib_hours.SpanSyntaxError as exc:
        raise cli.fail(f"--hours: {exc}") from None
    if not spans or (problem := settings_actions.opening_hours_problem(spans)):
        raise cli.fail(f"--hours: {problem if spans else 'give at least one span, or --always-open'}")
    return spans


def _hours_words(spans: list) -> str:
    return "; ".join(lib_hours.format_spans(spans).splitlines()) if spans else "none, always open"


def _check_holidays(business, fields: dict) -> None:
    if "holiday_country" not in fields and "holiday_subdivision" not in fields:
        return
    country = fields.get("holiday_country", business.holiday_country)
    region = fields.get("holiday_subdivision", business.holiday_subdivision)
    try:
        closures.check_holidays(business, country, region)
    except closures.Invalid as exc:
        flag = "--holiday-region" if exc.field == "holiday_subdivision" else "--holiday-country"
        raise cli.fail(f"{flag}: {exc}") from None


def add_cap_arguments(parser) -> None:
    parser.add_argument(
        "--texts-per-hour",
        type=int,
        metavar="N",
        help="at most N automatic texts in a clock hour (default 200); past it missed calls are not texted and "
        "the owners get one alert; 0: no cap",
    )
    parser.add_argument(
        "--texts-per-day",
        type=int,
        metavar="N",
        help="at most N automatic texts in a day, from the business's midnight (default 1000); 0: no cap",
    )


class Command(cli.VerbCommand):
    help = "Create, list and configure businesses (tenants)."
    verbs = {
        "create": "Create a business and print its slug.",
        "list": "List the businesses.",
        "set": "Change a business's settings.",
        "secret": "Print the HMAC secret that signs calls posted to /hooks/generic/call.",
        "followups": "Show or change the follow-ups (off by default): --on/--off, --window, --step.",
        "closures": "Days a business (or one line) is closed besides its weekly hours: add, list or remove them.",
        "costs": "Show or change what textback costs the business and its trade (the ROI and its benchmarks).",
    }

    def add_costs_arguments(self, parser):
        from textback.reports.models import Costs

        parser.add_argument("slug")
        parser.add_argument("--trade", choices=[key for key, _ in Costs.TRADES], help="the benchmarks' row")
        parser.add_argument("--software-monthly", metavar="DOLLARS", help="what textback costs a month (hosting)")
        parser.add_argument("--price-per-segment", metavar="DOLLARS", help="the provider's price per SMS segment")
        parser.add_argument("--number-monthly", metavar="DOLLARS", help="each phone number's monthly price")
        parser.add_argument("--per-call", metavar="DOLLARS", help="what each inbound call costs, if anything")
        parser.add_argument("--average-ticket", metavar="DOLLARS", help="your average job's value ('' to clear)")

    def do_costs(self, *, slug, **options):
        from textback.reports.costs import FIELDS, costs_of, do_set_costs
        from textback.reports.forms import CostsForm

        business = cli.business(slug)
        costs = costs_of(business)
        given = {name: options[name] for name in FIELDS if options.get(name) is not None}
        if given:
            current = {name: "" if getattr(costs, name) is None else getattr(costs, name) for name in FIELDS}
            form = CostsForm({**current, **given}, instance=costs_of(business))
            if not form.is_valid():
                name, errors = next(iter(form.errors.items()))
                raise cli.fail(f"--{name.replace('_', '-')}: {errors[0]}")
            with transaction.atomic():
                do_set_costs(business, **{name: form.cleaned_data[name] for name in FIELDS})
            costs = costs_of(business)
        for name in FIELDS:
            value = getattr(costs, name)
            self.stdout.write(f"{name.replace('_', ' ')}: {'' if value is None else value}")

    def add_closures_arguments(self, parser):
        parser.add_argument("what", choices=["add", "list", "remove"], help="add, list or remove closures")
        parser.add_argument("slug")
        parser.add_argument("--first", metavar="YYYY-MM-DD", help="add: the first day closed")
        parser.add_argument("--last", metavar="YYYY-MM-DD", help="add: the last day closed (default: --first)")
        parser.add_argument("--label", default="", help="add: why, e.g. 'Staff training' (callers may read it)")
        parser.add_argument("--line", metavar="NUMBER", help="add: only this line is closed (default: every line)")
        parser.add_argument("--id", type=int, help="remove: the closure's id, as `closures list` shows it")

    def do_closures(self, *, what, slug, **options):
        business = cli.business(slug)
        if what == "list":
            rows = Closure.objects.filter(business=business).select_related("line").order_by("first_day")
            cli.table(self.stdout, ["ID", "FIRST", "LAST", "LINE", "LABEL"],
                      [(c.pk, c.first_day, c.last_day, c.line.number if c.line else "all", c.label) for c in rows])  # fmt: skip
        elif what == "add":
            self._add_closure(business, **options)
        else:
            closure = Closure.objects.filter(business=business, pk=options["id"]).first() if options["id"] else None
            if closure is None:
                raise cli.fail("--id: give the id of one of this business's closures; `closures list` shows them")
            with transaction.atomic():
                closures.do_remove_closure(closure)
            self.stdout.write(f"Removed the closure {closure}.")

    def _add_closure(self, business, *, first, last, label, line, **options):
        line_row = None
        if line:
            line_row = find_line(line)
            if line_row.business_id != business.pk:
                raise cli.fail(f"--line: {line_row.number} is not a line of {business.slug}")
        try:
            first_day = date.fromisoformat(first or "")
            last_day = date.fromisoformat(last) if last else None
            first_day, last_day = closures.check_closure(business, first_day, last_day, line_row)
        except ValueError as exc:
            raise cli.fail(f"--first/--last: {exc}; give dates as YYYY-MM-DD") from None
        with transaction.atomic():
            closure = closures.do_add_closure(business, first_day, last_day, label.strip(), line_row)
        self.stdout.write(f"Added closure {closure.pk}: {closure}.")

    def add_create_arguments(self, parser):
        add_settings_arguments(parser, name_required=True)
        parser.add_argument("--slug", help="the short name used in URLs and commands (default: from --name)")

    def add_list_arguments(self, parser):
        pass

    def add_set_arguments(self, parser):
        parser.add_argument("slug")
        add_settings_arguments(parser, name_required=False)

    def add_secret_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument(
            "--rotate", action="store_true", help="make a new secret; the old one stops working at once"
        )

    def add_followups_arguments(self, parser):
        parser.add_argument("slug")
        switch = parser.add_mutually_exclusive_group()
        switch.add_argument("--on", action="store_true", help="send follow-ups (only with your callers' consent)")
        switch.add_argument("--off", action="store_true", help="send none (the default)")
        parser.add_argument(
            "--window", metavar="HH:MM-HH:MM", help="no follow-up outside this local window (08:00-21:00)"
        )
        steps = parser.add_mutually_exclusive_group()
        steps.add_argument(
            "--step", action="append", metavar="MINUTES:VALID_MINUTES:TEXT",
            help="a follow-up MINUTES after the text-back, skipped if quiet hours hold it VALID_MINUTES past that; "
            "repeat for up to 3 (replaces the cadence)",
        )  # fmt: skip
        steps.add_argument("--default-steps", action="store_true", help="back to +1 hour and +24 hours")
        parser.add_argument("--line", metavar="NUMBER", help="change that line's own follow-ups, not the business's")
        parser.add_argument(
            "--follow-business", action="store_true", help="with --line: drop its own, follow the business's"
        )

    def do_followups(self, *, slug, on, off, window, step, default_steps, line, follow_business, **options):
        business = cli.business(slug)
        line = _line_of(business, line) if line else None
        if follow_business:
            if line is None:
                raise cli.fail("--follow-business needs --line: which line should follow the business's follow-ups")
            with transaction.atomic():
                rules.do_follow_the_business(business, line)
        plan = (rules.own_plan(business, line) if line else None) or rules.plan_for(business)
        if on or off or window or step or default_steps:
            start, end = _window(window) if window else (plan.window_start, plan.window_end)
            steps = tuple(_step(text) for text in step) if step else followups.steps_from(plan.steps)
            if default_steps:
                steps = followups.DEFAULT_STEPS
            enabled = on or (plan.enabled and not off)
            try:
                with transaction.atomic():
                    plan = rules.do_save_plan(business, enabled=enabled, steps=steps, start=start, end=end, line=line)
            except rules.Refused as exc:
                raise cli.fail(str(exc)) from None
        whose = f"{business.slug}, line {line.number}" if line else business.slug
        if line and not plan.line_id:
            whose += " (follows the business)"
        self.stdout.write(f"Follow-ups for {whose}: {'on' if plan.enabled else 'off'}, "
                          f"{plan.window_start:%H:%M}-{plan.window_end:%H:%M} local.")  # fmt: skip
        for n, each in enumerate(followups.steps_from(plan.steps), 1):
            minutes = each.delay // timedelta(minutes=1)
            valid = each.valid_for // timedelta(minutes=1)
            self.stdout.write(f"  {n}. +{minutes} min (up to {valid} min late): {each.template}")

    def do_create(self, *, slug, **options):
        slug = slug or slugify(options["name"])[:60]
        if not slug:
            raise cli.fail("--name gives no usable slug (letters or digits); give one with --slug")
        if Business.objects.filter(slug=slug).exists():
            raise cli.fail(f"a business with the slug {slug!r} exists already; choose another with --slug")
        business = Business(slug=slug, **changes(options))
        _check_holidays(business, changes(options))
        spans = _opening_hours(options)
        with transaction.atomic():
            cli.save(business, FLAGS)
            _set_retention(business, options.get("retention_days"))
            rules_cli.apply(business, options)
            if spans:
                settings_actions.do_set_opening_hours(business, spans)
        self.stdout.write(business.slug)

    def do_list(self, **options):
        rows = Business.objects.annotate(
            line_count=Count("lines", distinct=True), member_count=Count("memberships", distinct=True)
        ).order_by("slug")
        cli.table(
            self.stdout,
            ["SLUG", "NAME", "TIME ZONE", "COUNTRY", "LINES", "MEMBERS", "TEXTS/HOUR", "TEXTS/DAY"],
            [
                (
                    b.slug,
                    b.name,
                    b.time_zone,
                    b.country,
                    b.line_count,
                    b.member_count,
                    b.texts_per_hour or "no cap",
                    b.texts_per_day or "no cap",
                )
                for b in rows
            ],  # fmt: skip
        )

    def do_set(self, *, slug, **options):
        business = cli.business(slug)
        fields = changes(options)
        _check_holidays(business, fields)
        spans = _opening_hours(options)
        retention_days = options.get("retention_days")
        if not fields and spans is None and retention_days is None and not rules_cli.given(options):
            raise cli.fail("nothing to change: give at least one option, such as --help-contact or --time-zone")
        for field, value in fields.items():
            setattr(business, field, value)
        with transaction.atomic():
            if fields:
                cli.save(business, FLAGS)
            if spans is not None:
                settings_actions.do_set_opening_hours(business, spans)
            _set_retention(business, retention_days)
            applied = rules_cli.apply(business, options)
        if spans is not None:
            self.stdout.write(f"Set the opening hours of {business.slug}: {_hours_words(spans)}.")
        changed = [*(FLAGS[f] for f in fields), *(["--retention-days"] if retention_days is not None else []), *applied]
        if changed:
            self.stdout.write(f"Updated {business.slug}: {', '.join(changed)}.")
        for cap in ("texts_per_hour", "texts_per_day"):
            if fields.get(cap) == 0:
                self.stdout.write(f"{FLAGS[cap]} 0: no cap; a flood of calls is texted back without limit.")
        if fields.get("escalate_after_minutes") == 0:
            self.stdout.write("Escalation is off: nobody is alerted when a caller waits too long for an answer.")

    def do_secret(self, *, slug, rotate, **options):
        business = cli.business(slug)
        if rotate:
            business.signing_secret = new_signing_secret()
            business.save(update_fields=["signing_secret"])
            self.stderr.write("A new secret is in use; calls signed with the old one are now refused.")
        self.stdout.write(business.signing_secret)
