"""What the recovery report keeps: a business's costs and trade (for ROI), and the settled days' figures."""

from decimal import Decimal

from django.db import models

from textback.accounts.models import Business


class Costs(models.Model):
    """What textback costs the business and which trade it is in: the ROI's denominator and the benchmarks'
    row (reports/roi.py). No row: the defaults below."""

    TRADES = [
        ("plumbing", "Plumbing"),
        ("hvac", "HVAC"),
        ("electrical", "Electrical"),
        ("roofing", "Roofing"),
        ("dental", "Dental practice"),
        ("medical", "Medical clinic"),
        ("salon", "Hair salon"),
        ("auto_detailing", "Auto detailing"),
        ("other", "Other home service"),
    ]

    business = models.OneToOneField(Business, on_delete=models.CASCADE, related_name="costs")
    trade = models.CharField(max_length=20, choices=TRADES, default="other")
    software_monthly = models.DecimalField(
        max_digits=9, decimal_places=2, default=Decimal("0"), help_text="What textback costs you a month (hosting)."
    )
    price_per_segment = models.DecimalField(
        max_digits=7, decimal_places=4, default=Decimal("0.0083"),
        help_text="What your provider charges per SMS segment, sent or received.",
    )  # fmt: skip
    number_monthly = models.DecimalField(
        max_digits=7, decimal_places=2, default=Decimal("0"), help_text="The monthly price of each phone number."
    )
    per_call = models.DecimalField(
        max_digits=7, decimal_places=4, default=Decimal("0"), help_text="What each inbound call costs you, if anything."
    )
    average_ticket = models.DecimalField(
        max_digits=9, decimal_places=2, null=True, blank=True,
        help_text="Your average job's value, for the ROI calculator; blank: your booked jobs' average, else the trade's.",
    )  # fmt: skip

    class Meta:
        verbose_name_plural = "costs"


class RollupDay(models.Model):
    """One settled local day of a business, figured once (reports/funnel.py): {line id: DayFigures as JSON}.

    A day settles when every reply and answer it can count has had its window (funnel.SETTLE_DAYS); later
    changes that reach back (an outcome set on an old conversation) delete the days they touch."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    figures = models.JSONField(default=dict)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["business", "day"], name="one_rollup_per_business_day")]
