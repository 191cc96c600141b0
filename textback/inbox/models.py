"""What the staff pages keep for themselves: who has a conversation open right now."""

from django.conf import settings
from django.db import models

from textback.accounts.models import Business


class Presence(models.Model):
    """A person has a conversation open (and is typing, or not), as of their last heartbeat.

    One row per person and conversation, overwritten by each heartbeat; a row older than
    `inbox.presence.FRESH` means they left. A person keeps at most a few rows: each heartbeat drops
    their stale rows for other conversations."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey("messaging.Conversation", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    typing = models.BooleanField(default=False)
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["conversation", "user"], name="one_presence_per_user")]
        indexes = [models.Index(fields=["conversation", "seen_at"], name="presence_fresh")]
