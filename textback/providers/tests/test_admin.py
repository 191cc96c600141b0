"""The Django admin can configure a business end to end, and never shows a provider's secret."""

import pytest

from textback.conftest import ALPHA_TOKEN
from textback.messaging.models import ConsentEvent
from textback.providers.models import Line, ProviderAccount

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client, django_user_model):
    user = django_user_model.objects.create_superuser("root", "root@example.com", "pw-root-123")
    client.force_login(user)
    return client


def add_line(operator, account, **fields):
    """POST the admin's "add line" form: a carrier-forwarding line on `account` unless fields say otherwise."""
    form = {
        "business": account.business_id,
        "account": account.pk,
        "call_mode": "carrier_forward",
        "forward_to": "[]",
        "ring_seconds": 20,
        "delay_seconds": 0,
        "textback_template": "Sorry we missed you",
        "voicemail_template": "",
        "greeting": "",
        "keyword_replies": "",
        **fields,
    }
    return operator.post("/admin/providers/line/add/", form)


def test_the_account_page_never_shows_the_auth_token(operator, alpha_twilio):
    page = operator.get(f"/admin/providers/provideraccount/{alpha_twilio.pk}/change/").content.decode()
    listing = operator.get("/admin/providers/provideraccount/").content.decode()

    assert ALPHA_TOKEN not in page and ALPHA_TOKEN not in listing
    assert alpha_twilio.account_sid in page


def test_saving_the_account_without_typing_a_token_keeps_the_old_one(operator, alpha_twilio):
    response = operator.post(
        f"/admin/providers/provideraccount/{alpha_twilio.pk}/change/",
        {
            "business": alpha_twilio.business_id,
            "provider": "twilio",
            "label": "main",
            "account_sid": alpha_twilio.account_sid,
            "auth_token": "",
        },
    )

    assert response.status_code == 302
    alpha_twilio.refresh_from_db()
    assert (alpha_twilio.label, alpha_twilio.auth_token) == ("main", ALPHA_TOKEN)


def test_a_line_added_in_the_admin_follows_its_providers_keyword_replies(operator, alpha_twilio):
    response = add_line(
        operator,
        alpha_twilio,
        number="+15125550120",
        call_mode="forward_screen",
        forward_to='["+15125550199"]',
        staff_name="Mike",
        textback_enabled="on",
        textback_template="Sorry we missed you - {business}",
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert Line.objects.get(number="+15125550120").keyword_replies == Line.PROVIDER


def test_the_admin_refuses_a_line_number_that_is_not_e164(operator, alpha_twilio):
    response = add_line(operator, alpha_twilio, number="555-0120")

    assert response.status_code == 200
    assert "is not a valid number in E.164 form" in response.content.decode()
    assert not Line.objects.exists()


def test_the_consent_ledger_cannot_be_edited_or_deleted_in_the_admin(operator, alpha):
    event = ConsentEvent.objects.create(
        business=alpha, number="+15125550147", kind=ConsentEvent.OPT_OUT, created_at="2026-11-23T10:00:00Z"
    )

    assert operator.post(f"/admin/messaging/consentevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert operator.get("/admin/messaging/consentevent/add/").status_code == 403
    assert ConsentEvent.objects.filter(pk=event.pk).exists()
    assert ProviderAccount.objects.count() == 0


def test_the_admin_refuses_a_line_on_another_businesss_account(operator, alpha_twilio, beta):
    response = add_line(operator, alpha_twilio, business=beta.pk, number="+15125550121")

    assert response.status_code == 200
    assert "belongs to another business" in response.content.decode()
    assert not Line.objects.exists()


def test_calls_and_messages_cannot_be_deleted_in_the_admin(operator, alpha_sandbox_line):
    from textback.calls.models import Call
    from textback.providers.sandbox import carrier

    call = carrier.place_call(carrier.SimulatedCall(line=alpha_sandbox_line, caller="+15125550147", scenario="busy"))
    message = call.messages.get()

    assert operator.post(f"/admin/calls/call/{call.pk}/delete/", {"post": "yes"}).status_code == 403
    assert operator.post(f"/admin/messaging/message/{message.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Call.objects.filter(pk=call.pk).exists()


def test_the_admin_refuses_what_would_never_work_as_the_cli_does(operator, alpha_twilio):
    itself = add_line(
        operator, alpha_twilio, number="+15125550122", call_mode="forward_screen", forward_to='["+15125550122"]'
    )
    too_short = add_line(operator, alpha_twilio, number="+15125550123", ring_seconds=2)

    assert "is this line&#x27;s own number" in itself.content.decode()
    assert "give 10 to 600 seconds" in too_short.content.decode()
    assert not Line.objects.exists()
