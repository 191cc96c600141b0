"""The SMS relay: a staff member answers a caller by replying to the alert text from their own phone."""

import pytest

from textback.accounts.models import Membership
from textback.alerts import relay
from textback.alerts.models import Alert, StaffText
from textback.messaging.actions import is_opted_out
from textback.messaging.models import Contact, Conversation, Message
from textback.testing import CALLER, an_inbound_text

pytestmark = pytest.mark.django_db

BOB_PHONE = "+15125550181"
OTHER_CALLER = "+15125550148"


@pytest.fixture
def bob_by_text(bob, alpha):
    Membership.objects.filter(user=bob).update(alert_email=False, alert_sms=True, phone=BOB_PHONE)
    Contact.objects.create(business=alpha, number=CALLER, name="Jane Doe")
    return bob


def alert_code(caller=CALLER) -> str:
    return Alert.objects.filter(channel=Alert.SMS, conversation__contact__number=caller).latest("created_at").code


def from_bob(line, body):
    return an_inbound_text(line, body, caller=BOB_PHONE)


def told_bob() -> list[str]:
    return [a.body for a in Alert.objects.filter(event=Alert.RELAY, to=BOB_PHONE).order_by("pk")]


def answers_to(caller=CALLER) -> list[Message]:
    return list(Message.objects.filter(direction=Message.OUT, contact__number=caller, purpose=Message.REPLY))


def test_replying_to_the_alert_answers_the_caller_from_the_business_number(bob_by_text, alpha_line):
    an_inbound_text(alpha_line, "my basement is flooding")

    from_bob(alpha_line, "On my way, 20 minutes")

    (answer,) = answers_to()
    assert (answer.line, answer.sent_by, answer.sender_kind) == (alpha_line, bob_by_text, Message.STAFF)
    assert answer.body == "AlphaPlumbing: On my way, 20 minutes Reply STOP to opt out."  # a first text names us
    conversation = Conversation.objects.get(contact__number=CALLER)
    assert conversation.awaiting_since is None and conversation.staff_replied_at is not None
    assert StaffText.objects.get().outcome == StaffText.RELAYED
    assert told_bob() == []


def test_a_code_picks_the_conversation(bob_by_text, alpha_line):
    an_inbound_text(alpha_line, "my basement is flooding")
    an_inbound_text(alpha_line, "need a quote", caller=OTHER_CALLER)
    jane, other = alert_code(), alert_code(OTHER_CALLER)
    assert jane != other

    from_bob(alpha_line, f"#{jane.lower()} Shut the main valve, I'm coming")

    (answer,) = answers_to()
    assert "Shut the main valve, I'm coming" in answer.body and "#" not in answer.body
    assert answers_to(OTHER_CALLER) == []


def test_without_a_code_two_waiting_callers_are_ambiguous_and_nobody_is_texted(bob_by_text, alpha_line):
    an_inbound_text(alpha_line, "my basement is flooding")
    an_inbound_text(alpha_line, "need a quote", caller=OTHER_CALLER)

    from_bob(alpha_line, "On my way")

    assert answers_to() == answers_to(OTHER_CALLER) == []
    (help_text,) = told_bob()
    assert help_text.startswith("Not sent: several callers are waiting. Start your reply with #")
    assert f"#{alert_code()} to answer Jane Doe (512) 555-0147" in help_text
    assert f"#{alert_code(OTHER_CALLER)} to answer (512) 555-0148" in help_text
    assert StaffText.objects.get().outcome == StaffText.HELPED


def test_without_a_code_the_one_caller_still_waiting_is_answered(bob_by_text, alpha_line):
    an_inbound_text(alpha_line, "my basement is flooding")
    an_inbound_text(alpha_line, "need a quote", caller=OTHER_CALLER)
    from_bob(alpha_line, f"#{alert_code(OTHER_CALLER)} Tomorrow at 9?")

    from_bob(alpha_line, "Coming now")

    (answer,) = answers_to()
    assert "Coming now" in answer.body


def test_a_text_with_nothing_to_answer_gets_help_back(bob_by_text, alpha_line):
    from_bob(alpha_line, "hello?")

    assert told_bob() == [
        "Nothing to answer: no caller was alerted to this phone in the last 24 hours. Nothing was sent."
    ]
    assert not Message.objects.exists()


def test_an_unknown_code_gets_help_back(bob_by_text, alpha_line):
    an_inbound_text(alpha_line, "my basement is flooding")
    unused = next(code for code in relay.CODES if code != alert_code())

    from_bob(alpha_line, f"#{unused} On my way")

    assert answers_to() == []
    assert told_bob()[0].startswith(f"No caller has the code #{unused} on this phone now; nothing was sent.")


def test_an_opted_out_caller_is_not_texted_and_the_staff_phone_is_told(bob_by_text, alpha_line):
    an_inbound_text(alpha_line, "my basement is flooding")
    an_inbound_text(alpha_line, "STOP")

    from_bob(alpha_line, "On my way")

    assert answers_to() == []
    (told,) = told_bob()
    assert told.startswith("Not sent to Jane Doe (512) 555-0147: Jane Doe opted out on")
    assert StaffText.objects.get().outcome == StaffText.NOT_SENT


def test_a_staff_phones_text_never_becomes_a_customer_conversation(bob_by_text, alpha_line, alpha_sandbox_line):
    for line in (alpha_line, alpha_sandbox_line):
        from_bob(line, "hello, is this thing on?")
        an_inbound_text(line, "ring list phone here", caller=line.forward_to[0])

    assert not Contact.objects.filter(number__in=[BOB_PHONE, alpha_line.forward_to[0]]).exists()
    assert not Conversation.objects.exists() and not Message.objects.exists()
    assert StaffText.objects.count() == 4


def test_a_ring_list_phone_that_is_nobodys_cannot_answer(bob_by_text, alpha_line):
    an_inbound_text(alpha_line, "my basement is flooding")

    an_inbound_text(alpha_line, "On my way", caller=alpha_line.forward_to[0])

    assert answers_to() == []
    assert Alert.objects.get(event=Alert.RELAY).body.startswith("This phone is not linked to a textback user")


def test_stop_from_a_staff_phone_opts_that_phone_out(bob_by_text, alpha, alpha_sandbox_line):
    from_bob(alpha_sandbox_line, "STOP")

    assert is_opted_out(alpha, BOB_PHONE)
    (confirmation,) = told_bob()
    assert "You are unsubscribed" in confirmation
    assert Alert.objects.get(event=Alert.RELAY).payload == {"always": True}  # the confirmation still goes
    an_inbound_text(alpha_sandbox_line, "are you there?")
    assert Alert.objects.filter(event=Alert.REPLY, to=BOB_PHONE).exists()  # queued, and stopped at hand-over


def test_start_from_an_opted_out_staff_phone_opts_it_back_in(bob_by_text, alpha, alpha_sandbox_line):
    from_bob(alpha_sandbox_line, "STOP")
    from_bob(alpha_sandbox_line, "START")

    assert not is_opted_out(alpha, BOB_PHONE)


def test_a_replayed_staff_text_is_relayed_once(bob_by_text, alpha_line):
    from textback.messaging import actions

    an_inbound_text(alpha_line, "my basement is flooding")
    inbound = actions.Inbound(line=alpha_line, provider="twilio", provider_message_id="SM" + "a" * 32,
                              from_number=BOB_PHONE, body="On my way")  # fmt: skip
    actions.do_inbound_sms(inbound)
    actions.do_inbound_sms(inbound)

    assert len(answers_to()) == 1


def test_codes_stay_the_same_for_a_conversation_and_differ_between_them(bob_by_text, alpha_line):
    an_inbound_text(alpha_line, "one")
    first = alert_code()
    an_inbound_text(alpha_line, "two")
    an_inbound_text(alpha_line, "three", caller=OTHER_CALLER)

    assert alert_code() == first != alert_code(OTHER_CALLER)
    assert relay.split_code("#k7: on my way") == ("K7", "on my way")
    assert relay.split_code("#1 priority") == ("", "#1 priority")
