"""The on-call page's forms: the keyword routes and escalation, a slot, a person for the on-call list."""

from django import forms

from textback.accounts.plain_forms import PlainWords
from textback.rules import routes
from textback.rules.models import OnCallPolicy, OnCallSlot

WORDS_HELP = "One word or phrase per line (or separated by commas). Case does not matter; whole words only."


def _words_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label, widget=forms.Textarea(attrs={"rows": 4}), max_length=4000, help_text=WORDS_HELP,
        error_messages={"required": "Give at least one word or phrase (switch the route off instead to stop it)."},
    )  # fmt: skip


class RoutesForm(PlainWords, forms.Form):
    page_active = forms.BooleanField(required=False, label="Page the on-call person when a caller's reply says:")
    page_words = _words_field("Emergency words")
    book_active = forms.BooleanField(required=False, label="Text the booking link when a caller's reply says:")
    book_words = _words_field("Booking words")
    escalate_minutes = forms.IntegerField(
        label="Minutes before the next person is paged", min_value=1, max_value=routes.ESCALATE_MAX,
        help_text=f"Default {OnCallPolicy.DEFAULT_ESCALATE_MINUTES}. Without an acknowledgement in this time, the "
                  "next person in the on-call order is paged, then the owners.",
        error_messages=dict.fromkeys(("invalid", "min_value", "max_value", "required"),
                                     f"Give whole minutes from 1 to {routes.ESCALATE_MAX}."),
    )  # fmt: skip

    def _clean_words(self, name: str) -> tuple[str, ...]:
        try:
            return routes.check_words(self.cleaned_data[name])
        except routes.Invalid as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_page_words(self):
        return self._clean_words("page_words")

    def clean_book_words(self):
        return self._clean_words("book_words")

    @staticmethod
    def initial_for(business, minutes: int) -> dict:
        initial = {"escalate_minutes": minutes}
        for route in routes.routes_of(business):
            initial[f"{route.action}_active"] = route.active
            initial[f"{route.action}_words"] = "\n".join(route.words)
        return initial


class SlotForm(PlainWords, forms.Form):
    person = forms.TypedChoiceField(coerce=int, label="Who")
    days = forms.TypedMultipleChoiceField(
        coerce=int, choices=OnCallSlot.WEEKDAYS, widget=forms.CheckboxSelectMultiple, label="Days",
        error_messages={"required": "Tick at least one day."},
    )  # fmt: skip
    starts = forms.TimeField(label="From", widget=forms.TimeInput(attrs={"type": "time"}), help_text="e.g. 17:00")
    ends = forms.TimeField(
        label="Until", widget=forms.TimeInput(attrs={"type": "time"}),
        help_text="At or before “From”: runs past midnight (17:00 until 08:00 is the night).",
    )  # fmt: skip

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = people


class PersonForm(PlainWords, forms.Form):
    person = forms.TypedChoiceField(coerce=int, label="Add to the on-call order")

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = people
