from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from textback.providers import credentials
from textback.providers.base import ProviderError
from textback.providers.models import TWILIO, Line, ProviderAccount
from textback.providers.twilio import ids, numbers
from textback.providers.twilio.client import TwilioClient


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

    def clean_auth_token(self) -> str:
        """Blank keeps the stored token (see save); a Twilio token is stored as Twilio issues it."""
        token = self.cleaned_data["auth_token"]
        return ids.normal_token(token) if token and self.cleaned_data.get("provider") == TWILIO else token

    def clean_account_sid(self) -> str:
        """Typed in any letter case, stored as Twilio writes it, so webhooks from the account match."""
        sid = self.cleaned_data["account_sid"]
        if self.cleaned_data.get("provider") != TWILIO:
            return sid
        problem = ids.sid_problem(sid)
        if problem:
            raise forms.ValidationError(problem)
        return ids.normal_sid(sid)

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
    change_form_template = "admin/providers/line/change_form.html"

    def get_urls(self):
        configure = path(
            "<path:object_id>/configure-provider/",
            self.admin_site.admin_view(self.configure_provider_view),
            name="providers_line_configure_provider",
        )
        return [configure, *super().get_urls()]

    def configure_provider_view(self, request, object_id):
        """POST: set the number's webhooks at Twilio, as `textback line set N --configure-provider` does.

        A number wired to a TwiML App or SIP trunk gets a confirmation page first;
        its form names the exact Twilio number it showed and asks for the take-over.
        """
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        line = self.get_object(request, unquote(object_id))
        if line is None:
            raise Http404("no such line")
        if not self.has_change_permission(request, line):
            raise PermissionDenied
        change_url = reverse("admin:providers_line_change", args=[line.pk])
        problem = numbers.setup_problem(line)
        if problem:
            self.message_user(request, f"Twilio was not configured: {problem}", messages.ERROR)
            return HttpResponseRedirect(change_url)
        take_over = request.POST.get("take_over") == "yes"
        client = TwilioClient.for_account(line.account)
        try:
            if take_over:
                plan = numbers.prepare_by_sid(client, line, request.POST.get("sid", ""), take_over=True)
            else:
                plan = numbers.prepare(client, line, take_over=False)
            numbers.apply(client, plan, line)
        except numbers.NotConfigured as exc:
            if exc.taken_over is not None and not take_over:
                return self._confirm_take_over(request, line, exc, change_url)
            self.message_user(request, f"Twilio was not configured: {exc}", messages.ERROR)
        except ProviderError as exc:
            self.message_user(
                request, f"Twilio was not configured: {numbers.failure(exc, line.account)}", messages.ERROR
            )
        else:
            for text in numbers.report(plan):
                self.message_user(
                    request, text, messages.SUCCESS if text is not numbers.INBOUND_NOTE else messages.INFO
                )
        return HttpResponseRedirect(change_url)

    def _confirm_take_over(self, request, line: Line, refusal: numbers.NotConfigured, change_url: str):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "line": line,
            "plan": refusal.taken_over,
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/providers/line/take_over.html", context)
