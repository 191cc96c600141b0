"""What the set-up verbs share: `textback business|account|line|user|exclude <verb> …`.

Every verb checks what was typed before it writes, writes in one transaction,
and turns a mistake into one message that says what to fix, exiting with
status 2 (the usual "you typed something wrong" status) — never a traceback.
"""

import functools
import getpass
import sys
import zoneinfo
from collections.abc import Iterable, Sequence
from pathlib import Path

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, OperationalError, ProgrammingError
from django.urls import reverse

from textback.accounts.models import Business
from textback.lib import phone

USAGE = 2  # exit status for input the user must fix


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def fail(message: str) -> CommandError:
    """The error to raise for input the user must fix: `raise cli.fail("…")`."""
    return CommandError(message, returncode=USAGE)


class VerbCommand(BaseCommand):
    """A noun with verbs: `textback <noun> <verb> …` runs self.do_<verb>(**options).

    Subclasses list their verbs in `verbs` (name → help) and define
    add_<verb>_arguments(parser) and do_<verb>(**options) for each.
    """

    verbs: dict[str, str] = {}
    stealth_options = ("stdin",)  # call_command(…, stdin=StringIO(…)) in tests

    def add_arguments(self, parser):
        subparsers = parser.add_subparsers(dest="action", required=True, metavar="{" + ",".join(self.verbs) + "}")
        for verb, help_text in self.verbs.items():
            # No abbreviated options: a script's --tok must not start meaning something else later.
            subparser = subparsers.add_parser(verb, help=help_text, description=help_text, allow_abbrev=False)
            getattr(self, f"add_{verb.replace('-', '_')}_arguments")(subparser)

    def handle(self, *args, action, **options):
        self.stdin = options.pop("stdin", None) or sys.stdin
        try:
            getattr(self, f"do_{action.replace('-', '_')}")(**options)
        except IntegrityError as exc:  # e.g. the same record written by another process just now
            raise CommandError(f"nothing was written: it conflicts with what is in the database ({exc})") from None
        except (OperationalError, ProgrammingError) as exc:
            raise CommandError(
                f"the database is not ready ({exc}): run `textback migrate`, and `textback check` if that does not help"
            ) from None


# --- reading what was typed -------------------------------------------------


def split(text: str) -> list[str]:
    """Comma-separated items, trimmed, empties dropped, duplicates dropped, order kept."""
    return list(dict.fromkeys(item.strip() for item in text.split(",") if item.strip()))


def business(slug: str) -> Business:
    found = Business.objects.filter(slug=slug).first()
    if found is None:
        raise fail(f"there is no business {slug!r}; `textback business list` shows the slugs")
    return found


def number(raw: str, country: str, flag: str) -> str:
    """A phone number typed in any common format, as E.164."""
    try:
        return phone.to_e164(raw, country)
    except phone.InvalidNumber as exc:
        raise fail(f"{flag}: {exc}; type it as +15125550147 or, for a number in {country}, (512) 555-0147") from None


def numbers(raw: str, country: str, flag: str) -> list[str]:
    return list(dict.fromkeys(number(item, country, flag) for item in split(raw)))


def country(code: str, flag: str = "--country") -> str:
    code = code.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise fail(f"{flag}: {code!r} is not a two-letter country code such as US, CA or GB")
    return code


@functools.cache
def _time_zones() -> dict[str, str]:
    return {name.lower(): name for name in zoneinfo.available_timezones()}


def time_zone(name: str) -> str:
    """A time zone name, forgiving letter case (america/chicago → America/Chicago)."""
    found = _time_zones().get(name.strip().lower())
    if found is None:
        raise fail(f"--time-zone: {name!r} is not a time zone name such as America/Chicago or Europe/London")
    return found


def read_secret(path: str | None, from_stdin: bool, stdin, what: str) -> str | None:
    """A secret from a file or standard input (a hidden prompt if stdin is a terminal); None if neither."""
    if path:
        try:
            return Path(path).read_text().rstrip("\r\n")
        except OSError as exc:
            raise fail(f"cannot read the {what} from {path}: {exc.strerror}") from None
    if from_stdin:
        if stdin.isatty():
            return getpass.getpass(f"{what.capitalize()}: ")
        return stdin.readline().rstrip("\r\n")
    return None


# --- saving -----------------------------------------------------------------


def describe(exc: ValidationError, flags: dict[str, str]) -> str:
    """A ValidationError as one line, naming the option to fix rather than the model field."""
    by_field = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    parts = []
    for field, messages in by_field.items():
        prefix = "" if field == "__all__" else f"{flags.get(field, field)}: "
        parts += [prefix + message for message in messages]
    return "; ".join(parts)


def validate(obj, flags: dict[str, str], **clean) -> None:
    """Validate the whole record; invalid input becomes an exit-2 message."""
    try:
        obj.full_clean(**clean)
    except ValidationError as exc:
        raise fail(describe(exc, flags)) from None


def save(obj, flags: dict[str, str], **clean) -> None:
    """Validate the whole record, then save it."""
    validate(obj, flags, **clean)
    obj.save()


# --- printing ---------------------------------------------------------------


def table(out, headers: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Columns aligned with two spaces, headers first: easy to read and to cut/awk."""
    cells = [list(headers)] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for row in cells:
        out.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def hook_url(name: str) -> str:
    return settings.PUBLIC_URL + reverse(name)
