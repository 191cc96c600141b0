from django.urls import path

from textback.providers.sandbox import views

urlpatterns = [
    path("<slug:slug>/", views.simulator, name="simulator"),
    path("<slug:slug>/handset", views.handset, name="simulator-handset"),
    path("<slug:slug>/call", views.place_call, name="simulator-call"),
    path("<slug:slug>/text", views.send_text, name="simulator-text"),
]
