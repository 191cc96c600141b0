"""The API tokens settings page, under b/<slug>/settings/ (the API itself is textback/api/v1.py)."""

from django.urls import path

from textback.api import views

urlpatterns = [
    path("api-tokens", views.api_tokens, name="api-tokens"),
    path("api-tokens/<int:pk>/revoke", views.revoke, name="api-token-revoke"),
]
