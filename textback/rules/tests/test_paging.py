"""Paging: an emergency reply pages the on-call person at once, the caller is told once, an ACK (by text or
in the app) stops the page, and without one the next person in the order is paged every N minutes, then
the owners. Every step is on the conversation's timeline; every timed step is an outbox row."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction

from textback.accounts.models import Membership
from textback.alerts.models import Alert, StaffText
from textback.inbox import timeline
from textback.messaging.models import ConversationEvent, ExcludedNumber, Message
from textback.outbox.models import OutboxItem
from textback.rules import paging, routes
from textback.rules.models import OnCallPerson, OnCallSlot, Page
from textback.testing import CALLER, a_staff_phone, an_inbound_text

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")
TUESDAY_11PM = datetime(2026, 12, 8, 23, 0, tzinfo=CHICAGO)
BOB_PHONE, MARY_PHONE, ALICE_PHONE = "+15125550181", "+15125550182", "+15125550183"


@pytest.fixture
def on_call(alpha, alice, mary, bob):
    """Weeknights 17:00-08:00 bob; the on-call order mary, bob; alice the owner; every phone verified."""
    for user, number in ((bob, BOB_PHONE), (mary, MARY_PHONE), (alice, ALICE_PHONE)):
        a_staff_phone(user, number)
    member = {m.user_id: m for m in Membership.objects.filter(business=alpha)}
    for day in range(5):
        OnCallSlot.objects.create(business=alpha, membership=member[bob.pk], weekday=day, starts=time(17), ends=time(8))
    for n, user in enumerate((mary, bob)):
        OnCallPerson.objects.create(business=alpha, membership=member[user.pk], position=n)
    return member


@pytest.fixture
def clock():
    with time_machine.travel(TUESDAY_11PM, tick=False) as traveller:
        yield traveller


def paged_phones() -> list[str]:
    return [a.to for a in Alert.objects.filter(event=Alert.PAGE, channel=Alert.SMS).order_by("pk")]


def timeline_says() -> list[str]:
    return [e.body for e in ConversationEvent.objects.filter(kind__startswith="oncall_").order_by("pk")]


def caller_told() -> list[Message]:
    return list(Message.objects.filter(contact__number=CALLER, purpose=paging.PAGED_CONFIRMATION))


def test_an_emergency_reply_pages_the_person_on_call_at_once_by_text_and_email(on_call, alpha_line, clock):
    an_inbound_text(alpha_line, "EMERGENCY water everywhere")

    (text,) = Alert.objects.filter(event=Alert.PAGE, channel=Alert.SMS)
    assert (text.to, text.line, text.code) == (BOB_PHONE, alpha_line, text.code)
    assert text.body.startswith("EMERGENCY from (512) 555-0147") and f"ACK #{text.code}" in text.body
    (email,) = Alert.objects.filter(event=Alert.PAGE, channel=Alert.EMAIL)
    assert email.to == "bob@alpha.example" and "water everywhere" in email.body
    assert timeline_says() == ["Emergency (\u201cwater everywhere\u201d): paged bob"]


def test_the_paged_person_gets_the_page_instead_of_the_ordinary_alert_about_that_text(on_call, alpha_line, clock, bob):
    a_staff_phone(bob, BOB_PHONE, alert_sms=True, alert_email=True)
    an_inbound_text(alpha_line, "EMERGENCY water everywhere")
    bobs = Alert.objects.filter(membership=on_call[bob.pk], event=Alert.REPLY)
    assert bobs.exists() and set(bobs.values_list("status", flat=True)) == {Alert.CANCELED}
    others = Alert.objects.filter(event=Alert.REPLY).exclude(membership=on_call[bob.pk])
    assert others.exists() and Alert.CANCELED not in set(others.values_list("status", flat=True))


def test_the_caller_is_told_once_that_a_person_has_been_paged(on_call, alpha_line, clock):
    an_inbound_text(alpha_line, "EMERGENCY water everywhere")
    clock.shift(timedelta(minutes=1))
    an_inbound_text(alpha_line, "hello?? it's urgent")

    (told,) = caller_told()
    assert "paged our on-call person" in told.body
    assert Page.objects.count() == 1 and paged_phones() == [BOB_PHONE]


def test_without_an_ack_the_next_person_is_paged_after_five_minutes(on_call, alpha_line, clock, run_outbox):
    an_inbound_text(alpha_line, "no heat and the baby is cold")
    (row,) = OutboxItem.objects.filter(kind=paging.ESCALATE)
    assert row.due_at == TUESDAY_11PM + timedelta(minutes=5)

    clock.shift(timedelta(minutes=4, seconds=59))
    run_outbox()
    assert paged_phones() == [BOB_PHONE]
    clock.shift(timedelta(seconds=1))
    run_outbox()
    assert paged_phones() == [BOB_PHONE, MARY_PHONE]
    assert timeline_says()[-1] == "No answer from bob in 5 min: paged mary"


def test_when_the_order_is_exhausted_the_owner_is_paged_and_then_paging_stops(on_call, alpha_line, clock, run_outbox):
    an_inbound_text(alpha_line, "gas smell in the kitchen")
    for _ in range(4):
        clock.shift(timedelta(minutes=5))
        run_outbox()

    assert paged_phones() == [BOB_PHONE, MARY_PHONE, ALICE_PHONE]
    assert timeline_says()[-2:] == [
        "No answer from mary in 5 min: paged alice",
        "No answer from alice in 5 min: nobody is left to page",
    ]
    assert Page.objects.get().status == Page.EXHAUSTED
    assert not OutboxItem.objects.filter(kind=paging.ESCALATE, status=OutboxItem.PENDING).exists()


def test_ack_from_the_paged_phone_acknowledges_and_cancels_the_escalation(on_call, alpha_line, clock, run_outbox):
    an_inbound_text(alpha_line, "EMERGENCY")
    clock.shift(timedelta(minutes=2))
    an_inbound_text(alpha_line, "ack", caller=BOB_PHONE)

    page = Page.objects.get()
    assert (page.status, page.acked_by.user.username) == (Page.ACKED, "bob@alpha.example")
    assert OutboxItem.objects.get(kind=paging.ESCALATE).status == OutboxItem.CANCELED
    assert timeline_says()[-1] == "bob acknowledged by text (2 min after the first page)"
    assert StaffText.objects.get().outcome == StaffText.ACKED
    (answer,) = Alert.objects.filter(event=Alert.RELAY, to=BOB_PHONE)
    assert answer.body.startswith("Acknowledged: (512) 555-0147 is yours")
    clock.shift(timedelta(minutes=10))
    run_outbox()
    assert paged_phones() == [BOB_PHONE]  # nobody else was woken


def test_ack_with_a_code_picks_the_page_and_a_wrong_code_changes_nothing(on_call, alpha_line, clock):
    an_inbound_text(alpha_line, "EMERGENCY")
    code = Alert.objects.get(event=Alert.PAGE, channel=Alert.SMS).code
    an_inbound_text(alpha_line, "ACK #Z9" if code != "Z9" else "ACK #Y9", caller=BOB_PHONE)
    assert Page.objects.get().status == Page.OPEN
    assert "No emergency page with the code" in Alert.objects.filter(event=Alert.RELAY).last().body
    an_inbound_text(alpha_line, f"#{code.lower()} ack", caller=BOB_PHONE)
    assert Page.objects.get().status == Page.ACKED


def test_a_second_ack_is_told_someone_was_first(on_call, alpha_line, clock, run_outbox):
    an_inbound_text(alpha_line, "EMERGENCY")
    clock.shift(timedelta(minutes=5))
    run_outbox()  # mary paged too
    an_inbound_text(alpha_line, "ACK", caller=MARY_PHONE)
    an_inbound_text(alpha_line, "ACK", caller=BOB_PHONE)
    assert Page.objects.get().acked_by.user.username == "mary@alpha.example"
    assert "acknowledged already" in Alert.objects.filter(event=Alert.RELAY, to=BOB_PHONE).last().body


def test_an_ack_from_a_phone_that_was_never_paged_acknowledges_nothing(on_call, alpha_line, clock):
    an_inbound_text(alpha_line, "EMERGENCY")
    an_inbound_text(alpha_line, "ACK", caller=MARY_PHONE)
    assert Page.objects.get().status == Page.OPEN


def test_a_late_ack_after_nobody_was_left_still_takes_the_emergency(on_call, alpha_line, clock, run_outbox):
    an_inbound_text(alpha_line, "EMERGENCY")
    for _ in range(3):
        clock.shift(timedelta(minutes=5))
        run_outbox()
    assert Page.objects.get().status == Page.EXHAUSTED
    an_inbound_text(alpha_line, "ACK", caller=BOB_PHONE)
    assert Page.objects.get().status == Page.ACKED


def test_nobody_at_all_to_page_is_said_on_the_timeline(alpha, bob, alpha_line, clock):
    an_inbound_text(alpha_line, "EMERGENCY")  # bob is an agent with no phone, not on call; no owner
    assert Page.objects.get().status == Page.EXHAUSTED
    assert timeline_says() == ["Emergency (\u201cemergency\u201d): nobody could be paged: nobody is on call"]
    assert not OutboxItem.objects.filter(kind=paging.ESCALATE).exists()


def test_an_escalation_that_falls_due_after_an_ack_pages_nobody(on_call, alpha_line, clock, run_outbox):
    an_inbound_text(alpha_line, "EMERGENCY")
    page = Page.objects.get()
    with transaction.atomic():
        paging.do_ack(page, Membership.objects.get(pk=page.steps[0][0]), "in the app")
    # A worker that claimed the row just before the ACK canceled it still finds nothing to do.
    OutboxItem.objects.filter(kind=paging.ESCALATE).update(status=OutboxItem.PENDING)
    clock.shift(timedelta(minutes=5))
    (item,) = [i for i, _ in run_outbox() if i.kind == paging.ESCALATE]
    assert OutboxItem.objects.get(pk=item.pk).result == "not_needed"
    assert paged_phones() == [BOB_PHONE]


def test_a_person_without_a_verified_phone_or_email_is_skipped(on_call, alpha_line, clock, bob):
    a_staff_phone(bob, BOB_PHONE, verified=False)
    bob.email = ""
    bob.save()
    an_inbound_text(alpha_line, "EMERGENCY")
    assert paged_phones() == [MARY_PHONE]
    assert timeline_says() == ["Emergency (\u201cemergency\u201d): paged mary (bob: no verified phone or email)"]


def test_stop_is_never_an_emergency_route(on_call, alpha_line, clock):
    an_inbound_text(alpha_line, "STOP")
    assert not Page.objects.exists()


def test_a_switched_off_route_does_not_page(on_call, alpha, alpha_line, clock):
    routes.do_set_route(alpha, "page", active=False)
    an_inbound_text(alpha_line, "EMERGENCY")
    assert not Page.objects.exists()


def test_the_escalation_delay_is_the_business_setting(on_call, alpha, alpha_line, clock):
    routes.do_set_escalate_minutes(alpha, 1)
    an_inbound_text(alpha_line, "urgent")
    assert OutboxItem.objects.get(kind=paging.ESCALATE).due_at == TUESDAY_11PM + timedelta(minutes=1)


def test_each_step_reads_as_a_sentence_on_the_timeline(on_call, alpha_line, clock, run_outbox):
    an_inbound_text(alpha_line, "EMERGENCY")
    clock.shift(timedelta(minutes=5))
    run_outbox()
    conversation = Page.objects.get().conversation
    texts = [e.text for e in timeline.newest(conversation).entries if e.kind == timeline.EVENT]
    assert texts == ["Emergency (\u201cemergency\u201d): paged bob", "No answer from bob in 5 min: paged mary"]


def test_book_texts_the_booking_link(alpha, alpha_line):
    alpha.booking_link = "https://alpha.example/book"
    alpha.save()
    an_inbound_text(alpha_line, "BOOK")
    (reply,) = Message.objects.filter(purpose=routes.BOOKING_LINK)
    assert "https://alpha.example/book" in reply.body


def test_book_without_a_link_asks_staff_to_answer(alpha, alpha_line):
    an_inbound_text(alpha_line, "book")
    assert not Message.objects.filter(purpose=routes.BOOKING_LINK).exists()
    (event,) = ConversationEvent.objects.filter(kind=routes.BOOK_NO_LINK)
    assert "no booking link is set" in event.body


# --- erasure ---------------------------------------------------------------------------------------


def erase_the_caller(by) -> None:
    from textback.messaging.models import Contact
    from textback.messaging.records import do_erase_contact

    with transaction.atomic():
        do_erase_contact(Contact.objects.get(number=CALLER), by)


def test_it_stops_paging_when_the_callers_data_is_erased(on_call, alpha_line, clock, run_outbox, alice):
    an_inbound_text(alpha_line, "EMERGENCY water everywhere")
    erase_the_caller(alice)

    assert Page.objects.get().status != Page.OPEN
    assert OutboxItem.objects.get(kind=paging.ESCALATE).status == OutboxItem.CANCELED
    clock.shift(timedelta(minutes=10))
    run_outbox()
    assert paged_phones() == [BOB_PHONE]  # nobody else is woken about a person who is no longer on record


def test_it_forgets_the_emergency_words_quoted_on_the_timeline_when_the_caller_is_erased(
    on_call, alpha_line, clock, alice
):
    an_inbound_text(alpha_line, "EMERGENCY water everywhere")
    erase_the_caller(alice)

    said = " ".join(ConversationEvent.objects.values_list("body", flat=True))
    assert "water everywhere" not in said and "paged bob" in said
    assert Page.objects.get().word == ""


def test_it_names_an_erased_caller_erased_number_in_a_page_or_an_answer_to_an_ack(on_call, alpha_line, clock, alice):
    from textback.alerts import compose
    from textback.messaging.models import Contact

    an_inbound_text(alpha_line, "EMERGENCY water everywhere")
    erase_the_caller(alice)

    assert compose.who(Contact.objects.get(number__startswith="erased:")) == "Erased number"


def test_it_opts_out_rather_than_pages_a_caller_who_writes_urgent_stop_texting_me(on_call, alpha_line, clock):
    from textback.messaging import actions

    an_inbound_text(alpha_line, "URGENT stop texting me")

    assert not Page.objects.exists() and paged_phones() == [] and caller_told() == []
    assert actions.is_opted_out(alpha_line.business, CALLER)


def test_it_sends_no_blank_alert_about_a_caller_erased_before_it_went(on_call, alpha_line, clock, alice, run_outbox):
    an_inbound_text(alpha_line, "EMERGENCY water everywhere")
    assert Alert.objects.filter(status=Alert.QUEUED).exists()
    erase_the_caller(alice)

    assert not Alert.objects.filter(status__in=[Alert.QUEUED, Alert.RETRYING]).exists()
    run_outbox()
    assert not Alert.objects.filter(status=Alert.SENT).exists()


def test_it_neither_pages_nor_texts_a_number_on_the_do_not_text_list(on_call, alpha, alpha_line, clock):
    ExcludedNumber.objects.create(business=alpha, number=CALLER, label="the supplier")
    message = an_inbound_text(alpha_line, "Need the PO number, it's urgent")

    assert not Page.objects.exists() and paged_phones() == [] and caller_told() == []
    assert message.conversation.messages.filter(direction=Message.IN).exists()  # left in the inbox for staff


def test_it_does_not_text_the_booking_link_to_a_number_on_the_do_not_text_list(alpha, alpha_line):
    alpha.booking_link = "https://alpha.example/book"
    alpha.save()
    ExcludedNumber.objects.create(business=alpha, number=CALLER, label="family")
    an_inbound_text(alpha_line, "BOOK")
    assert not Message.objects.filter(purpose=routes.BOOKING_LINK).exists()
