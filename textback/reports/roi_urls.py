"""The ROI calculator, the costs and trade settings, and the CSV exports (reports/roi_views.py, exports.py)."""

from django.urls import path

from textback.reports import exports, roi_views

urlpatterns = [
    path("b/<slug:slug>/reports/roi", roi_views.calculator, name="reports-roi"),
    path("b/<slug:slug>/settings/costs", roi_views.costs_settings, name="settings-costs"),
    path("b/<slug:slug>/reports/exports", exports.exports_page, name="reports-exports"),
    path("b/<slug:slug>/reports/calls.csv", exports.calls_csv, name="reports-calls-csv"),
    path("b/<slug:slug>/reports/conversations.csv", exports.conversations_csv, name="reports-conversations-csv"),
    path("b/<slug:slug>/reports/funnel.csv", exports.funnel_csv, name="reports-funnel-csv"),
]
