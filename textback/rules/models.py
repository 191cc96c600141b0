"""What the rules of issue 7 keep in the database."""

from django.db import models

from textback.accounts.models import Business


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
