from django.urls import path

from textback.alerts import views

urlpatterns = [
    path("webhooks", views.webhooks, name="alert-webhooks"),
    path("webhooks/<int:pk>", views.webhook, name="alert-webhook"),
    path("webhooks/<int:pk>/delete", views.delete_webhook, name="alert-webhook-delete"),
    path("webhooks/<int:pk>/test", views.test_webhook, name="alert-webhook-test"),
]
