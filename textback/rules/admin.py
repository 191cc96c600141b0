from django.contrib import admin

from textback.rules.models import Closure


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    list_display = ("business", "first_day", "last_day", "label", "line")
    list_filter = ("business",)
