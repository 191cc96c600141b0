"""Durable outbound work: one row per thing to do, written with the event that caused it.

Each row runs in a lane, its kind's (registered with the worker): texts to customers and staff phones
in one, email and webhooks, which may wait seconds on somebody else's server, in the other, so a slow
server never holds up a text. A row with an endpoint (a webhook address, the mail server) shares it with
other rows: only a few of them are delivered at a time (outbox/worker.py, ENDPOINT_LIMIT).
"""

from django.db import models
from django.db.models import Q

from textback.accounts.models import Business


class OutboxItem(models.Model):
    PENDING = "pending"  # waiting for its due time
    CLAIMED = "claimed"  # a worker holds the lease; it may be talking to the provider right now
    DONE = "done"
    DEAD = "dead"  # stopped for good: permanent error, expired, suppressed
    CANCELED = "canceled"
    STATUSES = [(s, s) for s in (PENDING, CLAIMED, DONE, DEAD, CANCELED)]

    SMS = "sms"

    TEXTS, ALERTS = "texts", "alerts"
    LANES = [(TEXTS, "texts to phones"), (ALERTS, "email and webhooks")]

    business = models.ForeignKey(
        Business,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="outbox_items",
        help_text="The business the work is for; none for a person's own mail (a password reset).",
    )
    kind = models.CharField(max_length=20, default=SMS)
    lane = models.CharField(max_length=10, choices=LANES, default=TEXTS, help_text="Set from the kind when written.")
    endpoint = models.CharField(
        max_length=80, blank=True, help_text="Where it is delivered, when that is shared (a webhook, the mail server)."
    )
    idempotency_key = models.CharField(max_length=120, unique=True)
    message = models.OneToOneField(
        "messaging.Message", null=True, blank=True, on_delete=models.CASCADE, related_name="outbox_item"
    )
    payload = models.JSONField(default=dict, blank=True, help_text="What a kind other than sms needs to know.")
    status = models.CharField(max_length=10, choices=STATUSES, default=PENDING)
    due_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Not worth doing after this.")
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=80, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    result = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["lane", "due_at"], condition=Q(status="pending"), name="outbox_pending_lane_due"),
            models.Index(fields=["lane", "lease_until"], condition=Q(status="claimed"), name="outbox_claimed_lane"),
            models.Index(
                fields=["endpoint", "due_at"], condition=Q(status="pending", result="waiting"), name="outbox_waiting"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.idempotency_key} {self.status}"

    def save(self, *args, **kwargs) -> None:
        if self._state.adding:
            self.lane = LANE_OF.get(self.kind, self.lane)
        super().save(*args, **kwargs)


# Each kind's lane, as the app that does that work registered it (worker.handles). A row written through
# the ORM takes its kind's lane; the one row written in raw SQL (messaging's texts) names its lane itself.
LANE_OF: dict[str, str] = {}
