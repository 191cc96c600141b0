"""My settings: each person's phone (verified by a texted code), alert channels, what to be alerted about, and
quiet time, per business."""

import re
from datetime import time, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from textback.accounts.models import Membership
from textback.alerts.models import Alert, PhoneCode
from textback.messaging.actions import record_consent
from textback.messaging.models import ConsentEvent, ExcludedNumber
from textback.providers.sandbox.models import SandboxMessage
from textback.testing import CALLER, a_missed_call, a_staff_phone, an_inbound_text, flashed, page_text

pytestmark = pytest.mark.django_db

BOB_PHONE = "+15125550188"

DEFAULTS = {"alert_email": "on", "alert_browser": "on", "alert_on_reply": "on", "alert_on_sla": "on"}


def save(client, slug="alpha", **fields):
    return client.post(reverse("my-settings", args=[slug]), {**DEFAULTS, **fields})


def mine(user, slug="alpha") -> Membership:
    return Membership.objects.get(user=user, business__slug=slug)


def test_an_agent_sets_a_phone_channels_and_an_overnight_quiet_time(client, bob):
    client.force_login(bob)
    response = save(client, phone="(512) 555-0188", alert_sms="on", alert_on_missed_call="on", quiet_start="21:00",
                    quiet_end="07:00", escalations_in_quiet_time="on", alert_email="")  # fmt: skip
    assert response.status_code == 302
    me = mine(bob)
    assert me.phone == "+15125550188"
    assert (me.alert_email, me.alert_sms, me.alert_browser) == (False, True, True)
    assert (me.alert_on_reply, me.alert_on_missed_call, me.alert_on_sla) == (True, True, True)
    assert (me.quiet_start, me.quiet_end, me.escalations_in_quiet_time) == (time(21), time(7), True)
    page = client.get(reverse("my-settings", args=["alpha"])).content.decode()
    assert 'value="+15125550188"' in page and 'value="21:00"' in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"phone": "call me maybe"}, "is not a phone number we can text"),
        ({"alert_sms": "on"}, "Add your phone number to get alerts by text message"),
        ({"quiet_start": "22:00"}, "Give both the start and the end of your quiet time"),
        ({"quiet_start": "22:00", "quiet_end": "22:00"}, "starts and ends at the same time"),
        ({"quiet_start": "25:99", "quiet_end": "07:00"}, "hours and minutes, such as 21:00"),
        ({"phone": "+15125550100"}, "give the phone you carry"),
    ],
)
def test_bad_settings_are_explained_and_nothing_is_saved(client, bob, alpha_line, fields, message):
    client.force_login(bob)
    response = save(client, **fields)
    assert response.status_code == 400 and message in response.content.decode()
    me = mine(bob)
    assert (me.phone, me.alert_sms, me.quiet_start) == ("", False, None)


def test_two_people_of_one_business_cannot_share_a_phone(client, bob, mary):
    Membership.objects.filter(user=mary).update(phone="+15125550188")
    client.force_login(bob)
    response = save(client, phone="512-555-0188")
    assert response.status_code == 400 and "already" in response.content.decode()


def test_settings_are_per_business(client, charlie, alpha):
    Membership.objects.create(user=charlie, business=alpha, role=Membership.AGENT)
    client.force_login(charlie)
    save(client, "alpha", alert_sms="on", phone="+12145550188")
    assert mine(charlie, "alpha").alert_sms and not mine(charlie, "beta").alert_sms


# --- which numbers can be a staff phone -------------------------------------------------------------------


def test_a_staff_phone_that_is_a_customers_number_is_refused(as_bob, bob, alpha_line):
    """A customer's number as a staff phone would get other callers' words, and the customer's texts would be
    taken for staff answers."""
    an_inbound_text(alpha_line, "my basement is flooding")

    response = save(as_bob, phone="(512) 555-0147", alert_sms="on")

    assert response.status_code == 400
    assert "(512) 555-0147 is a customer&#x27;s number: it has texted or called AlphaPlumbing" in page_text(response)
    assert mine(bob).phone == "" and not PhoneCode.objects.exists() and not Alert.objects.filter(to=CALLER).exists()


def test_a_caller_whose_call_was_missed_is_a_customer_too(as_bob, bob, alpha_line):
    a_missed_call(alpha_line)

    assert save(as_bob, phone=CALLER).status_code == 400
    assert mine(bob).phone == ""


def test_a_colleagues_own_calls_to_the_line_do_not_make_their_phone_a_customers(as_bob, bob, alpha_line):
    a_staff_phone(bob, BOB_PHONE)
    a_missed_call(alpha_line, caller=BOB_PHONE)  # no text-back: one of the business's own numbers
    save(as_bob, phone="")

    assert save(as_bob, phone=BOB_PHONE).status_code == 302
    assert mine(bob).phone == BOB_PHONE


def test_a_number_that_sent_stop_is_refused_until_it_texts_start(as_bob, bob, alpha):
    record_consent(alpha, BOB_PHONE, ConsentEvent.OPT_OUT, source=ConsentEvent.KEYWORD, keyword="STOP")

    response = save(as_bob, phone=BOB_PHONE)

    assert response.status_code == 400
    assert "sent STOP to AlphaPlumbing, so textback may not text it. Text START from it" in page_text(response)


def test_an_excluded_number_can_be_a_staff_phone(as_bob, bob, alpha, alpha_sandbox_line):
    ExcludedNumber.objects.create(business=alpha, number=BOB_PHONE)  # owners list staff phones there

    assert save(as_bob, phone=BOB_PHONE).status_code == 302


def test_the_admin_cannot_store_a_phone_unnormalised_or_twice(bob, mary):
    from django.core.exceptions import ValidationError
    from django.db import IntegrityError, transaction

    me = mine(bob)
    me.phone = "(512) 555-0188"
    me.full_clean()
    assert me.phone == BOB_PHONE
    me.save()
    theirs = mine(mary)
    theirs.phone = "512.555.0188"
    with pytest.raises(ValidationError, match="already another member's phone"):
        theirs.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.filter(pk=theirs.pk).update(phone=BOB_PHONE)
    Membership.objects.filter(pk=theirs.pk).update(phone="")
    Membership.objects.update(phone="")  # many members with no phone are fine


# --- verifying a phone: the code texted from a business line, typed back -------------------------------------


@pytest.fixture
def bob_saved_a_phone(as_bob, bob, alpha_sandbox_line, run_outbox):
    """Bob saved his phone with text alerts on; the outbox ran, so the code is on the simulated handset."""
    response = save(as_bob, phone="(512) 555-0188", alert_sms="on")
    assert response.status_code == 302
    run_outbox()
    return response


def texted_code() -> str:
    (carried,) = SandboxMessage.objects.filter(to_number=BOB_PHONE).order_by("-pk")[:1]
    return re.search(r"\b(\d{6})\b", carried.body).group(1)


def verify(client, code: str):
    return client.post(reverse("my-phone-verify", args=["alpha"]), {"code": code})


def test_a_new_phone_gets_a_code_on_the_simulated_handset_and_typing_it_back_verifies_it(
    as_bob, bob, bob_saved_a_phone
):
    assert "We texted a code to (512) 555-0188" in flashed(as_bob.get(reverse("my-settings", args=["alpha"])))
    (carried,) = SandboxMessage.objects.filter(to_number=BOB_PHONE)
    assert carried.from_number == "+17375550100"
    assert re.fullmatch(r"AlphaPlumbing: \d{6} is your code to verify this phone for textback alerts\. It expires in "
                        r"15 minutes\. Did not ask for it\? Ignore this text\.", carried.body)  # fmt: skip
    page = page_text(as_bob.get(reverse("my-settings", args=["alpha"])))
    assert "Verify my phone" in page and "the phone simulator" in page
    handset = page_text(as_bob.get(reverse("simulator", args=["alpha"]), {"handset": BOB_PHONE}))
    assert texted_code() in handset
    assert not mine(bob).phone_is_verified

    response = verify(as_bob, texted_code())

    assert response.status_code == 302
    assert mine(bob).phone_is_verified
    page = as_bob.get(reverse("my-settings", args=["alpha"]))
    assert "is verified: text alerts and answering callers by text are on" in flashed(page)
    assert "Verify my phone" not in page_text(page) and "Verified</strong> on" in page_text(page)
    assert PhoneCode.objects.get().code_hash != texted_code()  # only an HMAC is kept


def test_a_wrong_code_is_refused_and_the_fifth_wrong_one_ends_the_code(as_bob, bob, bob_saved_a_phone):
    right = texted_code()
    wrong = f"{(int(right) + 1) % 10**6:06d}"

    response = verify(as_bob, wrong)

    assert response.status_code == 400
    assert "That is not the code we texted to (512) 555-0188. 4 more tries for this code." in page_text(response)
    for _ in range(4):
        verify(as_bob, wrong)
    assert "Too many wrong codes; ask for a new one." in page_text(verify(as_bob, right))
    assert not mine(bob).phone_is_verified


def test_an_expired_code_is_refused(as_bob, bob, bob_saved_a_phone):
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        response = verify(as_bob, texted_code())

    assert response.status_code == 400
    assert "That code has expired (a code works for 15 minutes); ask for a new one." in page_text(response)
    assert not mine(bob).phone_is_verified


def test_a_new_code_replaces_the_old_one_at_most_once_a_minute_and_five_times_a_day(as_bob, bob, bob_saved_a_phone,
                                                                                      run_outbox):  # fmt: skip
    first = texted_code()
    again = reverse("my-phone-code", args=["alpha"])
    assert "wait 60 seconds" in flashed(as_bob.post(again, follow=True))
    for minutes in range(1, 6):
        with time_machine.travel(timezone.now() + timedelta(minutes=minutes * 2)):
            as_bob.post(again)
            run_outbox()

    assert PhoneCode.objects.count() == 5 and SandboxMessage.objects.filter(to_number=BOB_PHONE).count() == 5
    with time_machine.travel(timezone.now() + timedelta(minutes=12)):
        assert "5 codes were texted in the last 24 hours" in flashed(as_bob.post(again, follow=True))
        assert verify(as_bob, first).status_code == 400  # replaced by a newer code
        assert verify(as_bob, texted_code()).status_code == 302


def test_changing_the_number_unverifies_it_and_going_back_needs_a_new_code(as_bob, bob, alpha_sandbox_line):
    a_staff_phone(bob, BOB_PHONE, alert_sms=True)

    save(as_bob, phone="(512) 555-0189", alert_sms="on")
    assert not mine(bob).phone_is_verified
    assert Alert.objects.get(event=Alert.PHONE_CODE).to == "+15125550189"
    save(as_bob, phone=BOB_PHONE, alert_sms="on")

    assert not mine(bob).phone_is_verified


def test_an_alert_queued_for_an_old_phone_is_not_sent_to_it(bob, alpha_sandbox_line, run_outbox):
    a_staff_phone(bob, BOB_PHONE, alert_sms=True, alert_email=False)
    an_inbound_text(alpha_sandbox_line, "my basement is flooding")
    Membership.objects.filter(user=bob).update(phone="+15125550189")  # changed before the worker ran

    run_outbox()

    alert = Alert.objects.get(event=Alert.REPLY)
    assert (alert.status, alert.error) == (Alert.CANCELED, "the person changed their phone")
    assert not SandboxMessage.objects.filter(to_number=BOB_PHONE).exists()
