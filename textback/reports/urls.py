from django.urls import path

from textback.reports import views

urlpatterns = [
    path("b/<slug:slug>/reports/", views.report, name="reports"),
    path("reports/", views.agency, name="agency-reports"),
]
