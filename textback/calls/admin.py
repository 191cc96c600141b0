from django.contrib import admin

from textback.accounts.admin import ReadOnlyAdmin
from textback.calls.models import Call, WebhookEvent


@admin.register(Call)
class CallAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "business", "from_number", "to_number", "outcome", "decision", "decision_reason"]
    list_filter = ["outcome", "decision", "decision_reason", "provider"]
    search_fields = ["from_number", "provider_call_id"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "provider", "endpoint", "key", "business", "duplicates"]
    list_filter = ["provider", "endpoint"]
    search_fields = ["key"]
