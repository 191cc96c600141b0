from django.contrib import admin

from textback.accounts.admin import ReadOnlyAdmin
from textback.outbox.models import OutboxItem


@admin.register(OutboxItem)
class OutboxItemAdmin(ReadOnlyAdmin):
    list_display = ["due_at", "kind", "business", "status", "attempts", "result", "last_error"]
    list_filter = ["kind", "status"]
