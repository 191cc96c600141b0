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


WEBHOOK_KEY = "sk_webhooks_9f8e7d6c5b4a39281706f5e4d3c2b1a0"


def account_form(account, **fields) -> dict:
    return {
        "business": account.business_id,
        "provider": "twilio",
        "label": "main",
        "account_sid": account.account_sid,
        "auth_token": "",
        "webhook_key": "",
        **fields,
    }


def test_the_account_page_never_shows_a_secret_or_its_ciphertext(operator, alpha_twilio):
    alpha_twilio.webhook_key = WEBHOOK_KEY
    alpha_twilio.save()
    page = operator.get(f"/admin/providers/provideraccount/{alpha_twilio.pk}/change/").content.decode()
    listing = operator.get("/admin/providers/provideraccount/").content.decode()

    for secret in (ALPHA_TOKEN, WEBHOOK_KEY, alpha_twilio.auth_token_encrypted, alpha_twilio.webhook_key_encrypted):
        assert secret not in page and secret not in listing
    assert alpha_twilio.account_sid in page
    assert 'name="auth_token"' in page and 'name="webhook_key"' in page


def test_saving_the_account_without_typing_secrets_keeps_the_old_ones(operator, alpha_twilio):
    alpha_twilio.webhook_key = WEBHOOK_KEY
    alpha_twilio.save()
    response = operator.post(f"/admin/providers/provideraccount/{alpha_twilio.pk}/change/", account_form(alpha_twilio))

    assert response.status_code == 302
    alpha_twilio.refresh_from_db()
    assert (alpha_twilio.label, alpha_twilio.auth_token, alpha_twilio.webhook_key) == ("main", ALPHA_TOKEN, WEBHOOK_KEY)


def test_the_admin_sets_the_token_and_the_webhook_key_encrypted(operator, alpha_twilio):
    new_token = "0123456789abcdef0123456789abcdef"
    form = account_form(alpha_twilio, auth_token=new_token, webhook_key=WEBHOOK_KEY)
    response = operator.post(f"/admin/providers/provideraccount/{alpha_twilio.pk}/change/", form)

    assert response.status_code == 302
    alpha_twilio.refresh_from_db()
    assert (alpha_twilio.auth_token, alpha_twilio.webhook_key) == (new_token, WEBHOOK_KEY)
    assert new_token not in alpha_twilio.auth_token_encrypted
    assert WEBHOOK_KEY not in alpha_twilio.webhook_key_encrypted


def test_the_admin_removes_the_webhook_key(operator, alpha_twilio):
    alpha_twilio.webhook_key = WEBHOOK_KEY
    alpha_twilio.save()
    form = account_form(alpha_twilio, remove_webhook_key="on")
    response = operator.post(f"/admin/providers/provideraccount/{alpha_twilio.pk}/change/", form)

    assert response.status_code == 302
    alpha_twilio.refresh_from_db()
    assert (alpha_twilio.webhook_key_encrypted, alpha_twilio.auth_token) == ("", ALPHA_TOKEN)


def test_the_admin_refuses_a_new_webhook_key_and_its_removal_at_once(operator, alpha_twilio):
    form = account_form(alpha_twilio, webhook_key=WEBHOOK_KEY, remove_webhook_key="on")
    response = operator.post(f"/admin/providers/provideraccount/{alpha_twilio.pk}/change/", form)

    assert response.status_code == 200
    assert "give a new webhook key or remove it, not both" in response.content.decode()
    assert WEBHOOK_KEY not in response.content.decode()  # a refused form does not echo the secret back
    alpha_twilio.refresh_from_db()
    assert alpha_twilio.webhook_key == ""


def test_the_admin_refuses_a_malformed_webhook_key_without_showing_it(operator, alpha_twilio):
    form = account_form(alpha_twilio, webhook_key="two words")
    response = operator.post(f"/admin/providers/provideraccount/{alpha_twilio.pk}/change/", form)

    assert response.status_code == 200
    assert "the webhook key is malformed (9 characters)" in response.content.decode()
    assert "two words" not in response.content.decode()


def test_the_account_list_says_when_a_token_cannot_be_decrypted(operator, alpha_twilio, lose_the_key):
    lose_the_key(alpha_twilio)
    listing = operator.get("/admin/providers/provideraccount/").content.decode()
    page = operator.get(f"/admin/providers/provideraccount/{alpha_twilio.pk}/change/")

    assert "unreadable" in listing
    assert page.status_code == 200


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
    assert "give 5 to 600 seconds" in too_short.content.decode()
    assert not Line.objects.exists()
