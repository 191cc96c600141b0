"""Collision care: who else has a conversation open, and whether they are typing.

Each open conversation page sends a heartbeat every few seconds (inbox/static/textback/conversation.js);
a heartbeat older than FRESH means the person left (closed the tab, lost the network, put the phone away).
"""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from textback.inbox.models import Presence

FRESH = timedelta(seconds=15)
HEARTBEAT_SECONDS = 5  # what the page's script waits between heartbeats


@dataclass(frozen=True)
class Colleague:
    name: str
    typing: bool


def display_name(user) -> str:
    return user.get_full_name() or user.first_name or user.get_username().split("@")[0]


def do_heartbeat(conversation, user, *, typing: bool = False, now=None) -> None:
    """The person has the conversation open as of now. Their stale rows elsewhere go, so the table stays
    about one row per person."""
    now = now or timezone.now()
    updated = Presence.objects.filter(conversation=conversation, user=user).update(typing=typing, seen_at=now)
    if not updated:
        Presence.objects.get_or_create(
            conversation=conversation,
            user=user,
            defaults={"business_id": conversation.business_id, "typing": typing, "seen_at": now},
        )
        Presence.objects.filter(user=user, seen_at__lt=now - FRESH).exclude(conversation=conversation).delete()


def do_leave(conversation, user) -> None:
    Presence.objects.filter(conversation=conversation, user=user).delete()


def others_here(conversation, user, *, now=None) -> list[Colleague]:
    """Everyone but `user` with the conversation open now, typists first (one query)."""
    since = (now or timezone.now()) - FRESH
    rows = (
        Presence.objects.filter(conversation=conversation, seen_at__gte=since)
        .exclude(user=user)
        .select_related("user")
        .order_by("-typing", "user_id")
    )
    return [Colleague(display_name(row.user), row.typing) for row in rows]
