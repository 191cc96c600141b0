"""The forms of the schedule settings: public holidays and closures (the weekly hours are setup_forms.HoursForm)."""

from django import forms

from textback.accounts.plain_forms import PlainWords
from textback.inbox.setup_forms import country_choices

DATE_WORDS = "Give a date such as 2026-12-24."


class HolidaysForm(PlainWords, forms.Form):
    public_holidays = forms.BooleanField(
        required=False,
        label="Closed on public holidays",
        help_text="On by default. On a public holiday your weekly hours do not apply and callers get the holiday "
        "text. Has no effect until you set opening hours.",
    )
    holiday_country = forms.ChoiceField(
        required=False,
        label="Whose public holidays",
        help_text="Blank: your business's country.",
        error_messages={"invalid_choice": "Choose a country from the list, or leave it blank."},
    )
    holiday_subdivision = forms.CharField(
        required=False,
        max_length=10,
        label="State or region (optional)",
        help_text="Adds that region's own holidays: a code such as TX, ON, SCT or NSW.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["holiday_country"].choices = [("", "My business's country"), *country_choices()]


class ClosureForm(PlainWords, forms.Form):
    first_day = forms.DateField(
        label="First day closed",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": DATE_WORDS, "invalid": DATE_WORDS},
    )
    last_day = forms.DateField(
        required=False,
        label="Last day closed",
        help_text="Blank: just the first day.",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": DATE_WORDS},
    )
    label = forms.CharField(
        required=False, max_length=60, label="Why (callers may read it)", help_text="e.g. Staff training."
    )
    line = forms.ChoiceField(required=False, label="Which line", help_text="Blank: every line.")

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].choices = [("", "Every line"), *((str(x.pk), str(x)) for x in lines)]
        self.fields["line"].error_messages["invalid_choice"] = "Choose one of your lines, or every line."
