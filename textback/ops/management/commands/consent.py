"""textback consent export|retention: the consent ledger as CSV for your records or your lawyer, and how long
a business keeps the words of texts and recordings."""

from django.db import transaction

from textback.messaging import records
from textback.ops import cli
from textback.rules import retention


class Command(cli.VerbCommand):
    help = "Records a business can hand to a lawyer: the consent ledger, and data retention."
    verbs = {
        "export": "Write a business's consent ledger (or one number's) as CSV, oldest first, times in UTC.",
        "retention": "Show or set how many days the words of texts and recordings are kept (default: for ever).",
    }

    def add_export_arguments(self, parser):
        parser.add_argument("--business", required=True, metavar="SLUG")
        parser.add_argument("--number", help="only this number's entries (in any common format)")
        parser.add_argument("--output", metavar="FILE", help="write to this file instead of standard output")

    def add_retention_arguments(self, parser):
        parser.add_argument("--business", required=True, metavar="SLUG")
        parser.add_argument(
            "--days", metavar="N", help="keep N days (1 or more); 'forever' keeps everything (the default)"
        )

    def do_export(self, *, business, number, output, **options):
        owner = cli.business(business)
        events = records.ledger(owner, cli.number(number, owner.country, "--number") if number else None)
        if output:
            with open(output, "w", newline="", encoding="utf-8") as out:
                count = records.write_ledger_csv(events, out)
            self.stderr.write(f"Wrote {cli.plural(count, 'entry')} of {owner.slug}'s consent ledger to {output}.")
        else:
            records.write_ledger_csv(events, self.stdout)

    def do_retention(self, *, business, days, **options):
        owner = cli.business(business)
        if days is not None:
            wanted = read_days(days, "--days")
            with transaction.atomic():
                retention.do_set_retention(owner, wanted)
        kept = retention.days_for(owner)
        self.stdout.write(
            f"{owner.slug} keeps the words of texts and recordings "
            + (
                "for ever."
                if kept is None
                else f"for {cli.plural(kept, 'day')}; older ones are erased nightly at 3 AM."
            )
        )


def read_days(text: str, flag: str) -> int | None:
    """A retention typed on the command line: whole days, or 'forever' (None)."""
    if text.strip().lower() in ("forever", "for ever", "keep", ""):
        return None
    try:
        days = int(text)
    except ValueError:
        days = 0
    if not 1 <= days <= retention.MAX_DAYS:
        raise cli.fail(f"{flag}: give a whole number of days from 1 to {retention.MAX_DAYS}, or 'forever'")
    return days
