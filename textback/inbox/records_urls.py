"""Records (textback/inbox/records.py): a borderline opt-out decided, the ledger and a contact's data exported,
a contact erased, the retention setting."""

from django.urls import path

from textback.inbox import records

urlpatterns = [
    path("b/<slug:slug>/conversations/<int:pk>/opt-out/confirm", records.confirm_opt_out, name="conversation-opt-out"),
    path(
        "b/<slug:slug>/conversations/<int:pk>/opt-out/dismiss",
        records.dismiss_opt_out,
        name="conversation-not-opt-out",
    ),
    path("b/<slug:slug>/consent.csv", records.consent_export, name="consent-export"),
    path("b/<slug:slug>/contacts/<int:pk>/consent.csv", records.contact_consent_export, name="contact-consent-export"),
    path("b/<slug:slug>/contacts/<int:pk>/export.json", records.contact_export, name="contact-export"),
    path("b/<slug:slug>/contacts/<int:pk>/erase", records.contact_erase, name="contact-erase"),
    path("b/<slug:slug>/settings/retention", records.retention_settings, name="settings-retention"),
]
