"""The SMS relay: a staff member answers a caller by replying to the alert text from their own phone."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from textback.alerts import relay
from textback.alerts.models import Alert, StaffText
from textback.messaging.actions import is_opted_out
from textback.messaging.models import Contact, Conversation, Message
from textback.testing import CALLER, a_staff_phone, a_staff_reply, an_inbound_text

pytestmark = pytest.mark.django_db

BOB_PHONE = "+15125550181"
OTHER_CALLER = "+15125550148"
JANE = "Jane Doe (512) 555-0147"


@pytest.fixture
def bob_by_text(bob, alpha):
    a_staff_phone(bob, BOB_PHONE, alert_email=False, alert_sms=True)
    Contact.objects.create(business=alpha, number=CALLER, name="Jane Doe")
    return bob


@pytest.fixture
def clock():
    """Time stands still but for `clock.shift(…)`: a person reads an alert and answers some time later."""
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


@pytest.fixture
def from_bob(bob_by_text, clock):
    """Bob's phone texts the line, a minute after whatever happened last (sooner, `after=`)."""

    def text(line, body, *, after=timedelta(minutes=1)):
        clock.shift(after)
        return an_inbound_text(line, body, caller=BOB_PHONE)

    return text


def alert_code(caller=CALLER) -> str:
    return Alert.objects.filter(channel=Alert.SMS, conversation__contact__number=caller).latest("created_at").code


def told_bob() -> list[str]:
    return [a.body for a in Alert.objects.filter(event=Alert.RELAY, to=BOB_PHONE).order_by("pk")]


def answers_to(caller=CALLER) -> list[Message]:
    return list(Message.objects.filter(direction=Message.OUT, contact__number=caller, purpose=Message.REPLY))


def outcome() -> tuple[str, str]:
    """What the relay did with the latest text from a staff phone, as recorded."""
    text = StaffText.objects.latest("pk")
    return text.outcome, text.detail


# --- which conversation an answer goes to --------------------------------------------------------


def test_replying_to_the_alert_answers_the_caller_from_the_business_number(from_bob, bob_by_text, alpha_line):
    an_inbound_text(alpha_line, "my basement drain is slow")

    from_bob(alpha_line, "On my way, 20 minutes")

    (answer,) = answers_to()
    assert (answer.line, answer.sent_by, answer.sender_kind) == (alpha_line, bob_by_text, Message.STAFF)
    assert answer.body == "AlphaPlumbing: On my way, 20 minutes Reply STOP to opt out."  # a first text names us
    conversation = Conversation.objects.get(contact__number=CALLER)
    assert conversation.awaiting_since is None and conversation.staff_replied_at is not None
    assert outcome() == (StaffText.RELAYED, "")
    assert told_bob() == [f"Sent to {JANE}."]


def test_a_code_picks_the_conversation(from_bob, alpha_line):
    an_inbound_text(alpha_line, "my basement drain is slow")
    an_inbound_text(alpha_line, "need a quote", caller=OTHER_CALLER)
    jane, other = alert_code(), alert_code(OTHER_CALLER)
    assert jane != other

    from_bob(alpha_line, f"#{jane.lower()} Shut the main valve, I'm coming")

    (answer,) = answers_to()
    assert "Shut the main valve, I'm coming" in answer.body and "#" not in answer.body
    assert answers_to(OTHER_CALLER) == []


def test_an_uncoded_reply_to_the_latest_alert_goes_to_the_caller_it_was_meant_for(from_bob, alpha_line, mary):
    """Jane and Bob both text; a colleague answers Bob from the inbox; the staff phone answers Bob's alert
    (the latest in its thread) without a code. It used to reach Jane, the one still waiting."""
    an_inbound_text(alpha_line, "my basement drain is slow")
    bob_the_caller = an_inbound_text(alpha_line, "can you come at 3?", caller=OTHER_CALLER).conversation
    a_staff_reply(bob_the_caller, mary, "Let me check with the plumber.")

    from_bob(alpha_line, "Yes Bob, see you at 3")

    assert answers_to() == []
    assert [answer.sent_by for answer in answers_to(OTHER_CALLER)] == [mary]  # the colleague's, nothing more
    (help_text,) = told_bob()
    assert help_text.startswith("Not sent: 2 callers were alerted to this phone in the last 24 hours. Start your")
    assert f"#{alert_code(OTHER_CALLER)} to answer (512) 555-0148" in help_text
    assert f"#{alert_code()} to answer {JANE}" in help_text
    assert outcome()[0] == StaffText.HELPED


def test_without_a_code_one_caller_alerted_today_is_answered_even_after_a_reply_from_the_inbox(
    from_bob, alpha_line, mary
):
    conversation = an_inbound_text(alpha_line, "my basement drain is slow").conversation
    a_staff_reply(conversation, mary, "Bob is on his way.")

    from_bob(alpha_line, "Traffic, 10 more minutes", after=timedelta(hours=23))

    assert [answer.sent_by.username for answer in answers_to()] == ["mary@alpha.example", "bob@alpha.example"]


def test_a_caller_alerted_more_than_24_hours_ago_no_longer_counts_without_a_code(from_bob, alpha_line):
    an_inbound_text(alpha_line, "my basement drain is slow")
    code = alert_code()

    from_bob(alpha_line, "Still need us?", after=timedelta(hours=25))
    from_bob(alpha_line, f"#{code} Still need us?")

    assert told_bob()[0] == (
        "Nothing to answer: no caller was alerted to this phone in the last 24 hours. Nothing was sent."
    )
    (answer,) = answers_to()  # the code is good for 7 days
    assert "Still need us?" in answer.body


def test_a_text_with_nothing_to_answer_gets_help_back(from_bob, alpha_line):
    from_bob(alpha_line, "hello?")

    assert told_bob() == [
        "Nothing to answer: no caller was alerted to this phone in the last 24 hours. Nothing was sent."
    ]
    assert not Message.objects.exists()


def test_an_unknown_code_gets_help_back(from_bob, alpha_line):
    an_inbound_text(alpha_line, "my basement drain is slow")
    unused = next(code for code in relay.CODES if code != alert_code())

    from_bob(alpha_line, f"#{unused} On my way")

    assert answers_to() == []
    assert told_bob()[0].startswith(f"No caller has the code #{unused} on this phone now; nothing was sent.")


def test_an_opted_out_caller_is_not_texted_and_the_staff_phone_is_told(from_bob, alpha_line):
    an_inbound_text(alpha_line, "my basement drain is slow")
    an_inbound_text(alpha_line, "STOP")

    from_bob(alpha_line, "On my way")

    assert answers_to() == []
    (told,) = told_bob()
    assert told.startswith(f"Not sent to {JANE}: Jane Doe opted out on")
    assert outcome()[0] == StaffText.NOT_SENT


# --- the confirmation -----------------------------------------------------------------------------


def test_each_caller_an_answer_reaches_is_named_to_the_phone_once_a_day(from_bob, alpha_line):
    an_inbound_text(alpha_line, "my basement drain is slow")
    an_inbound_text(alpha_line, "need a quote", caller=OTHER_CALLER)
    jane, other = alert_code(), alert_code(OTHER_CALLER)

    from_bob(alpha_line, f"#{jane} On my way")
    from_bob(alpha_line, f"#{jane} Shut the main valve")
    from_bob(alpha_line, f"#{other} Tomorrow at 9?")
    from_bob(alpha_line, f"#{jane} Here now", after=timedelta(hours=25))

    assert len(answers_to()) == 3 and len(answers_to(OTHER_CALLER)) == 1
    assert told_bob() == [f"Sent to {JANE}.", "Sent to (512) 555-0148.", f"Sent to {JANE}."]


# --- automatic replies -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "I'm driving with Driving Focus turned on. I'll see your message when I get where I'm going.",
        "I’m driving with Do Not Disturb While Driving turned on. I’ll see your message when I get where I’m going.",
        "I'm driving right now - I'll get back to you later",
        "I'm driving right now.",
        "Auto-Reply: I am on a job site until 5pm.",
        "[Automatic reply] Out of the office today",
        "Mike has notifications silenced with Focus.",
    ],
)
def test_a_phones_automatic_reply_never_reaches_the_caller(from_bob, alpha_line, body):
    an_inbound_text(alpha_line, "my basement drain is slow")

    from_bob(alpha_line, body)

    assert answers_to() == [] and told_bob() == []  # nothing to the caller, nothing back to the phone
    assert outcome() == (StaffText.AUTO_REPLY, "an automatic reply's wording")


def test_a_person_who_mentions_driving_is_relayed(from_bob, alpha_line):
    an_inbound_text(alpha_line, "my basement drain is slow")

    from_bob(alpha_line, "I'm driving, there in 10. Turn the water off at the main.")

    (answer,) = answers_to()
    assert "I'm driving, there in 10" in answer.body


def test_a_text_arriving_seconds_after_the_alert_is_taken_for_an_automatic_reply(from_bob, alpha_line):
    an_inbound_text(alpha_line, "my basement drain is slow")
    alert = Alert.objects.get(to=BOB_PHONE)

    from_bob(alpha_line, "Busy now", after=timedelta(seconds=2))
    assert outcome() == (StaffText.AUTO_REPLY, f"arrived within 5 s of alert {alert.pk} to this phone")
    from_bob(alpha_line, f"#{alert.code} Busy now, there at 4", after=timedelta(seconds=1))  # a code: a person's

    (answer,) = answers_to()
    assert "there at 4" in answer.body


def test_help_texts_back_to_a_phone_stop_after_five_in_ten_minutes(from_bob, alpha_line):
    for _ in range(7):
        from_bob(alpha_line, "hello?", after=timedelta(seconds=30))

    assert len(told_bob()) == 5
    assert outcome()[1].endswith("(not answered: 5 texts went back to this phone in the last 10 minutes)")
    from_bob(alpha_line, "hello?", after=timedelta(minutes=10))
    assert len(told_bob()) == 6


# --- whose texts the relay takes ---------------------------------------------------------------------


def test_an_unverified_phone_is_neither_relayed_nor_answered_nor_a_customer(bob, alpha, alpha_line, clock):
    a_staff_phone(bob, BOB_PHONE, verified=False, alert_sms=True)
    an_inbound_text(alpha_line, "my basement drain is slow")
    clock.shift(timedelta(minutes=1))

    an_inbound_text(alpha_line, "On my way", caller=BOB_PHONE)

    assert answers_to() == [] and told_bob() == []
    assert not Contact.objects.filter(number=BOB_PHONE).exists()
    assert outcome() == (StaffText.UNVERIFIED, "the member's phone is not verified (My settings)")


def test_a_staff_phones_text_never_becomes_a_customer_conversation(from_bob, alpha_line, alpha_sandbox_line):
    for line in (alpha_line, alpha_sandbox_line):
        from_bob(line, "hello, is this thing on?")
        an_inbound_text(line, "ring list phone here", caller=line.forward_to[0])

    assert not Contact.objects.filter(number__in=[BOB_PHONE, alpha_line.forward_to[0]]).exists()
    assert not Conversation.objects.exists() and not Message.objects.exists()
    assert StaffText.objects.count() == 4


def test_a_ring_list_phone_that_is_nobodys_cannot_answer(bob_by_text, alpha_line, clock):
    an_inbound_text(alpha_line, "my basement drain is slow")

    an_inbound_text(alpha_line, "On my way", caller=alpha_line.forward_to[0])

    assert answers_to() == []
    assert Alert.objects.get(event=Alert.RELAY).body.startswith("This phone is not linked to a textback user")


@pytest.mark.parametrize("body", ["hello from the other line", "HELP", "STOP"])
def test_a_text_from_another_of_the_business_lines_is_ignored_and_never_answered(
    alpha, alpha_line, alpha_sandbox_line, body
):
    an_inbound_text(alpha_sandbox_line, body, caller=alpha_line.number)

    assert outcome() == (StaffText.IGNORED, "sent from one of the business's own lines")
    assert not Alert.objects.exists() and not Message.objects.exists() and not Contact.objects.exists()
    assert not is_opted_out(alpha, alpha_line.number)


def test_stop_from_a_staff_phone_opts_that_phone_out(from_bob, alpha, alpha_sandbox_line):
    from_bob(alpha_sandbox_line, "STOP")

    assert is_opted_out(alpha, BOB_PHONE)
    (confirmation,) = told_bob()
    assert "You are unsubscribed" in confirmation
    assert Alert.objects.get(event=Alert.RELAY).payload == {"always": True}  # the confirmation still goes
    an_inbound_text(alpha_sandbox_line, "are you there?")
    assert Alert.objects.filter(event=Alert.REPLY, to=BOB_PHONE).exists()  # queued, and stopped at hand-over


def test_start_from_an_opted_out_staff_phone_opts_it_back_in(from_bob, alpha, alpha_sandbox_line):
    from_bob(alpha_sandbox_line, "STOP")
    from_bob(alpha_sandbox_line, "START")

    assert not is_opted_out(alpha, BOB_PHONE)


def test_a_replayed_staff_text_is_relayed_once(bob_by_text, alpha_line, clock):
    from textback.messaging import actions

    an_inbound_text(alpha_line, "my basement drain is slow")
    clock.shift(timedelta(minutes=1))
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
