"""textback exclude add|remove|list: numbers a business never texts automatically (staff, vendors, family)."""

from django.db import transaction

from textback.messaging import contacts
from textback.messaging.models import ExcludedNumber
from textback.ops import cli

FLAGS = {"number": "--number", "label": "--label"}


class Command(cli.VerbCommand):
    help = "Keep numbers (staff, vendors, family) from ever getting an automatic text."
    verbs = {
        "add": "Exclude a number from automatic texts.",
        "remove": "Let a number get automatic texts again.",
        "list": "List a business's excluded numbers.",
    }

    def add_add_arguments(self, parser):
        parser.add_argument("--business", required=True, metavar="SLUG")
        parser.add_argument("--number", required=True, help="in any common format")
        parser.add_argument("--label", help="whose number it is, e.g. 'Mike's cell'")

    def add_remove_arguments(self, parser):
        parser.add_argument("--business", required=True, metavar="SLUG")
        parser.add_argument("--number", required=True)

    def add_list_arguments(self, parser):
        parser.add_argument("--business", required=True, metavar="SLUG")

    def do_add(self, *, business, number, label, **options):
        owner = cli.business(business)
        e164 = cli.number(number, owner.country, "--number")
        entry = ExcludedNumber.objects.filter(business=owner, number=e164).first()
        created = entry is None
        entry = entry or ExcludedNumber(business=owner, number=e164)
        if label is not None:
            entry.label = label.strip()
        with transaction.atomic():
            cli.save(entry, FLAGS)
            contacts.cancel_for_excluded(owner, e164)
        verb = "Excluded" if created else "Already excluded:"
        self.stdout.write(f"{verb} {entry.number} for {owner.slug}.")

    def do_remove(self, *, business, number, **options):
        owner = cli.business(business)
        e164 = cli.number(number, owner.country, "--number")
        deleted, _ = ExcludedNumber.objects.filter(business=owner, number=e164).delete()
        if not deleted:
            raise cli.fail(
                f"{e164} is not excluded for {owner.slug}; `textback exclude list --business {owner.slug}` shows what is"
            )
        self.stdout.write(f"{e164} may get automatic texts from {owner.slug} again.")

    def do_list(self, *, business, **options):
        entries = ExcludedNumber.objects.filter(business=cli.business(business)).order_by("number")
        cli.table(self.stdout, ["NUMBER", "LABEL"], [(e.number, e.label) for e in entries])
