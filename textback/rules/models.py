"""Per-business settings of the issue's rules that have no home in accounts.Business."""

from django.db import models

from textback.accounts.models import Business


class Retention(models.Model):
    """How long message bodies and recordings are kept (none: forever, the default). Rows and counts stay."""

    business = models.OneToOneField(Business, on_delete=models.CASCADE, related_name="retention")
    days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Blank message bodies and forget recordings older than this; blank: keep."
    )
