from django import forms
from django.contrib import admin

from textback.providers import credentials
from textback.providers.models import Line, ProviderAccount


class ProviderAccountForm(forms.ModelForm):
    """The auth token and the webhook key can be set or replaced here, never read back (not even encrypted)."""

    auth_token = forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False),
        help_text="Leave blank to keep the current token.",
    )
    webhook_key = forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False),
        help_text="The secret of a Twilio webhook SharedKey, if Twilio signs this account's webhooks with one. "
        "Leave blank to keep the current key.",
    )
    remove_webhook_key = forms.BooleanField(required=False, help_text="Sign-checking goes back to the auth token.")

    class Meta:
        model = ProviderAccount
        fields = ["business", "provider", "label", "account_sid"]

    def clean_webhook_key(self) -> str:
        key = self.cleaned_data["webhook_key"]
        problem = credentials.webhook_key_problem(key) if key else None
        if problem:
            raise forms.ValidationError(problem)
        return key

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("webhook_key") and cleaned.get("remove_webhook_key"):
            self.add_error("webhook_key", "give a new webhook key or remove it, not both")
        return cleaned

    def save(self, commit=True):
        account = self.instance
        if self.cleaned_data["auth_token"]:
            account.auth_token = self.cleaned_data["auth_token"]
        if self.cleaned_data["remove_webhook_key"]:
            account.webhook_key = ""
        elif self.cleaned_data["webhook_key"]:
            account.webhook_key = self.cleaned_data["webhook_key"]
        return super().save(commit)


@admin.register(ProviderAccount)
class ProviderAccountAdmin(admin.ModelAdmin):
    form = ProviderAccountForm
    list_display = ["__str__", "business", "provider", "account_sid", "token_state", "webhook_key_state"]
    list_filter = ["provider"]

    @admin.display(description="auth token")
    def token_state(self, account: ProviderAccount) -> str:
        return credentials.state(account, "auth_token_encrypted")

    @admin.display(description="webhook key")
    def webhook_key_state(self, account: ProviderAccount) -> str:
        return credentials.state(account, "webhook_key_encrypted")


@admin.register(Line)
class LineAdmin(admin.ModelAdmin):
    list_display = ["number", "label", "business", "call_mode", "textback_enabled", "delay_seconds"]
    list_filter = ["call_mode", "textback_enabled"]
    search_fields = ["number", "label", "business__name"]
