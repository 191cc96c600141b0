"""Follow-ups from the missed call to the phone: queued with the text-back, checked again when due, canceled
in the same transaction by whatever makes them moot."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction

from textback.calls import outcomes
from textback.conftest import CALLER
from textback.messaging import actions, contacts, conversations
from textback.messaging.models import Contact, Conversation, Message, MessageStatus
from textback.outbox.models import OutboxItem
from textback.rules import actions as rules
from textback.rules import followups
from textback.rules.models import FollowupPlan
from textback.testing import a_missed_call, a_staff_reply, an_inbound_text

pytestmark = pytest.mark.django_db
CHICAGO = ZoneInfo("America/Chicago")
MORNING = datetime(2026, 3, 4, 10, tzinfo=CHICAGO)  # a Wednesday
CANADIAN = "+14165550123"


@pytest.fixture
def followups_on(alpha):
    return FollowupPlan.objects.create(business=alpha, enabled=True)


@pytest.fixture
def clock():
    with time_machine.travel(MORNING, tick=False) as traveller:
        yield traveller


def pending(contact_number: str = CALLER) -> list[Message]:
    return list(
        Message.objects.filter(contact__number=contact_number, purpose=Message.FOLLOWUP, status=MessageStatus.SCHEDULED)
    )


def row(message: Message) -> OutboxItem:
    return OutboxItem.objects.get(message=message)


def test_follow_ups_are_off_by_default(alpha_sandbox_line, clock):
    a_missed_call(alpha_sandbox_line)
    assert Message.objects.filter(purpose=Message.TEXTBACK).count() == 1
    assert not Message.objects.filter(purpose=Message.FOLLOWUP).exists()


def test_a_missed_call_queues_the_default_follow_ups_an_hour_and_a_day_later(alpha_sandbox_line, followups_on, clock):
    a_missed_call(alpha_sandbox_line)
    first, second = sorted(pending(), key=lambda m: row(m).due_at)
    assert [row(first).due_at, row(second).due_at] == [MORNING + timedelta(hours=1), MORNING + timedelta(hours=24)]
    assert row(first).kind == rules.FOLLOWUP
    assert first.body.startswith("Hi there, it's Mike at AlphaPlumbing again.")
    assert first.body.endswith("Reply STOP to opt out.")


def test_a_follow_up_planned_for_the_night_is_due_next_morning(alpha_sandbox_line, followups_on, clock):
    clock.move_to(datetime(2026, 3, 4, 19, 15, tzinfo=CHICAGO))
    a_missed_call(alpha_sandbox_line)
    dues = sorted(row(m).due_at for m in pending())
    # +1 h is 20:15, allowed; +24 h is 19:15 tomorrow, allowed too.
    assert dues == [datetime(2026, 3, 4, 20, 15, tzinfo=CHICAGO), datetime(2026, 3, 5, 19, 15, tzinfo=CHICAGO)]
    FollowupPlan.objects.update(
        steps=followups.stored((followups.Step(timedelta(hours=3), "Hi", timedelta(hours=12)),))
    )
    a_missed_call(alpha_sandbox_line, caller="+15125550148")
    # +3 h is 22:15, quiet until 8:00, within its 12 h validity.
    assert [row(m).due_at for m in pending("+15125550148")] == [datetime(2026, 3, 5, 8, tzinfo=CHICAGO)]


def test_a_follow_up_with_no_allowed_moment_in_its_validity_is_looked_at_when_planned(
    alpha_sandbox_line, followups_on, clock
):
    clock.move_to(datetime(2026, 3, 4, 20, 30, tzinfo=CHICAGO))
    a_missed_call(alpha_sandbox_line)
    # +1 h is 21:30, quiet until 8:00, past its 4 h validity: looked at when planned, then skipped.
    assert min(row(m).due_at for m in pending()) == datetime(2026, 3, 4, 21, 30, tzinfo=CHICAGO)


def test_a_due_follow_up_becomes_a_text_and_goes(alpha_sandbox_line, followups_on, clock, run_outbox):
    a_missed_call(alpha_sandbox_line)
    run_outbox()  # the text-back
    clock.move_to(MORNING + timedelta(hours=1))
    run_outbox()  # the check turns the row into a text due now
    run_outbox()  # …which goes
    sent = Message.objects.filter(purpose=Message.FOLLOWUP).exclude(status=MessageStatus.SCHEDULED)
    assert [m.status for m in sent] != [] and all(m.status not in MessageStatus.NOT_SENT for m in sent)
    assert len(pending()) == 1


def test_a_follow_up_that_falls_in_quiet_hours_past_its_validity_is_skipped_with_why(
    alpha_sandbox_line, followups_on, clock, run_outbox
):
    clock.move_to(datetime(2026, 3, 4, 20, 30, tzinfo=CHICAGO))
    a_missed_call(alpha_sandbox_line)
    clock.move_to(datetime(2026, 3, 4, 21, 30, tzinfo=CHICAGO))
    run_outbox()
    skipped = Message.objects.get(purpose=Message.FOLLOWUP, status=rules.SKIPPED_STATUS)
    assert skipped.error_message.startswith("Quiet hours: Too late in America/Chicago")
    assert skipped.status_events.get().detail.startswith("skipped: Quiet hours")


def test_a_follow_up_to_a_paused_caller_is_skipped(alpha_sandbox_line, followups_on, clock, run_outbox):
    a_missed_call(alpha_sandbox_line)
    Contact.objects.filter(number=CALLER).update(automation_paused_at=MORNING)  # paused without canceling
    clock.move_to(MORNING + timedelta(hours=1))
    run_outbox()
    assert Message.objects.get(purpose=Message.FOLLOWUP, status=rules.SKIPPED_STATUS).error_message == (
        "Automatic texts to this caller are paused"
    )


def test_follow_ups_switched_off_after_queueing_are_skipped(alpha_sandbox_line, followups_on, clock, run_outbox):
    a_missed_call(alpha_sandbox_line)
    FollowupPlan.objects.filter(pk=followups_on.pk).update(enabled=False)
    clock.move_to(MORNING + timedelta(hours=1))
    run_outbox()
    assert Message.objects.get(status=rules.SKIPPED_STATUS).error_message == "Follow-ups were switched off"


# --- CASL ---------------------------------------------------------------------------------------


def test_a_canadian_callers_follow_up_records_when_implied_consent_began(
    alpha, alpha_sandbox_line, followups_on, clock
):
    alpha.allowed_countries = "US,CA"
    alpha.save()
    a_missed_call(alpha_sandbox_line, caller=CANADIAN)
    (first, _) = pending(CANADIAN)
    assert datetime.fromisoformat(row(first).payload["consent_at"]) == MORNING


def test_a_canadian_callers_follow_up_past_six_months_of_consent_is_skipped(
    alpha, alpha_sandbox_line, followups_on, clock, run_outbox
):
    alpha.allowed_countries = "US,CA"
    alpha.save()
    FollowupPlan.objects.filter(pk=followups_on.pk).update(
        steps=followups.stored((followups.Step(timedelta(days=7), "{business}: still need us?", timedelta(days=2)),))
    )
    a_missed_call(alpha_sandbox_line, caller=CANADIAN)
    (follow_up,) = pending(CANADIAN)
    # The missed call was on March 4; pretend it was 6 months ago by moving the recorded moment.
    item = row(follow_up)
    item.payload["consent_at"] = (MORNING - followups.CASL_IMPLIED_CONSENT).isoformat()
    item.save()
    clock.move_to(item.due_at)  # a week later (in UTC: the clocks changed meanwhile)
    run_outbox()
    follow_up.refresh_from_db()
    assert follow_up.status == rules.SKIPPED_STATUS
    assert "CASL" in follow_up.error_message


def test_a_us_callers_follow_up_has_no_consent_clock(alpha_sandbox_line, followups_on, clock):
    a_missed_call(alpha_sandbox_line)
    assert all("consent_at" not in row(m).payload for m in pending())


def test_every_follow_up_names_the_business_and_says_how_to_stop(alpha, alpha_sandbox_line, followups_on, clock):
    alpha.allowed_countries = "US,CA"
    alpha.save()
    FollowupPlan.objects.filter(pk=followups_on.pk).update(
        steps=followups.stored((followups.Step(timedelta(hours=2), "Still need a plumber?", timedelta(hours=3)),))
    )
    a_missed_call(alpha_sandbox_line, caller=CANADIAN)
    (follow_up,) = pending(CANADIAN)
    assert follow_up.body == "AlphaPlumbing: Still need a plumber? Reply STOP to opt out."


# --- cancellation, one trigger at a time ---------------------------------------------------------


def conversation() -> Conversation:
    return Conversation.objects.get(contact__number=CALLER)


def canceled_because() -> set[str]:
    return set(Message.objects.filter(purpose=Message.FOLLOWUP).values_list("error_message", flat=True))


def test_a_reply_from_the_caller_cancels_the_follow_ups(alpha_sandbox_line, followups_on, clock):
    a_missed_call(alpha_sandbox_line)
    an_inbound_text(alpha_sandbox_line, "Yes, the water heater is leaking")
    assert pending() == [] and canceled_because() == {"the contact replied"}
    assert not OutboxItem.objects.filter(kind=rules.FOLLOWUP, status=OutboxItem.PENDING).exists()


def test_an_opt_out_cancels_the_follow_ups(alpha_sandbox_line, followups_on, clock):
    a_missed_call(alpha_sandbox_line)
    an_inbound_text(alpha_sandbox_line, "STOP")
    assert pending() == [] and canceled_because() == {"the contact opted out"}


def test_it_cancels_the_follow_ups_when_the_caller_texts_help(alpha_sandbox_line, followups_on, clock):
    a_missed_call(alpha_sandbox_line)
    an_inbound_text(alpha_sandbox_line, "HELP")
    assert pending() == [] and canceled_because() == {"the contact replied"}
    assert Message.objects.filter(purpose=Message.HELP).exists()  # and they still get the HELP answer


def test_it_replaces_the_pending_follow_ups_when_a_second_missed_call_queues_its_own(
    alpha, alpha_sandbox_line, followups_on, clock
):
    alpha.cooldown_hours = 2
    alpha.save()
    first_call = a_missed_call(alpha_sandbox_line)
    clock.shift(timedelta(hours=3))  # past the cool-down; the first call's next-day follow-up is still pending
    second_call = a_missed_call(alpha_sandbox_line)

    assert {m.call_id for m in pending()} == {second_call.pk} and len(pending()) == 2
    earlier = Message.objects.filter(call=first_call, purpose=Message.FOLLOWUP, status=MessageStatus.CANCELED)
    assert earlier.count() == 2 and {m.error_message for m in earlier} == {"a newer missed call queued its own"}
    assert not OutboxItem.objects.filter(message__in=earlier, status=OutboxItem.PENDING).exists()


def test_a_message_from_staff_cancels_the_follow_ups(alpha_sandbox_line, followups_on, alice, clock):
    a_missed_call(alpha_sandbox_line)
    a_staff_reply(conversation(), alice)
    assert pending() == [] and canceled_because() == {"a person replied"}


def test_an_answered_call_from_the_caller_cancels_the_follow_ups(alpha_sandbox_line, followups_on, clock):
    a_missed_call(alpha_sandbox_line)
    a_missed_call(alpha_sandbox_line, outcome=outcomes.ANSWERED)
    assert pending() == [] and canceled_because() == {"a call with them was answered"}


def test_an_outcome_on_the_conversation_cancels_the_follow_ups(alpha_sandbox_line, followups_on, alice, clock):
    a_missed_call(alpha_sandbox_line)
    with transaction.atomic():
        conversations.do_set_outcome(conversation(), alice, Conversation.SPAM)
    assert pending() == [] and canceled_because() == {"an outcome was set"}


def test_excluding_the_contact_cancels_the_follow_ups(alpha, alpha_sandbox_line, followups_on, clock):
    a_missed_call(alpha_sandbox_line)
    with transaction.atomic():
        contacts.do_exclude_number(alpha, CALLER, "Mike's brother")
    assert pending() == [] and canceled_because() == {"the number was excluded"}


def test_textback_exclude_cancels_the_follow_ups(alpha, alpha_sandbox_line, followups_on, clock):
    from django.core.management import call_command

    a_missed_call(alpha_sandbox_line)
    call_command("exclude", "add", "--business", "alpha", "--number", "(512) 555-0147")
    assert pending() == [] and canceled_because() == {"the number was excluded"}


def test_staff_cancel_the_pending_follow_ups_and_the_timeline_says_so(alpha_sandbox_line, followups_on, bob, clock):
    a_missed_call(alpha_sandbox_line)
    assert len(rules.pending_followups(conversation())) == 2
    with transaction.atomic():
        assert rules.do_cancel_followups(conversation(), bob) == 2
    assert pending() == [] and rules.pending_followups(conversation()) == []
    assert conversation().events.get().kind == rules.FOLLOWUPS_CANCELED


def test_the_text_back_is_not_canceled_by_an_answered_call_when_follow_ups_are_off(alpha_sandbox_line, clock):
    a_missed_call(alpha_sandbox_line)
    a_missed_call(alpha_sandbox_line, outcome=outcomes.ANSWERED)
    assert Message.objects.get(purpose=Message.TEXTBACK).status == MessageStatus.SCHEDULED


def test_a_contact_of_another_business_keeps_its_follow_ups(alpha, beta, alpha_sandbox_line, followups_on, clock):
    a_missed_call(alpha_sandbox_line)
    actions.find_or_create_contact(beta, CALLER)
    with transaction.atomic():
        contacts.do_exclude_number(beta, CALLER, "")
    assert len(pending()) == 2


# --- a state's cap of automatic texts in 24 hours ------------------------------------------------


MIAMI = "+13055550123"  # a Florida area code: at most 3 automatic texts in 24 hours


def test_a_florida_caller_who_had_three_automatic_texts_today_gets_the_follow_up_when_one_ages_out(
    alpha_sandbox_line, followups_on, clock, run_outbox
):
    a_missed_call(alpha_sandbox_line, caller=MIAMI)
    text_back = Message.objects.get(purpose=Message.TEXTBACK)
    oldest = MORNING - timedelta(hours=22)
    for sent_at in (oldest, MORNING - timedelta(hours=5)):  # two earlier text-backs, sent yesterday and today
        Message.objects.create(**{
            f.name: getattr(text_back, f.name) for f in Message._meta.concrete_fields if f.name not in ("id", "ref")
        } | {"sent_at": sent_at, "status": MessageStatus.DELIVERED})  # fmt: skip
    Message.objects.filter(pk=text_back.pk).update(sent_at=MORNING, status=MessageStatus.DELIVERED)
    first = min(pending(MIAMI), key=lambda m: row(m).due_at)
    clock.move_to(MORNING + timedelta(hours=1))
    run_outbox()
    item = row(first)
    assert (item.status, item.result, item.due_at) == (
        OutboxItem.PENDING,
        followups.DAILY_LIMIT,
        oldest + timedelta(hours=24),
    )
    clock.move_to(item.due_at)
    run_outbox()
    assert row(first).kind == OutboxItem.SMS  # now an ordinary text, due at once


# --- a line with its own follow-ups --------------------------------------------------------------


def test_a_line_with_its_own_follow_ups_uses_them(alpha, alpha_sandbox_line, followups_on, clock):
    rules.do_save_plan(
        alpha, enabled=True, line=alpha_sandbox_line, start=followups.quiet.EARLIEST, end=followups.quiet.LATEST,
        steps=(followups.Step(timedelta(minutes=30), "{business} north: still there?", timedelta(hours=1)),),
    )  # fmt: skip
    a_missed_call(alpha_sandbox_line)
    (only,) = pending()
    assert row(only).due_at == MORNING + timedelta(minutes=30)
    assert only.body == "AlphaPlumbing north: still there? Reply STOP to opt out."


def test_a_line_whose_own_follow_ups_are_off_sends_none_while_the_business_has_them_on(
    alpha, alpha_sandbox_line, followups_on, clock
):
    rules.do_save_plan(
        alpha, enabled=False, line=alpha_sandbox_line, steps=followups.DEFAULT_STEPS,
        start=followups.quiet.EARLIEST, end=followups.quiet.LATEST,
    )  # fmt: skip
    a_missed_call(alpha_sandbox_line)
    assert pending() == []


def test_a_line_of_a_business_whose_follow_ups_are_off_may_have_them_on(alpha, alpha_sandbox_line, clock):
    rules.do_save_plan(
        alpha, enabled=True, line=alpha_sandbox_line, steps=followups.DEFAULT_STEPS,
        start=followups.quiet.EARLIEST, end=followups.quiet.LATEST,
    )  # fmt: skip
    a_missed_call(alpha_sandbox_line)
    assert len(pending()) == 2
    assert rules.do_follow_the_business(alpha, alpha_sandbox_line)
    assert rules.plan_for(alpha, alpha_sandbox_line).enabled is False


def test_a_plan_cannot_be_saved_for_another_business_line(alpha, beta_line):
    with pytest.raises(rules.Refused, match="another business"):
        rules.do_save_plan(
            alpha, enabled=True, line=beta_line, steps=followups.DEFAULT_STEPS,
            start=followups.quiet.EARLIEST, end=followups.quiet.LATEST,
        )  # fmt: skip
