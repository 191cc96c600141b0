from django.contrib.auth import views as auth_views
from django.urls import include, path

from textback.inbox import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login", views.LoginView.as_view(), name="login"),
    path("logout", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("textback.inbox.inbox_list_urls")),  # the inbox, its live endpoint, the calls list
    path("b/<slug:slug>/calls/<int:pk>", views.call_detail, name="call"),
    path("", include("textback.inbox.conversation_urls")),
    path("b/<slug:slug>/consent", views.consent_ledger, name="consent"),
    path("", include("textback.inbox.records_urls")),  # opt-outs to confirm, exports, erasure, retention
    path("b/<slug:slug>/settings/", include("textback.inbox.setup_urls")),
    path("b/<slug:slug>/contacts/", include("textback.inbox.contacts_urls")),
    path("", include("textback.accounts.urls")),
    path("b/<slug:slug>/settings/", include("textback.alerts.urls")),
    path("b/<slug:slug>/settings/", include("textback.api.urls")),
    path("", include("textback.reports.roi_urls")),  # the ROI calculator, costs settings, CSV exports
]
