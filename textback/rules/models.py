"""What a business chose for its rules: closures, follow-ups, retention, keyword routes, the on-call schedule
and paging settings, and the pages themselves."""

from datetime import time

from django.core.exceptions import ValidationError
from django.db import models

from textback.accounts.models import Business, Membership
from textback.rules import keywords


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


class KeywordRoute(models.Model):
    """One route of a business (emergency or booking) when it differs from the default: no row means the
    default words, switched on."""

    ACTIONS = list(keywords.ACTION_NAMES.items())

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="keyword_routes")
    action = models.CharField(max_length=8, choices=ACTIONS)
    words = models.TextField(help_text="One word or phrase per line.")
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["business", "action"], name="one_route_per_action")]

    def __str__(self) -> str:
        return f"{self.action} route of {self.business}"


class OnCallPolicy(models.Model):
    """How paging escalates; no row means the defaults."""

    DEFAULT_ESCALATE_MINUTES = 5

    business = models.OneToOneField(Business, on_delete=models.CASCADE, related_name="on_call_policy")
    escalate_minutes = models.PositiveSmallIntegerField(
        default=DEFAULT_ESCALATE_MINUTES,
        help_text="Without an acknowledgement this long, the next person in the on-call order is paged.",
    )

    def __str__(self) -> str:
        return f"on-call policy of {self.business}"


class OnCallPerson(models.Model):
    """A place in the business's on-call list (the escalation order)."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["business", "membership"], name="once_in_on_call_list")]


class OnCallSlot(models.Model):
    """A weekly stretch when one person is on call, in the business's time zone."""

    WEEKDAYS = [(0, "Monday"), (1, "Tuesday"), (2, "Wednesday"), (3, "Thursday"), (4, "Friday"), (5, "Saturday"),
                (6, "Sunday")]  # fmt: skip

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    weekday = models.PositiveSmallIntegerField(choices=WEEKDAYS)
    starts = models.TimeField()
    ends = models.TimeField(help_text="At or before `starts`: the slot runs past midnight.")

    class Meta:
        ordering = ["weekday", "starts", "pk"]


class Page(models.Model):
    """One emergency: who was paged, step by step, until someone acknowledged or nobody was left."""

    OPEN, ACKED, EXHAUSTED = "open", "acked", "exhausted"
    STATUSES = [(OPEN, "Paging"), (ACKED, "Acknowledged"), (EXHAUSTED, "Nobody acknowledged")]

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey("messaging.Conversation", on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(
        "messaging.Message", null=True, on_delete=models.SET_NULL, related_name="+", help_text="The caller's reply."
    )
    word = models.CharField(max_length=60, help_text="The route's word that matched.")
    steps = models.JSONField(default=list, help_text="Membership ids to page, step by step.")
    step = models.PositiveSmallIntegerField(default=0, help_text="The step paged last.")
    status = models.CharField(max_length=10, choices=STATUSES, default=OPEN)
    escalate_minutes = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    paged_at = models.DateTimeField(help_text="When the latest step was paged.")
    acked_at = models.DateTimeField(null=True, blank=True)
    acked_by = models.ForeignKey(Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["conversation", "status"], name="page_open_of_conversation")]

    def __str__(self) -> str:
        return f"page {self.pk} ({self.status})"

    def paged(self) -> list[int]:
        """Everyone paged so far."""
        return [person for step in self.steps[: self.step + 1] for person in step]


class Closure(models.Model):
    """A date (or range of dates) the business, or one of its lines, is closed: "Staff training", "Owner on
    holiday". The spans that open on those local dates do not happen."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="closures")
    line = models.ForeignKey(
        "providers.Line", null=True, blank=True, on_delete=models.CASCADE, related_name="closures",
        help_text="Blank: every line of the business is closed.",
    )  # fmt: skip
    first_day = models.DateField()
    last_day = models.DateField()
    label = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["business", "last_day"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(last_day__gte=models.F("first_day")), name="closure_in_order")
        ]

    def __str__(self) -> str:
        days = str(self.first_day) if self.first_day == self.last_day else f"{self.first_day}–{self.last_day}"
        return f"{days} {self.label}".strip()
