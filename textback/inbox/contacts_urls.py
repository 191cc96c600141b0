"""Contacts, under b/<slug>/contacts/ (textback/inbox/contacts.py)."""

from django.urls import path

from textback.inbox import contacts

urlpatterns = [
    path("", contacts.contact_list, name="contacts"),
    path("<int:pk>", contacts.contact, name="contact"),
    path("<int:pk>/exclusion", contacts.exclusion, name="contact-exclusion"),
]
