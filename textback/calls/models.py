"""Calls and the audit log of every provider request."""

from django.db import models

from textback.accounts.models import Business
from textback.calls.outcomes import LABELS, OUTCOMES


class Call(models.Model):
    """One inbound call, unique by provider and the provider's id for it."""

    RINGING, ENDED = "ringing", "ended"
    TEXT, SKIP = "text", "skip"

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="calls")
    line = models.ForeignKey("providers.Line", on_delete=models.CASCADE, related_name="calls")
    contact = models.ForeignKey(
        "messaging.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="calls"
    )
    provider = models.CharField(max_length=20)
    provider_call_id = models.CharField(max_length=128)
    from_number = models.CharField(max_length=40, help_text="The caller ID exactly as the carrier sent it.")
    to_number = models.CharField(max_length=40)
    caller_name = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=10, default=RINGING)
    outcome = models.CharField(max_length=20, choices=[(o, LABELS[o]) for o in OUTCOMES], null=True, blank=True)
    accepted = models.BooleanField(default=False, help_text="A person pressed 1 on the screening prompt.")
    screened_legs = models.JSONField(
        default=dict,
        blank=True,
        help_text="The dialled legs that picked up and heard the press-1 prompt: {leg id: phone}.",
    )
    voicemail = models.BooleanField(default=False)
    voicemail_seconds = models.PositiveIntegerField(null=True, blank=True)
    recording_url = models.URLField(max_length=500, blank=True)
    awaiting_voicemail = models.BooleanField(default=False, help_text="We asked the caller to leave a message.")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    decision = models.CharField(max_length=4, choices=[(TEXT, "Text back"), (SKIP, "Do not text")], blank=True)
    decision_reason = models.CharField(max_length=40, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    variant = models.CharField(max_length=20, blank=True, help_text="Which text-back was chosen (rules/situation.py).")
    variant_reason = models.CharField(max_length=120, blank=True, help_text="Why, e.g. 'closed Sundays'.")
    decide_by = models.DateTimeField(
        null=True, blank=True, help_text="A durable reminder decides the call then, if no report has by that time."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "provider_call_id"], name="one_call_per_provider_id")
        ]
        indexes = [models.Index(fields=["business", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.from_number} → {self.to_number} ({self.outcome or self.state})"

    @property
    def variant_shown(self) -> str:
        """ "after hours — closed Sundays": the chosen text-back and why, for the call's page."""
        from textback.rules.situation import LABELS

        if not self.variant:
            return ""
        label = LABELS.get(self.variant, self.variant)
        why = self.variant_reason.removeprefix(f"{label}: ")
        return f"{label} — {why}" if why else label


class WebhookEvent(models.Model):
    """Every provider request we accepted, unique by its natural key so a retry is recognised."""

    provider = models.CharField(max_length=20)
    endpoint = models.CharField(max_length=30)
    key = models.CharField(max_length=200, help_text="e.g. CallSid:CallStatus or MessageSid:MessageStatus")
    business = models.ForeignKey(Business, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    idempotency_token = models.CharField(max_length=100, blank=True)
    payload = models.JSONField(default=dict)
    received_at = models.DateTimeField()
    duplicates = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "endpoint", "key"], name="one_event_per_natural_key")
        ]
        indexes = [models.Index(fields=["business", "-received_at"])]

    @property
    def label(self) -> str:
        """The key as staff read it: without the account or business it is scoped to."""
        scope, _, rest = self.key.partition(":")
        return rest if scope.isdigit() and rest else self.key
