from django.contrib import admin

from textback.accounts.models import Business, Membership


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records of what happened: visible, never edited by hand. The calls, messages and outbox admins build on
    it; it lives here, in the app every other one is built on, so none of them imports an app above it."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    readonly_fields = ["phone_verified_at"]  # set when the person types back the code texted to the phone


@admin.register(Business)
class BusinessAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "time_zone", "country", "textback_outcomes", "cooldown_hours"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["signing_secret", "created_at"]
    inlines = [MembershipInline]
