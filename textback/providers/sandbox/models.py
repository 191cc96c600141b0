"""The sandbox carrier's own records: what it carried, and the simulated handsets."""

from django.db import models


class SandboxMessage(models.Model):
    """A text the simulated carrier carried, in either direction."""

    TO_HANDSET, FROM_HANDSET = "mt", "mo"
    account = models.ForeignKey("providers.ProviderAccount", on_delete=models.CASCADE, related_name="+")
    sid = models.CharField(max_length=40, unique=True)
    direction = models.CharField(max_length=2, choices=[(TO_HANDSET, "to handset"), (FROM_HANDSET, "from handset")])
    from_number = models.CharField(max_length=20)
    to_number = models.CharField(max_length=20)
    body = models.TextField()
    status = models.CharField(max_length=20)
    client_ref = models.CharField(max_length=64, blank=True, db_index=True)
    status_callback = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["to_number", "created_at"]), models.Index(fields=["from_number", "created_at"])]
        ordering = ["created_at", "pk"]


class SandboxHandset(models.Model):
    """How the simulated network treats a number: a landline cannot receive texts."""

    number = models.CharField(max_length=20, unique=True)
    landline = models.BooleanField(default=False)


class SandboxEmail(models.Model):
    """An email textback sent while no SMTP server is configured: the sandbox mailbox.

    `business` is the business the mail was sent for (an invitation, an alert); a page shows a mail only
    to members of that business, or to the person it was addressed to."""

    business = models.ForeignKey("accounts.Business", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    from_email = models.CharField(max_length=254)
    to = models.JSONField(default=list, help_text="Every recipient address (To, Cc, Bcc).")
    subject = models.CharField(max_length=300)
    body = models.TextField()
    html_body = models.TextField(blank=True)
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["-sent_at", "-pk"]
        indexes = [models.Index(fields=["business", "-sent_at"])]

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.to)}"
