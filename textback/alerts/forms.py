from urllib.parse import urlsplit

from django import forms
from django.conf import settings

from textback.accounts.plain_forms import PlainWords
from textback.alerts.models import AlertWebhook
from textback.lib import public_net
from textback.lib.text import input_problem

MAX_URL = 500
INCOMPLETE = "That is not a complete web address: it needs a site name after https://, and no spaces."
PRIVATE = (
    "textback does not post to private network addresses (this server, a local network, or a cloud's internal "
    "services). Give the service's public web address; whoever runs this textback server can allow private ones."
)


class WebhookForm(PlainWords, forms.ModelForm):
    url = forms.CharField(
        label="Web address",
        max_length=MAX_URL,
        error_messages={"required": "Give the web address alerts are posted to."},
        help_text="Where alerts are posted, e.g. the incoming-webhook URL Slack gives you (https://hooks.slack.com/…).",
    )
    new_secret = forms.BooleanField(
        required=False, label="Make a new signing secret (the old one stops working at once)"
    )

    class Meta:
        model = AlertWebhook
        fields = ["name", "kind", "url", "on_reply", "on_missed_call", "on_sla", "active"]
        labels = {
            "name": "Name",
            "kind": "Format",
            "on_reply": "A caller replies",
            "on_missed_call": "Every missed call",
            "on_sla": "A caller waits too long for an answer",
            "active": "On (untick to pause it without deleting it)",
        }
        widgets = {"kind": forms.RadioSelect}
        error_messages = {
            "kind": dict.fromkeys(("required", "invalid_choice"), "Choose a format: Slack-compatible or signed JSON.")
        }

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        problem = input_problem(name)
        if problem:
            raise forms.ValidationError(f"The name {problem}.")
        return name

    def clean_url(self) -> str:
        url = self.cleaned_data["url"].strip()
        problem = input_problem(url)
        if problem:
            raise forms.ValidationError(f"The address {problem}.")
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:  # an unclosed [IPv6 bracket, a port that is not a number from 0 to 65535
            raise forms.ValidationError(INCOMPLETE) from None
        if parts.scheme.lower() not in ("http", "https") or "://" not in url:
            raise forms.ValidationError(
                "The address must be a web address starting with https:// (or http://), "
                "such as https://hooks.slack.com/services/…"
            )
        if not parts.hostname or any(char.isspace() for char in url):
            raise forms.ValidationError(INCOMPLETE)
        port = port or (443 if parts.scheme.lower() == "https" else 80)
        if not settings.ALLOW_PRIVATE_WEBHOOKS and public_net.leads_to_private_address(parts.hostname, port):
            raise forms.ValidationError(PRIVATE)
        return url

    def clean(self):
        data = super().clean()
        events = ("on_reply", "on_missed_call", "on_sla")
        if not self.errors and not any(data.get(name) for name in events):
            raise forms.ValidationError("Choose at least one thing to be alerted about.")
        return data
