"""The conversation page, what staff do to a conversation, and the media its timeline plays and shows."""

from django.urls import path

from textback.inbox import conversation, media
from textback.rules import views as rules

urlpatterns = [
    path("b/<slug:slug>/conversations/<int:pk>", conversation.conversation, name="conversation"),
    path("b/<slug:slug>/conversations/<int:pk>/live", conversation.conversation_live, name="conversation-live"),
    path(
        "b/<slug:slug>/conversations/<int:pk>/earlier", conversation.conversation_earlier, name="conversation-earlier"
    ),
    path("b/<slug:slug>/conversations/<int:pk>/reply", conversation.reply, name="conversation-reply"),
    path("b/<slug:slug>/conversations/<int:pk>/note", conversation.note, name="conversation-note"),
    path("b/<slug:slug>/conversations/<int:pk>/close", conversation.close, name="conversation-close"),
    path(
        "b/<slug:slug>/conversations/<int:pk>/follow-ups/cancel",
        conversation.cancel_followups,
        name="conversation-followups-cancel",
    ),
    path("b/<slug:slug>/conversations/<int:pk>/reopen", conversation.reopen, name="conversation-reopen"),
    path("b/<slug:slug>/conversations/<int:pk>/assign", conversation.assign, name="conversation-assign"),
    path("b/<slug:slug>/conversations/<int:pk>/outcome", conversation.outcome, name="conversation-outcome"),
    path(
        "b/<slug:slug>/conversations/<int:pk>/resume-automation",
        conversation.resume_automation,
        name="conversation-resume-automation",
    ),
    path("b/<slug:slug>/conversations/<int:pk>/presence", conversation.heartbeat, name="conversation-presence"),
    path("b/<slug:slug>/conversations/<int:pk>/acknowledge", rules.acknowledge, name="conversation-acknowledge"),
    path("b/<slug:slug>/media/<int:pk>/<int:n>", media.message_media, name="message-media"),
    path("b/<slug:slug>/calls/<int:pk>/recording", media.call_recording, name="call-recording"),
]
