"""Settings pages, under b/<slug>/settings/ (textback/inbox/setup.py)."""

from django.urls import path

from textback.inbox import followups_setup, setup, setup_hours
from textback.rules import views as rules

urlpatterns = [
    path("", setup.hub, name="settings"),
    path("profile", setup.profile, name="settings-profile"),
    path("hours", setup.hours, name="settings-hours"),
    path("hours/holidays", setup_hours.holidays, name="settings-holidays"),
    path("hours/closures", setup_hours.closures, name="settings-closures"),
    path("lines/", setup.lines, name="settings-lines"),
    path("lines/new", setup.line_new, name="settings-line-new"),
    path("lines/<int:pk>", setup.line, name="settings-line"),
    path("lines/<int:pk>/preview", setup.line_preview, name="settings-line-preview"),
    path("follow-ups", followups_setup.followups_page, name="settings-followups"),
    path("excluded/", setup.excluded, name="settings-excluded"),
    path("excluded/<int:pk>/remove", setup.excluded_remove, name="settings-excluded-remove"),
    path("canned/", setup.canned, name="settings-canned"),
    path("canned/<int:pk>", setup.canned_edit, name="settings-canned-edit"),
    path("canned/<int:pk>/delete", setup.canned_delete, name="settings-canned-delete"),
    path("on-call", rules.on_call, name="settings-on-call"),
]
