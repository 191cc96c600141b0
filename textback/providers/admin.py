from django import forms
from django.contrib import admin

from textback.providers.models import Line, ProviderAccount


class ProviderAccountForm(forms.ModelForm):
    """The auth token can be set or replaced here, never read back."""

    auth_token = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Leave blank to keep the current token.",
    )

    class Meta:
        model = ProviderAccount
        fields = ["business", "provider", "label", "account_sid", "auth_token"]

    def clean_auth_token(self) -> str:
        return self.cleaned_data["auth_token"] or (self.instance.auth_token if self.instance.pk else "")


@admin.register(ProviderAccount)
class ProviderAccountAdmin(admin.ModelAdmin):
    form = ProviderAccountForm
    list_display = ["__str__", "business", "provider", "account_sid", "has_token"]
    list_filter = ["provider"]

    @admin.display(boolean=True, description="token set")
    def has_token(self, account: ProviderAccount) -> bool:
        return bool(account.auth_token)


@admin.register(Line)
class LineAdmin(admin.ModelAdmin):
    list_display = ["number", "label", "business", "call_mode", "textback_enabled", "delay_seconds"]
    list_filter = ["call_mode", "textback_enabled"]
    search_fields = ["number", "label", "business__name"]
