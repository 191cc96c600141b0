"""TwilioClient against the local stand-in for api.twilio.com, over HTTP (every request checked against the spec)."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from textback.providers.base import OutgoingSms, ProviderError
from textback.providers.twilio.client import RECONCILE_PAGE_SIZE, RECONCILE_PAGES, TwilioClient, TwilioError
from textback.providers.twilio.tests import openapi

SID = "AC" + "0123456789abcdef" * 2
TOKEN = "f00dfeedc0ffee0ddba11deadbeef123"
LINE, CALLER = "+15125550100", "+15125550147"
BODY = "Sorry we missed your call, how can we help? Reply STOP to opt out."
QUEUED = datetime(2025, 3, 3, 15, 0, tzinfo=UTC)


@pytest.fixture
def twilio(twilio_api):
    twilio_api.add_account(SID, TOKEN)
    return twilio_api


@pytest.fixture
def client(twilio):
    with httpx.HTTPTransport() as transport:
        yield TwilioClient(SID, TOKEN, transport, twilio.url)


def sms(body: str = BODY) -> OutgoingSms:
    return OutgoingSms(to=CALLER, from_=LINE, body=body, ref="r", status_callback=None)


def lookups(twilio) -> list:
    return [r for r in twilio.requests if r.method == "GET" and r.path.endswith("/Messages.json")]


# --- finding a text an earlier attempt sent -------------------------------------------------


def test_reconciling_reads_on_to_the_next_page_for_a_text_created_since_it_was_queued(twilio, client):
    ours = twilio.preload(SID, CALLER, LINE, BODY, created=QUEUED + timedelta(seconds=1))
    for n in range(RECONCILE_PAGE_SIZE):  # a page of newer texts in front of it
        twilio.preload(SID, CALLER, LINE, f"later {n}", created=QUEUED + timedelta(seconds=10 + n))

    [found] = client.find_sent(sms(), since=QUEUED)

    assert found.provider_message_id == ours["sid"]
    assert len(lookups(twilio)) == 2
    assert "PageToken=PA" in lookups(twilio)[1].query  # Twilio's next_page_uri, followed as given


def test_reconciling_stops_at_the_first_page_with_nothing_created_since(twilio, client):
    for n in range(RECONCILE_PAGE_SIZE):
        twilio.preload(SID, CALLER, LINE, f"later {n}", created=QUEUED + timedelta(seconds=n))
    for n in range(2 * RECONCILE_PAGE_SIZE):  # years of history that cannot hold this text
        twilio.preload(SID, CALLER, LINE, BODY, created=QUEUED - timedelta(days=1, seconds=n))

    assert client.find_sent(sms(), since=QUEUED) == []
    assert len(lookups(twilio)) == 2


def test_reconciling_gives_up_after_its_page_bound_rather_than_risk_a_second_text(twilio, client):
    for n in range(RECONCILE_PAGES * RECONCILE_PAGE_SIZE + 1):
        twilio.preload(SID, CALLER, LINE, f"auto-reply {n}", created=QUEUED + timedelta(seconds=n))

    with pytest.raises(ProviderError) as raised:
        client.find_sent(sms(), since=QUEUED)

    assert raised.value.permanent
    assert "cannot rule out that this one went out already, so it is not sent again" in str(raised.value)
    assert len(lookups(twilio)) == RECONCILE_PAGES


def test_reconciling_never_follows_a_next_page_off_the_account():
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.host == "api.twilio.com"
        return httpx.Response(
            200,
            json={
                "messages": [{"sid": "SM" + "1" * 32, "body": "x", "date_created": "Mon, 03 Mar 2025 15:00:05 +0000"}],
                "next_page_uri": "https://collector.example/steal",
            },
        )

    with httpx.MockTransport(answer) as transport:
        client = TwilioClient(SID, TOKEN, transport, "https://api.twilio.com")
        with pytest.raises(TwilioError, match="is not a page of this account"):
            client.find_sent(sms(), since=QUEUED)


# --- errors -------------------------------------------------------------------------------


def test_a_429_says_how_long_twilio_asked_us_to_wait(twilio, client):
    twilio.failures.append((429, {"code": 20429, "message": "Too Many Requests", "status": 429}, {"Retry-After": "7"}))

    with pytest.raises(ProviderError) as raised:
        client.send_sms(sms())

    assert (raised.value.retry_after, raised.value.permanent, raised.value.code) == (7.0, False, "20429")


def test_a_503_with_an_http_date_says_how_long_until_then(twilio, client):
    later = datetime.now(UTC) + timedelta(seconds=120)
    header = later.strftime("%a, %d %b %Y %H:%M:%S GMT")
    twilio.failures.append(
        (503, {"code": 20503, "message": "Service Unavailable", "status": 503}, {"Retry-After": header})
    )

    with pytest.raises(ProviderError) as raised:
        client.send_sms(sms())

    assert 100 <= raised.value.retry_after <= 120
    assert raised.value.maybe_sent  # a 5xx may come after Twilio created the message


def test_retry_after_is_only_read_where_it_means_come_back_later(twilio, client):
    twilio.failures.append((400, {"code": 21211, "message": "Invalid 'To'", "status": 400}, {"Retry-After": "7"}))
    twilio.failures.append((429, {"code": 20429, "message": "Too Many Requests", "status": 429}))

    for _ in range(2):
        with pytest.raises(ProviderError) as raised:
            client.send_sms(sms())
        assert raised.value.retry_after is None


def test_a_full_sender_queue_is_retried(twilio, client):
    twilio.failures.append((400, {"code": 21611, "message": "queue full", "status": 400}))

    with pytest.raises(ProviderError) as raised:
        client.send_sms(sms())

    assert not raised.value.permanent


def test_an_answer_that_is_not_a_json_object_is_an_error():
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=["not", "an", "object"]))
    with pytest.raises(TwilioError, match="not a JSON object"):
        TwilioClient(SID, TOKEN, transport, "https://api.twilio.com").fetch_account()


# --- the account and its numbers -----------------------------------------------------------


def test_the_account_comes_back_without_the_auth_token_twilio_includes(twilio, client):
    account = client.fetch_account()
    assert account["sid"] == SID and account["owner_account_sid"] == SID
    assert "auth_token" not in account and TOKEN not in str(account)


def test_wrong_credentials_are_told_apart_from_other_errors(twilio):
    with httpx.HTTPTransport() as transport:
        with pytest.raises(TwilioError) as raised:
            TwilioClient(SID, "0" * 32, transport, twilio.url).fetch_account()
    assert raised.value.refused_credentials and raised.value.reached


def test_a_number_is_found_exactly_though_twilios_filter_also_matches_parts(twilio, client):
    twilio.give_number(SID, LINE + "9")  # the PhoneNumber filter matches any number containing the text
    number = twilio.give_number(SID, LINE)
    assert client.find_number(LINE)["sid"] == number["sid"]
    assert client.find_number("+15125550111") is None


def test_a_number_is_updated_and_twilio_answers_with_it_as_it_is_now(twilio, client):
    number = twilio.give_number(SID, LINE, voice_application_sid="AP" + "5" * 32)
    after = client.update_number(
        number["sid"], {"VoiceUrl": "https://textback.example.com/hooks/twilio/voice", "VoiceApplicationSid": ""}
    )
    assert (after["voice_url"], after["voice_application_sid"]) == (
        "https://textback.example.com/hooks/twilio/voice",
        "",
    )
    assert client.fetch_number(number["sid"]) == after


def test_a_sid_that_twilio_would_never_give_is_not_put_into_a_url(twilio, client):
    with pytest.raises(TwilioError, match="is not a SID Twilio would give"):
        client.fetch_number("PN../../Accounts")
    assert twilio.requests == []


def test_recent_incoming_texts_are_listed_without_the_ones_sent(twilio, client):
    received = twilio.receive(SID, LINE, CALLER, "hi", created=QUEUED)
    twilio.preload(
        SID, LINE, "+15125550999", "sent from elsewhere to the line", created=QUEUED, direction="outbound-api"
    )
    assert [m["sid"] for m in client.inbound_messages(LINE)] == [received["sid"]]


# --- the stand-in itself ---------------------------------------------------------------------


def test_the_stub_answers_with_the_resource_shapes_twilio_documents(twilio, client):
    spec = openapi.require_spec()
    schemas = spec["components"]["schemas"]
    twilio.receive(SID, LINE, CALLER, "hi", created=QUEUED)
    number = twilio.give_number(SID, LINE)
    app = twilio.give_application(SID)
    listing = client._call("GET", client.messages_url)
    numbers = client._call("GET", f"{client.account_url}/IncomingPhoneNumbers.json")

    def documented(name: str) -> set[str]:
        return set(schemas[name]["properties"])

    assert set(twilio.accounts[SID]) == documented("api.v2010.account")
    assert set(number) == documented("api.v2010.account.incoming_phone_number")
    assert set(app) == documented("api.v2010.account.application")
    assert set(listing["messages"][0]) == documented("api.v2010.account.message")
    list_schema = spec["paths"]["/2010-04-01/Accounts/{AccountSid}/Messages.json"]["get"]["responses"]["200"]
    assert set(listing) == set(list_schema["content"]["application/json"]["schema"]["properties"])
    assert set(numbers) - {"incoming_phone_numbers"} == set(listing) - {"messages"}
