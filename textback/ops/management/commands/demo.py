"""textback demo: the sandbox demo business, AlphaPlumbing, ready to take simulated calls."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from textback.accounts.models import Business, Membership
from textback.messaging.models import CannedReply
from textback.providers.models import SANDBOX, Line, ProviderAccount

SLUG = "alphaplumbing"
OWNER = "mike@alphaplumbing.example"
LINE_NUMBER = "+17375550100"
STAFF_CELL = "+17375550199"
CANNED_REPLIES = [
    ("On our way", "Hi {first_name|there}, this is {staff} from {business}. We are on our way and will be there soon."),
    ("Book a visit", "Thanks {first_name|for writing}! What day and time suit you for a visit? - {staff}, {business}"),
]


class Command(BaseCommand):
    help = "Create (or keep) the demo business on the sandbox carrier and print how to log in."

    def handle(self, *args, **options):
        with transaction.atomic():
            business, created = Business.objects.get_or_create(
                slug=SLUG,
                defaults={
                    "name": "AlphaPlumbing",
                    "time_zone": "America/Chicago",
                    "help_contact": "call (737) 555-0100",
                },
            )
            account, _ = ProviderAccount.objects.get_or_create(
                business=business, provider=SANDBOX, defaults={"label": "demo"}
            )
            Line.objects.get_or_create(
                number=LINE_NUMBER,
                defaults={
                    "business": business,
                    "account": account,
                    "label": "Main line",
                    "forward_to": [STAFF_CELL],
                    "staff_name": "Mike",
                    "keyword_replies": Line.OURS,
                },
            )
            password = self._owner(business)
            for title, body in CANNED_REPLIES:  # the conversation page's canned replies, to try
                CannedReply.objects.get_or_create(business=business, title=title, defaults={"body": body})
        base = settings.PUBLIC_URL
        self.stdout.write(self.style.SUCCESS(f"Demo business AlphaPlumbing {'created' if created else 'is ready'}."))
        self.stdout.write(f"  Log in at {base}/login as {OWNER} with password: {password}")
        self.stdout.write(f"  Phone simulator: {base}/sandbox/{SLUG}/")

    def _owner(self, business) -> str:
        """The demo owner's password: made once, kept in the data folder so every run can print it."""
        path = settings.DATA_DIR / "demo-password"
        User = get_user_model()
        user = User.objects.filter(username=OWNER).first()
        if user is None or not path.exists():
            password = secrets.token_urlsafe(12)
            user = user or User(username=OWNER, email=OWNER, first_name="Mike")
            user.set_password(password)
            user.save()
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(password)
            path.chmod(0o600)
        Membership.objects.get_or_create(user=user, business=business, defaults={"role": Membership.OWNER})
        return path.read_text().strip()
