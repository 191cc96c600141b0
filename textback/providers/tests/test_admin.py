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
    assert "give 10 to 600 seconds" in too_short.content.decode()
    assert not Line.objects.exists()


# --- "Configure Twilio number" on the line's page --------------------------------------------


@pytest.fixture
def twilio(twilio_api, settings):
    from textback.conftest import ALPHA_SID

    twilio_api.add_account(ALPHA_SID, ALPHA_TOKEN)
    return twilio_api


def configure(operator, line, **form):
    return operator.post(f"/admin/providers/line/{line.pk}/configure-provider/", form, follow=True)


def shown_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_a_twilio_lines_page_offers_to_configure_its_number_with_a_post_form(operator, alpha_line, alpha_sandbox_line):
    page = operator.get(f"/admin/providers/line/{alpha_line.pk}/change/").content.decode()
    sandbox = operator.get(f"/admin/providers/line/{alpha_sandbox_line.pk}/change/").content.decode()

    action = f'<form method="post" action="/admin/providers/line/{alpha_line.pk}/configure-provider/">'
    assert action in page and "csrfmiddlewaretoken" in page.split(action)[1].split("</form>")[0]
    assert "Configure Twilio number" not in sandbox


def test_the_button_points_the_number_here_and_says_what_it_changed(operator, alpha_line, twilio):
    from textback.conftest import ALPHA_SID

    number = twilio.give_number(ALPHA_SID, alpha_line.number)

    response = configure(operator, alpha_line)

    assert response.redirect_chain == [(f"/admin/providers/line/{alpha_line.pk}/change/", 302)]
    now = twilio.number(alpha_line.number)
    assert now["voice_url"] == "https://textback.example.com/hooks/twilio/voice"
    assert now["sms_url"] == "https://textback.example.com/hooks/twilio/sms"
    said = shown_messages(response)
    assert said[0] == f"Configured Twilio number {alpha_line.number} ({number['sid']}):"
    assert any("was https://demo.twilio.com/welcome/voice/ (HTTP POST)" in text for text in said)


def test_configuring_is_only_done_by_post(operator, alpha_line, twilio):
    assert operator.get(f"/admin/providers/line/{alpha_line.pk}/configure-provider/").status_code == 405
    assert twilio.requests == []


def test_configuring_needs_the_csrf_token(alpha_line, twilio, django_user_model):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "pw-root-123"))

    assert browser.post(f"/admin/providers/line/{alpha_line.pk}/configure-provider/").status_code == 403
    assert twilio.requests == []


def test_staff_who_may_not_change_lines_cannot_configure_them(client, alpha_line, twilio, django_user_model):
    staff = django_user_model.objects.create_user("clerk", "clerk@example.com", "pw-clerk-123", is_staff=True)
    client.force_login(staff)

    assert client.post(f"/admin/providers/line/{alpha_line.pk}/configure-provider/").status_code == 403
    assert twilio.requests == []


def test_a_number_wired_to_a_twiml_app_asks_before_it_is_taken_over(operator, alpha_line, twilio):
    from textback.conftest import ALPHA_SID

    app = "AP" + "5" * 32
    number = twilio.give_number(ALPHA_SID, alpha_line.number, voice_application_sid=app)

    first = configure(operator, alpha_line)

    page = first.content.decode()
    assert first.status_code == 200 and first.redirect_chain == []
    assert f"Take over Twilio number {alpha_line.number}?" in page
    assert f"its calls go to TwiML App {app}" in page
    assert f"TwiML App for calls: removed (--take-over), was {app}" in page
    assert f'name="sid" value="{number["sid"]}"' in page and "csrfmiddlewaretoken" in page
    assert twilio.number(alpha_line.number)["voice_application_sid"] == app  # nothing changed yet

    second = configure(operator, alpha_line, take_over="yes", sid=number["sid"])

    now = twilio.number(alpha_line.number)
    assert (now["voice_application_sid"], now["voice_url"]) == ("", "https://textback.example.com/hooks/twilio/voice")
    assert shown_messages(second)[0] == f"Configured Twilio number {alpha_line.number} ({number['sid']}):"


def test_a_take_over_confirmed_for_another_number_changes_nothing(operator, alpha_line, twilio):
    from textback.conftest import ALPHA_SID

    twilio.give_number(ALPHA_SID, alpha_line.number, voice_application_sid="AP" + "5" * 32)
    other = twilio.give_number(ALPHA_SID, "+15125550177", voice_application_sid="AP" + "6" * 32)

    response = configure(operator, alpha_line, take_over="yes", sid=other["sid"])

    assert shown_messages(response) == [
        f"Twilio was not configured: Twilio number {other['sid']} is no longer {alpha_line.number}; start again"
    ]
    assert twilio.number("+15125550177")["voice_application_sid"] == "AP" + "6" * 32
    assert not [r for r in twilio.requests if r.method == "POST"]


def test_a_twilio_error_is_shown_without_the_token(operator, alpha_line, twilio):
    from textback.conftest import ALPHA_SID

    twilio.give_number(ALPHA_SID, alpha_line.number)
    alpha_line.account.auth_token = "0" * 32  # stored encrypted, like every token
    alpha_line.account.save()

    response = configure(operator, alpha_line)

    [said] = shown_messages(response)
    assert said.startswith("Twilio was not configured: Twilio refused the Account SID and auth token (HTTP 401)")
    assert "0" * 32 not in response.content.decode()


def test_an_account_sid_typed_in_capitals_is_stored_as_twilio_writes_it(operator, alpha):
    sid = "AC" + "ABCDEF0123456789" * 2
    response = operator.post(
        "/admin/providers/provideraccount/add/",
        {"business": alpha.pk, "provider": "twilio", "label": "", "account_sid": sid, "auth_token": "F" * 32},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    account = ProviderAccount.objects.get()
    assert (account.account_sid, account.auth_token) == (sid.lower().replace("ac", "AC", 1), "f" * 32)


def test_the_admin_refuses_a_malformed_account_sid(operator, alpha):
    response = operator.post(
        "/admin/providers/provideraccount/add/",
        {"business": alpha.pk, "provider": "twilio", "label": "", "account_sid": "AC123", "auth_token": ""},
    )

    assert "Account SID &#x27;AC123&#x27; is malformed" in response.content.decode()
    assert not ProviderAccount.objects.exists()
