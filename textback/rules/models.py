"""What a business chose for the rules that need storing (follow-ups, retention…)."""

from datetime import time

from django.core.exceptions import ValidationError
from django.db import models

from textback.accounts.models import Business


def validate_steps(value) -> None:
    from textback.rules import followups

    try:
        followups.steps_from(value)
    except (TypeError, ValueError, KeyError) as exc:
        raise ValidationError(f"not a follow-up cadence: {exc}") from None


class FollowupPlan(models.Model):
    """A business's follow-ups: off unless someone switched them on (multi-touch texts need consent).

    No row means the defaults: off, and when switched on, the two steps of followups.DEFAULT_STEPS. A row
    with a line is that line's own plan (a location with its own rules); other lines follow the business's."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="followup_plans")
    line = models.OneToOneField(
        "providers.Line", null=True, blank=True, on_delete=models.CASCADE, related_name="followup_plan",
        help_text="Empty: the business's plan, for every line without its own.",
    )  # fmt: skip
    enabled = models.BooleanField(default=False)
    steps = models.JSONField(
        default=list, blank=True, validators=[validate_steps],
        help_text='Up to 3: [{"delay_minutes": 60, "valid_minutes": 240, "template": "…"}], after the text-back.',
    )  # fmt: skip
    window_start = models.TimeField(default=time(8), help_text="Follow-ups go no earlier than this, local time.")
    window_end = models.TimeField(default=time(21), help_text="…and no later than this.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["business"], condition=models.Q(line__isnull=True), name="one_followup_plan_per_business"
            )
        ]

    def __str__(self) -> str:
        whose = f"line {self.line_id}" if self.line_id else f"business {self.business_id}"
        return f"follow-ups for {whose}: {'on' if self.enabled else 'off'}"


class Retention(models.Model):
    """How long message bodies and recordings are kept (none: forever, the default). Rows and counts stay."""

    business = models.OneToOneField(Business, on_delete=models.CASCADE, related_name="retention")
    days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Blank message bodies and forget recordings older than this; blank: keep."
    )
