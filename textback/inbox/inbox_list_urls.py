from django.urls import path

from textback.inbox import inbox_list

urlpatterns = [
    path("b/<slug:slug>/", inbox_list.inbox, name="business"),
    path("b/<slug:slug>/live", inbox_list.live, name="inbox-live"),
    path("b/<slug:slug>/calls", inbox_list.calls, name="calls"),
]
