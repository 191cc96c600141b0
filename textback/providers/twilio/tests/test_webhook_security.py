"""Every Twilio webhook refuses what Twilio did not sign, and garbage gets a 4xx, never a 500."""

from urllib.parse import urlencode

import pytest

from textback.calls.models import Call, WebhookEvent
from textback.conftest import ALPHA_TOKEN, BETA_SID, BETA_TOKEN
from textback.messaging.models import Message
from textback.providers import credentials
from textback.providers.twilio.tests.helpers import fixture, signed

pytestmark = pytest.mark.django_db

ENDPOINTS = ["voice", "screen", "dial", "call-status", "recording", "sms", "sms-status"]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_forged_signature_is_refused_and_changes_nothing(endpoint, alpha_line, twilio_post):
    response = twilio_post(endpoint, fixture("voice_incoming"), token="0" * 32)

    assert response.status_code == 403
    assert WebhookEvent.objects.count() == Call.objects.count() == Message.objects.count() == 0


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_request_without_a_signature_is_refused(endpoint, alpha_line, client):
    response = client.post(f"/hooks/twilio/{endpoint}", fixture("voice_incoming"), HTTP_HOST="textback.example.com")

    assert response.status_code == 403
    assert WebhookEvent.objects.count() == 0


def test_a_signature_for_another_url_is_refused(alpha_line, twilio_post):
    """TEXTBACK_PUBLIC_URL is what Twilio signs; a request signed for another host is not ours."""
    response = twilio_post("voice", fixture("voice_incoming"), signed_for="https://attacker.example")

    assert response.status_code == 403
    assert Call.objects.count() == 0


def test_a_tampered_field_breaks_the_signature(alpha_line, client, settings):
    fields = fixture("voice_incoming")
    _, _, headers = signed(settings.PUBLIC_URL, "voice", fields, ALPHA_TOKEN)
    fields["From"] = "+15125550000"
    response = client.post(
        "/hooks/twilio/voice",
        urlencode(fields),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=headers["X-Twilio-Signature"],
        HTTP_HOST="textback.example.com",
    )

    assert response.status_code == 403


@pytest.mark.parametrize(
    "endpoint,fields,reason",
    [
        ("voice", {"CallSid": None}, "CallSid is missing"),
        ("voice", {"CallSid": "not-a-sid"}, "CallSid is malformed"),
        ("dial", {"DialCallStatus": None}, "DialCallStatus is missing"),
        ("dial", {"DialBridged": "maybe"}, "DialBridged must be true or false"),
        ("recording", {"RecordingDuration": "ten"}, "RecordingDuration must be a whole number"),
        ("screen", {"ParentCallSid": None}, "ParentCallSid is missing"),
    ],
)
def test_a_signed_but_malformed_request_gets_400_with_the_reason(endpoint, fields, reason, alpha_line, twilio_post):
    base = {"dial": "dial_no_answer", "recording": "recording_action", "screen": "screen_prompt"}.get(
        endpoint, "voice_incoming"
    )
    if endpoint in ("dial", "recording"):
        twilio_post("voice", fixture("voice_incoming"))
    response = twilio_post(endpoint, fixture(base, **fields))

    assert response.status_code == 400
    assert reason in response.content.decode()


def test_a_malformed_request_writes_nothing_half_way(alpha_line, twilio_post):
    twilio_post("sms", fixture("sms_incoming", From=None))

    assert WebhookEvent.objects.count() == 0
    assert Message.objects.count() == 0


@pytest.mark.parametrize(
    "body,content_type",
    [
        (b'{"CallSid": "CA1"}', "application/json"),
        (b"\x00\xff\xfe garbage \x81", "application/x-www-form-urlencoded"),
        (b"--x\r\nbroken multipart", "multipart/form-data; boundary=x"),
        (b"", "text/plain"),
    ],
)
def test_garbage_bodies_get_a_4xx_never_a_500(body, content_type, alpha_line, client):
    response = client.post(
        "/hooks/twilio/voice",
        data=body,
        content_type=content_type,
        HTTP_X_TWILIO_SIGNATURE="abc",
        HTTP_HOST="textback.example.com",
    )

    assert 400 <= response.status_code < 500


def test_an_oversized_body_gets_a_4xx(alpha_line, client):
    response = client.post(
        "/hooks/twilio/sms",
        data=b"Body=" + b"x" * 400_000,
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE="abc",
        HTTP_HOST="textback.example.com",
    )

    assert 400 <= response.status_code < 500


def test_webhooks_only_take_post(alpha_line, client):
    response = client.get("/hooks/twilio/voice", HTTP_HOST="textback.example.com")

    assert response.status_code == 405


# --- input checked before it reaches a query -------------------------------------------------


def nothing_written() -> bool:
    return WebhookEvent.objects.count() == Call.objects.count() == Message.objects.count() == 0


def post_signed_voice(client, settings, content_type="application/x-www-form-urlencoded", **headers):
    """POST the incoming-call fixture, correctly signed, as this Content-Type and with these extra headers."""
    _, body, signed_headers = signed(settings.PUBLIC_URL, "voice", fixture("voice_incoming"), ALPHA_TOKEN)
    return client.generic(
        "POST",
        "/hooks/twilio/voice",
        data=body,
        content_type=content_type,
        HTTP_X_TWILIO_SIGNATURE=signed_headers["X-Twilio-Signature"],
        HTTP_HOST="textback.example.com",
        **headers,
    )


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_nul_in_to_is_refused_before_the_line_is_looked_up(endpoint, alpha_line, client):
    """PostgreSQL refuses NUL in a query parameter: this was a 500 on every hook, before any signature check."""
    response = client.post(
        f"/hooks/twilio/{endpoint}",
        data=f"AccountSid={alpha_line.account.account_sid}&To=%00",
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE="abc",
        HTTP_HOST="textback.example.com",
    )

    assert response.status_code == 400
    assert "To is not a phone number" in response.content.decode()
    assert nothing_written()


@pytest.mark.parametrize("to", ["+1512555\x000100", "\x00", "+1 512 555 0100", "sip:alice@example.com\x00"])
def test_a_signed_to_that_is_no_address_is_a_bad_request(to, alpha_line, twilio_post):
    response = twilio_post("voice", fixture("voice_incoming", To=to))

    assert response.status_code == 400
    assert nothing_written()


@pytest.mark.parametrize("to", ["sip:alice@example.com;transport=tls", "client:alice", "12345"])
def test_a_sip_or_client_address_in_to_is_taken_and_is_no_line_of_ours(to, alpha_line, twilio_post):
    response = twilio_post("voice", fixture("voice_incoming", To=to))

    assert response.status_code == 200
    assert "not set up" in response.content.decode()


@pytest.mark.parametrize(
    "endpoint, name, field",
    [
        ("sms", "sms_incoming", "Body"),
        ("voice", "voice_incoming", "From"),
        ("dial", "dial_no_answer", "DialCallStatus"),
    ],
)
def test_a_signed_field_holding_a_nul_is_refused_naming_it(endpoint, name, field, alpha_line, twilio_post):
    """It used to be dropped silently, storing text the sender never sent."""
    response = twilio_post(endpoint, fixture(name, **{field: "no\x00answer"}))

    assert response.status_code == 400
    assert f"{field} contains a NUL character" in response.content.decode()
    assert nothing_written()


def test_a_nul_in_a_field_no_handler_reads_is_logged_as_a_replacement_character(alpha_line, twilio_post):
    response = twilio_post("voice", fixture("voice_incoming", CallerCity="AUS\x00TIN"))

    assert response.status_code == 200
    assert WebhookEvent.objects.get().payload["CallerCity"] == "AUS\ufffdTIN"


def test_an_idempotency_token_holding_a_nul_does_not_break_the_event_log(alpha_line, client, settings):
    """The header goes into a column as it came; PostgreSQL refused it, a 500 on a signed request."""
    response = post_signed_voice(client, settings, HTTP_I_TWILIO_IDEMPOTENCY_TOKEN="tok\x00en")

    assert response.status_code == 200
    assert WebhookEvent.objects.get().idempotency_token == "tok\ufffden"


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "multipart/form-data; boundary=x",
        "text/plain",
        "application/x-www-form-urlencoded; charset=latin-1",
        "application/x-www-form-urlencoded; charset=utf-16",
        "application/x-www-form-urlencoded; charset=bogus",
    ],
)
def test_a_body_that_is_not_a_utf8_form_is_refused_with_415(content_type, alpha_line, client, settings):
    response = post_signed_voice(client, settings, content_type)

    assert response.status_code == 415
    assert "application/x-www-form-urlencoded" in response.content.decode()
    assert nothing_written()


@pytest.mark.parametrize("charset", ["", "; charset=utf-8", "; charset=UTF-8"])
def test_a_form_in_utf8_is_taken_whether_or_not_it_says_so(charset, alpha_line, client, settings):
    response = post_signed_voice(client, settings, "application/x-www-form-urlencoded" + charset)

    assert response.status_code == 200


def test_a_form_with_too_many_fields_is_a_bad_request_saying_so(alpha_line, client):
    response = client.post(
        "/hooks/twilio/voice",
        data="&".join(f"f{i}=x" for i in range(500)),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE="abc",
        HTTP_HOST="textback.example.com",
    )

    assert response.status_code == 400
    assert "too many fields" in response.content.decode()


def test_another_business_account_reusing_our_sid_leaves_our_event_alone(alpha_line, beta_line, twilio_post):
    """Events are keyed by the signing account too: a collision from another tenant is its own event."""
    twilio_post("sms", fixture("sms_incoming"))
    response = twilio_post("sms", fixture("sms_incoming", AccountSid=BETA_SID, To=beta_line.number), token=BETA_TOKEN)

    assert response.status_code == 200
    assert WebhookEvent.objects.get(business=alpha_line.business).duplicates == 0
    assert Message.objects.get().business == alpha_line.business  # and Beta's replay wrote no message


# --- the auth token is encrypted at rest --------------------------------------------------------


@pytest.mark.parametrize("endpoint,name", [("voice", "voice_incoming"), ("sms-status", "sms_status_delivered")])
def test_a_webhook_for_an_account_whose_token_cannot_be_decrypted_is_refused_and_logged(
    endpoint, name, alpha_line, twilio_post, lose_the_key, caplog
):
    """voice finds the account through its line; sms-status (To is the caller) by its AccountSid."""
    lose_the_key(alpha_line.account)

    response = twilio_post(endpoint, fixture(name))

    assert response.status_code == 403
    assert "this server cannot decrypt the account's auth token" in response.content.decode()
    [logged] = [r for r in caplog.records if r.levelname == "ERROR"]
    assert f"the auth token of Twilio account {alpha_line.account.pk} (alpha) cannot be decrypted" in logged.message
    assert ALPHA_TOKEN not in caplog.text and alpha_line.account.auth_token_encrypted not in caplog.text
    assert WebhookEvent.objects.count() == 0


def test_the_webhook_path_decrypts_an_accounts_token_once_not_on_every_request(alpha_line, twilio_post):
    before = credentials.ring().decrypt.cache_info()
    for call in range(3):
        assert twilio_post("voice", fixture("voice_incoming", CallSid=f"CA{call:032x}")).status_code == 200

    after = credentials.ring().decrypt.cache_info()
    assert (after.misses - before.misses, after.hits - before.hits) == (1, 2)


# --- Twilio's shared-key signing (Webhooks configuration API) -------------------------------------

SHARED_KEY = "whsec_2b7e151628aed2a6abf7158809cf4f3c"


def shared_key_post(client, settings, endpoint: str, fields: dict, *, secret: str, algorithm: str = "HMAC_SHA256"):
    from urllib.parse import urlencode

    from twilio.request_validator import RequestValidator

    url = f"{settings.PUBLIC_URL}/hooks/twilio/{endpoint}"
    signature = RequestValidator(secret).compute_signature(url, fields, algorithm if algorithm != "MD5" else None)
    return client.post(
        f"/hooks/twilio/{endpoint}",
        data=urlencode(fields),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=signature,
        HTTP_X_TWILIO_WEBHOOKS_SIGNATURE_SETTINGS=f"key=webhooks_sharedkey_01abc,algorithm={algorithm}",
        HTTP_HOST="textback.example.com",
    )


@pytest.mark.parametrize("algorithm", ["HMAC_SHA256", "HMAC_SHA1"])
def test_a_request_signed_with_the_accounts_shared_key_is_accepted(alpha_line, client, settings, algorithm):
    alpha_line.account.webhook_key = SHARED_KEY
    alpha_line.account.save()

    response = shared_key_post(
        client, settings, "voice", fixture("voice_incoming"), secret=SHARED_KEY, algorithm=algorithm
    )

    assert response.status_code == 200
    assert Call.objects.count() == 1


def test_a_shared_key_request_is_not_accepted_with_the_auth_token(alpha_line, client, settings):
    from textback.conftest import ALPHA_TOKEN

    alpha_line.account.webhook_key = SHARED_KEY
    alpha_line.account.save()

    response = shared_key_post(client, settings, "voice", fixture("voice_incoming"), secret=ALPHA_TOKEN)

    assert response.status_code == 403
    assert Call.objects.count() == 0


def test_a_shared_key_request_for_an_account_without_one_says_how_to_give_it(alpha_line, client, settings):
    response = shared_key_post(client, settings, "voice", fixture("voice_incoming"), secret=SHARED_KEY)

    assert response.status_code == 403
    assert "signed with a Twilio shared key" in response.content.decode()
    assert f"textback account set {alpha_line.account.pk} --webhook-key-stdin" in response.content.decode()
    assert WebhookEvent.objects.count() == 0


def test_a_signing_algorithm_textback_does_not_know_is_refused_by_name(alpha_line, client, settings):
    alpha_line.account.webhook_key = SHARED_KEY
    alpha_line.account.save()

    response = shared_key_post(client, settings, "voice", fixture("voice_incoming"), secret=SHARED_KEY, algorithm="MD5")

    assert response.status_code == 403
    assert "'MD5'" in response.content.decode() and "HMAC_SHA256" in response.content.decode()


def test_a_signature_twilio_computed_over_the_url_with_its_default_port_is_accepted(alpha_line, twilio_post):
    """Twilio's signing is inconsistent about :443; both forms of our public URL are ours."""
    response = twilio_post("voice", fixture("voice_incoming"), signed_for="https://textback.example.com:443")

    assert response.status_code == 200
    assert Call.objects.count() == 1
