from django import forms

from textback.lib import phone
from textback.providers.sandbox.carrier import SCENARIOS

DEFAULT_CALLER = "+15125550147"


class CallForm(forms.Form):
    line = forms.ModelChoiceField(queryset=None, empty_label=None)
    caller = forms.CharField(max_length=40, initial=DEFAULT_CALLER, help_text="Any number, or 'anonymous'.")
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
    handset = forms.CharField(max_length=20)
    body = forms.CharField(max_length=1600, strip=False)

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
