from django import forms

from textback.lib import phone
from textback.lib.text import input_problem
from textback.providers.sandbox.carrier import SCENARIOS

DEFAULT_CALLER = "+15125550147"
MAX_CALLER = 40  # the longest caller ID the simulator accepts, in the forms and in ?handset=


def usable_text(value: str) -> None:
    """Refuse text that is not text (CharField already refuses NUL, and too long, with its own message)."""
    problem = input_problem(value.replace("\x00", ""))
    if problem:
        raise forms.ValidationError(f"This {problem}.", code="unusable")


class CallForm(forms.Form):
    line = forms.ModelChoiceField(queryset=None, empty_label=None)
    caller = forms.CharField(
        max_length=MAX_CALLER, initial=DEFAULT_CALLER, validators=[usable_text], help_text="Any number, or 'anonymous'."
    )
    scenario = forms.ChoiceField(choices=[(k, label) for k, (label, _) in SCENARIOS.items()], widget=forms.RadioSelect)
    voicemail_seconds = forms.IntegerField(min_value=0, max_value=120, initial=0, required=False)

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


class TextForm(forms.Form):
    line = forms.ModelChoiceField(queryset=None, empty_label=None)
    handset = forms.CharField(max_length=20, validators=[usable_text])
    body = forms.CharField(max_length=1600, strip=False, validators=[usable_text])

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
