from django.contrib import admin
from django.urls import include, path

from textback.api import v1 as api_v1
from textback.inbox import health
from textback.providers.generic import views as generic
from textback.providers.twilio import webhooks as twilio

twilio_hooks = [
    path("voice", twilio.voice, name="voice"),
    path("screen", twilio.screen, name="screen"),
    path("dial", twilio.dial, name="dial"),
    path("call-status", twilio.call_status, name="call-status"),
    path("recording", twilio.recording, name="recording"),
    path("sms", twilio.sms, name="sms"),
    path("sms-status", twilio.sms_status, name="sms-status"),
]

urlpatterns = [
    path("hooks/twilio/", include((twilio_hooks, "twilio"))),
    path("hooks/generic/call", generic.call, name="generic-call"),
    path("api/v1/", include((api_v1.urlpatterns(), "api-v1"))),
    path("healthz", health.healthz, name="healthz"),
    path("metrics", health.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("sandbox/", include("textback.providers.sandbox.urls")),
    path("", include("textback.reports.urls")),  # the recovery report: a business's and the agency page
    path("", include("textback.inbox.urls")),
]
