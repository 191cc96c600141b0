from django.contrib import admin

from textback.accounts.admin import ReadOnlyAdmin
from textback.messaging.models import ConsentEvent, Contact, Conversation, ExcludedNumber, Message


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "business", "is_landline", "is_invalid"]
    search_fields = ["number", "name"]


@admin.register(ExcludedNumber)
class ExcludedNumberAdmin(admin.ModelAdmin):
    list_display = ["number", "label", "business"]
    search_fields = ["number", "label"]


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ["contact", "line", "business", "status", "last_message_at"]
    list_filter = ["status"]


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "business", "contact", "direction", "purpose", "status", "segments", "error_code"]
    list_filter = ["direction", "purpose", "status"]
    search_fields = ["contact__number", "provider_message_id"]


@admin.register(ConsentEvent)
class ConsentEventAdmin(ReadOnlyAdmin):
    """The ledger is append-only: it is read here; opt-outs arrive by text."""

    list_display = ["created_at", "business", "number", "kind", "source", "keyword"]
    list_filter = ["kind", "source"]
    search_fields = ["number"]
