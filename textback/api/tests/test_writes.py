import pytest

from textback.accounts.models import Membership
from textback.messaging.models import Conversation, ConversationEvent, Message
from textback.outbox.models import OutboxItem
from textback.testing import a_missed_call, an_inbound_text


@pytest.fixture
def conversation(alpha_line):
    a_missed_call(alpha_line)
    an_inbound_text(alpha_line, "Can you come today?")
    return Conversation.objects.get(business=alpha_line.business)


def test_it_queues_a_reply_through_the_outbox_as_the_token_creator(api, alpha_write, conversation, alice):
    response = api.post(f"/conversations/{conversation.pk}/messages", alpha_write, {"body": "On our way."})
    assert response.status_code == 202
    sent = response.json()
    assert (sent["direction"], sent["sender_kind"], sent["purpose"], sent["status"]) == (
        "out",
        "staff",
        "reply",
        "scheduled",
    )
    message = Message.objects.get(pk=sent["id"])
    assert message.sent_by == alice
    assert OutboxItem.objects.filter(message=message).exists()
    conversation.refresh_from_db()
    assert conversation.awaiting_since is None


def test_it_sends_once_for_one_idempotency_key(api, alpha_write, conversation):
    url = f"/conversations/{conversation.pk}/messages"
    first = api.post(url, alpha_write, {"body": "On our way."}, HTTP_IDEMPOTENCY_KEY="abc")
    again = api.post(url, alpha_write, {"body": "On our way."}, HTTP_IDEMPOTENCY_KEY="abc")
    assert first.json()["id"] == again.json()["id"]
    assert Message.objects.filter(purpose=Message.REPLY).count() == 1


def test_it_refuses_to_text_an_opted_out_contact(api, alpha_write, conversation, alpha_line):
    an_inbound_text(alpha_line, "STOP")
    response = api.post(f"/conversations/{conversation.pk}/messages", alpha_write, {"body": "Hello?"})
    assert response.status_code == 409
    assert "opted out" in response.json()["detail"]
    assert not Message.objects.filter(purpose=Message.REPLY).exists()


@pytest.mark.parametrize(
    "body, field",
    [({"body": ""}, "body"), ({"body": "x" * 1601}, "body"), ({}, "body"), ({"body": "a\u0000b"}, "body"),
     ("{not json", "body"), ({"body": 5}, "body")],
)  # fmt: skip
def test_it_refuses_a_bad_message_body_with_its_field(api, alpha_write, conversation, body, field):
    response = api.post(f"/conversations/{conversation.pk}/messages", alpha_write, body)
    assert response.status_code in (400, 422)
    assert response.json()["detail"].startswith(field)
    assert not Message.objects.filter(purpose=Message.REPLY).exists()


def test_it_sets_a_booked_outcome_through_the_inbox_action(api, alpha_write, conversation, alice, forgotten):
    response = api.post(
        f"/conversations/{conversation.pk}/outcome", alpha_write, {"outcome": "booked", "value": "350.00"}
    )
    assert response.status_code == 200
    assert (response.json()["outcome"], response.json()["outcome_value"]) == ("booked", "350.00")
    conversation.refresh_from_db()
    assert (conversation.outcome, conversation.outcome_by) == ("booked", alice)
    assert ConversationEvent.objects.filter(conversation=conversation, kind=ConversationEvent.OUTCOME).exists()
    assert forgotten == [(conversation.business_id, conversation.pk)]


def test_it_clears_an_outcome(api, alpha_write, conversation):
    api.post(f"/conversations/{conversation.pk}/outcome", alpha_write, {"outcome": "spam"})
    response = api.post(f"/conversations/{conversation.pk}/outcome", alpha_write, {"outcome": ""})
    assert (response.status_code, response.json()["outcome"]) == (200, "")


@pytest.mark.parametrize(
    "payload, words",
    [({"outcome": "won"}, "not an outcome"), ({"outcome": "booked", "value": "lots"}, "not an amount"),
     ({"outcome": "lost"}, "Say why"), ({"outcome": "booked"}, "not an amount")],
)  # fmt: skip
def test_it_refuses_a_bad_outcome_with_the_reason(api, alpha_write, conversation, payload, words, forgotten):
    response = api.post(f"/conversations/{conversation.pk}/outcome", alpha_write, payload)
    assert response.status_code == 422
    assert words in response.json()["detail"]
    conversation.refresh_from_db()
    assert conversation.outcome == "" and forgotten == []


@pytest.mark.cross_tenant
def test_a_beta_token_cannot_write_to_alpha(api, beta_write, conversation):
    for path, body in (("messages", {"body": "hi"}), ("outcome", {"outcome": "spam"})):
        response = api.post(f"/conversations/{conversation.pk}/{path}", beta_write, body)
        assert response.status_code == 404
    conversation.refresh_from_db()
    assert conversation.outcome == ""
    assert not Message.objects.filter(purpose=Message.REPLY).exists()


def test_it_refuses_a_token_whose_creator_left(api, alpha_write, conversation, alice):
    Membership.objects.filter(user=alice).delete()
    response = api.post(f"/conversations/{conversation.pk}/messages", alpha_write, {"body": "hi"})
    assert response.status_code == 403
    assert "no longer works" in response.json()["detail"]


def test_a_token_whose_creator_is_now_an_agent_still_replies_but_cannot_set_outcomes(api, alpha_write, conversation,
                                                                                      alice):  # fmt: skip
    Membership.objects.filter(user=alice, business=conversation.business).update(role=Membership.AGENT)

    outcome = api.post(f"/conversations/{conversation.pk}/outcome", alpha_write, {"outcome": "booked", "value": "1"})
    reply = api.post(f"/conversations/{conversation.pk}/messages", alpha_write, {"body": "On our way"})

    assert outcome.status_code == 403
    assert outcome.json()["detail"] == (
        "The person this token sends as is no longer a manager of this business; make a new token."
    )
    assert reply.status_code == 202
    conversation.refresh_from_db()
    assert conversation.outcome == ""


def test_a_token_whose_creator_now_serves_other_lines_cannot_text_this_conversation(
    api, alpha_write, conversation, alice, alpha_sandbox_line
):
    membership = Membership.objects.get(user=alice, business=conversation.business)
    membership.role = Membership.AGENT
    membership.save()
    membership.lines.set([alpha_sandbox_line])

    response = api.post(f"/conversations/{conversation.pk}/messages", alpha_write, {"body": "hi"})

    assert response.status_code == 403
    assert "no longer serves this conversation's line" in response.json()["detail"]
    assert not Message.objects.filter(purpose=Message.REPLY).exists()


def test_a_token_whose_creator_was_deactivated_cannot_write_but_still_reads(api, alpha_write, conversation, alice):
    alice.is_active = False
    alice.save()

    response = api.post(f"/conversations/{conversation.pk}/messages", alpha_write, {"body": "hi"})

    assert response.status_code == 403
    assert "no longer works for the business" in response.json()["detail"]
    assert api.get(f"/conversations/{conversation.pk}", alpha_write).status_code == 200


def test_a_token_whose_creator_left_still_reads(api, alpha_write, conversation, alice):
    Membership.objects.filter(user=alice).delete()

    assert api.get("/conversations", alpha_write).json()["items"][0]["id"] == conversation.pk
