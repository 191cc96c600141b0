from django.contrib import admin

from textback.alerts.models import Alert, AlertWebhook, StaffText


@admin.register(AlertWebhook)
class AlertWebhookAdmin(admin.ModelAdmin):
    list_display = ["__str__", "business", "kind", "on_reply", "on_missed_call", "on_sla", "active"]
    list_filter = ["kind", "active"]
    exclude = ["secret"]  # shown to the business's owners on their settings page, not here


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["created_at", "business", "event", "channel", "to", "status", "attempts", "error"]
    list_filter = ["event", "channel", "status"]
    readonly_fields = [f.name for f in Alert._meta.fields]


@admin.register(StaffText)
class StaffTextAdmin(admin.ModelAdmin):
    list_display = ["created_at", "business", "from_number", "outcome", "detail"]
    list_filter = ["outcome"]
    readonly_fields = [f.name for f in StaffText._meta.fields]
