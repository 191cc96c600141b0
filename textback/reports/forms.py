"""The forms of the ROI calculator and of the costs and trade settings: no negatives, sane maxima, plain words."""

from decimal import Decimal

from django import forms

from textback.accounts.plain_forms import PlainWords
from textback.reports.models import Costs


def _money(label: str, maximum: str, places: int = 2, *, required: bool = True, help_text: str = "", step=None):
    """A decimal field that says what to fix in words: no negatives, at most `maximum`, `places` decimals."""
    plain = f"“{label}”"
    name = plain.replace("%", "%%")  # the messages with limits are %-formatted; "required" and "invalid" are not
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=Decimal(0),
        max_value=Decimal(maximum),
        decimal_places=places,
        max_digits=12,
        help_text=help_text,
        widget=forms.NumberInput(
            attrs={"step": step or f"{Decimal(1).scaleb(-places)}", "min": "0", "max": maximum, "inputmode": "decimal"}
        ),  # fmt: skip
        error_messages={
            "required": f"Give {plain} as a number, such as 0.",
            "invalid": f"Give {plain} as a number, such as 12.50 (digits and one point, no $ or commas).",
            "min_value": f"{name} cannot be negative.",
            "max_value": f"{name} must be {maximum} or less.",
            "max_decimal_places": f"{name} takes at most {places} digits after the point.",
            "max_digits": f"{name} has too many digits.",
            "max_whole_digits": f"{name} has too many digits before the point.",
        },
    )


class CostsForm(PlainWords, forms.ModelForm):
    software_monthly = _money(
        "Software, a month ($)", "100000", help_text=Costs._meta.get_field("software_monthly").help_text
    )
    price_per_segment = _money(
        "Price per SMS segment ($)", "1", 4, help_text="What your provider charges per segment, sent or received "
        "(Twilio's US price is about $0.0083).",
    )  # fmt: skip
    number_monthly = _money("Each phone number, a month ($)", "1000", help_text="Counted once per active line.")
    per_call = _money("Each inbound call ($)", "10", 4, help_text="What each inbound call costs you, if anything.")
    average_ticket = _money(
        "Average ticket ($)", "1000000", required=False, help_text="Your average job's value, for the ROI "
        "calculator. Blank: your booked jobs' average once you have some, else your trade's benchmark.",
    )  # fmt: skip

    class Meta:
        model = Costs
        fields = ["trade", "software_monthly", "price_per_segment", "number_monthly", "per_call", "average_ticket"]
        labels = {"trade": "Trade"}
        help_texts = {"trade": "Which industry benchmarks the ROI calculator starts from before you have 30 days "
                               "of your own data."}  # fmt: skip


RATE_HELP = "A percentage, 0 to 100."


class RoiForm(PlainWords, forms.Form):
    """The calculator's six inputs, read from the query string (the page works without JavaScript)."""

    monthly_calls = _money("Inbound calls a month", "1000000", 0, step="1")
    miss_rate = _money("Missed-call rate (%)", "100", 1, step="0.1")
    reply_rate = _money("Text-back reply rate (%)", "100", 1, step="0.1")
    booking_rate = _money("Replies booked (%)", "100", 1, step="0.1")
    average_ticket = _money("Average ticket ($)", "1000000")
    software_monthly = _money("Software, a month ($)", "100000")
