from django import forms

from textback.accounts.plain_forms import ModelIdField, PlainWords
from textback.lib import phone
from textback.providers.sandbox.carrier import SCENARIOS

DEFAULT_CALLER = "+15125550147"
MAX_CALLER = 40  # the longest caller ID the simulator accepts, in the forms and in ?handset=


CHOOSE_LINE = "Choose one of the business’s sandbox lines."
VOICEMAIL_SECONDS = "Give the voicemail’s length as 0 to 120 seconds."


class CallForm(PlainWords, forms.Form):
    line = ModelIdField(
        queryset=None, empty_label=None, error_messages=dict.fromkeys(("required", "invalid_choice"), CHOOSE_LINE)
    )
    caller = forms.CharField(
        max_length=MAX_CALLER,
        initial=DEFAULT_CALLER,
        help_text="Any number, or 'anonymous'.",
        error_messages={"required": "Type the number the call comes from, or “anonymous”."},
    )
    scenario = forms.ChoiceField(
        choices=[(k, label) for k, (label, _) in SCENARIOS.items()],
        widget=forms.RadioSelect,
        error_messages=dict.fromkeys(("required", "invalid_choice"), "Choose what happens to the call."),
    )
    voicemail_seconds = forms.IntegerField(
        min_value=0,
        max_value=120,
        initial=0,
        required=False,
        error_messages=dict.fromkeys(("invalid", "min_value", "max_value"), VOICEMAIL_SECONDS),
    )

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].queryset = lines
        self.fields["scenario"].initial = "no_answer"

    def clean_caller(self) -> str:
        raw = self.cleaned_data["caller"].strip()
        if phone.is_anonymous(raw):
            return "anonymous"
        try:
            return phone.to_e164(raw)
        except phone.InvalidNumber:
            return raw  # a carrier passes on whatever caller ID it got; textback must cope


class TextForm(PlainWords, forms.Form):
    line = ModelIdField(
        queryset=None, empty_label=None, error_messages=dict.fromkeys(("required", "invalid_choice"), CHOOSE_LINE)
    )
    handset = forms.CharField(
        max_length=20,
        error_messages={"required": "Type the handset's number, such as (512) 555-0147."},
    )
    body = forms.CharField(
        max_length=1600,
        strip=False,
        error_messages={"required": "Type the text the caller sends."},
    )

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].queryset = lines

    def clean_handset(self) -> str:
        try:
            return phone.to_e164(self.cleaned_data["handset"])
        except phone.InvalidNumber as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        if not body.strip():
            raise forms.ValidationError("type a message")
        return body
