from django.contrib import admin

from textback.calls.models import Call, WebhookEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records of what happened: visible, never edited by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
