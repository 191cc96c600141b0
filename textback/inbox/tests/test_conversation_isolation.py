"""Another business's conversations, texts and calls are 404 through every route of the conversation page,
by GET and by every POST, under their slug and under ours, and nothing of theirs changes."""

from datetime import timedelta

import pytest
from django.utils import timezone

from textback.calls.models import Call
from textback.inbox import timeline
from textback.inbox.models import Presence
from textback.messaging.models import Conversation, ConversationEvent, ConversationRead, Message
from textback.outbox.models import OutboxItem

pytestmark = pytest.mark.django_db

POSTS = {
    "reply": {"body": "hello from alpha", "token": "t"},
    "note": {"body": "alpha was here"},
    "close": {},
    "reopen": {},
    "assign": {"assignee": ""},
    "outcome": {"outcome": "spam"},
    "presence": {"typing": "1"},
}


@pytest.fixture
def theirs(beta_line, beta_conversation, charlie):
    """BetaHVAC's conversation with a picture message, a voicemail and an assignee."""
    photo = "https://api.twilio.com/2010-04-01/Accounts/ACb/Messages/MM1/Media/ME1"
    message = Message.objects.filter(conversation=beta_conversation).first()
    Message.objects.filter(pk=message.pk).update(media=[{"url": photo, "content_type": "image/jpeg"}])
    call = Call.objects.get(line=beta_line)
    Call.objects.filter(pk=call.pk).update(voicemail=True, voicemail_seconds=9, recording_url=photo)
    Conversation.objects.filter(pk=beta_conversation.pk).update(assignee=charlie, status=Conversation.CLOSED)
    return {"conversation": beta_conversation, "message": message, "call": call}


def state() -> tuple:
    convo = Conversation.objects.order_by("pk").values_list("status", "assignee_id", "outcome")
    return (
        list(convo), ConversationEvent.objects.count(), Message.objects.count(), OutboxItem.objects.count(),
        Presence.objects.count(), ConversationRead.objects.count(),
    )  # fmt: skip


def paths(slug: str, theirs: dict, route: str) -> str:
    convo, message, call = theirs["conversation"].pk, theirs["message"].pk, theirs["call"].pk
    cursor = timeline.Key(timezone.now(), 0, 0).encode()  # a well-formed position: after all of theirs
    return {
        "conversation": f"/b/{slug}/conversations/{convo}",
        "conversation (earlier entries)": f"/b/{slug}/conversations/{convo}?before={cursor}",
        "conversation-live": f"/b/{slug}/conversations/{convo}/live",
        "conversation-live (since)": f"/b/{slug}/conversations/{convo}/live?since={cursor}",
        "conversation-earlier": f"/b/{slug}/conversations/{convo}/earlier?before={cursor}",
        "message-media": f"/b/{slug}/media/{message}/0",
        "call-recording": f"/b/{slug}/calls/{call}/recording",
        **{f"conversation-{action}": f"/b/{slug}/conversations/{convo}/{action}" for action in POSTS},
    }[route]


GETS = [
    "conversation", "conversation (earlier entries)", "conversation-live", "conversation-live (since)",
    "conversation-earlier", "message-media", "call-recording",
]  # fmt: skip


@pytest.mark.cross_tenant(
    "conversation", "conversation-live", "conversation-earlier", "message-media", "call-recording"
)
@pytest.mark.parametrize("route", GETS)
@pytest.mark.parametrize("slug", ["beta", "alpha"], ids=["their slug", "our slug"])
def test_their_pages_and_files_are_not_found(as_alice, alpha_line, theirs, route, slug):
    before = state()

    response = as_alice.get(paths(slug, theirs, route))

    assert response.status_code == 404
    assert b"api.twilio.com" not in response.content
    assert state() == before


def test_a_position_in_their_conversation_shows_only_ours(as_alice, alpha_conversation, theirs):
    """A cursor is a place in time, not a record: naming one of theirs in our links shows our entries."""
    message = theirs["message"]
    cursor = timeline.Key(message.created_at + timedelta(seconds=1), 1, message.pk + 1).encode()
    ours = Message.objects.filter(conversation=alpha_conversation).values_list("pk", flat=True)

    for path in (f"?before={cursor}", f"/earlier?before={cursor}", "/live?since=0-call-0"):
        content = as_alice.get(f"/b/alpha/conversations/{alpha_conversation.pk}{path}").content.decode()

        assert f'id="m{message.pk}"' not in content and f'id="call{theirs["call"].pk}"' not in content
        assert any(f'id="m{pk}"' in content for pk in ours), path


@pytest.mark.cross_tenant(
    "conversation-reply", "conversation-note", "conversation-close", "conversation-reopen", "conversation-assign",
    "conversation-outcome", "conversation-presence",
)  # fmt: skip
@pytest.mark.parametrize("action", list(POSTS))
@pytest.mark.parametrize("slug", ["beta", "alpha"], ids=["their slug", "our slug"])
def test_their_conversation_cannot_be_changed(as_alice, alpha_line, theirs, action, slug):
    before = state()

    response = as_alice.post(paths(slug, theirs, f"conversation-{action}"), POSTS[action])

    assert response.status_code == 404
    assert state() == before


@pytest.mark.parametrize("action", list(POSTS))
def test_the_same_posts_work_on_our_own_conversation(as_alice, alpha_conversation, action):
    """The refusals above are about the tenant, not about the requests."""
    response = as_alice.post(f"/b/alpha/conversations/{alpha_conversation.pk}/{action}", POSTS[action])

    assert response.status_code in (302, 204)


def test_their_conversation_id_in_our_forms_changes_nothing(as_alice, alpha_conversation, theirs, charlie):
    """Our own conversation's forms cannot name their assignee."""
    before = state()

    as_alice.post(f"/b/alpha/conversations/{alpha_conversation.pk}/assign", {"assignee": charlie.pk})

    assert state() == before
