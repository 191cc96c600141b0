"""My settings: each person's phone, alert channels, what to be alerted about, and quiet time, per business."""

from datetime import time

import pytest
from django.urls import reverse

from textback.accounts.models import Membership

pytestmark = pytest.mark.django_db

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
