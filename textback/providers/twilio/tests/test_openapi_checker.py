"""The OpenAPI request checker must itself catch what Twilio would reject."""

import base64
import pathlib
from urllib.parse import urlencode

import pytest

from textback.providers.twilio.tests import openapi
from textback.providers.twilio.tests.openapi import auth_problems, request_problems

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
BASE = "http://127.0.0.1:8765"
MESSAGES = f"{BASE}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
NUMBERS = f"{BASE}/2010-04-01/Accounts/{ACCOUNT_SID}/IncomingPhoneNumbers.json"
FORM = "application/x-www-form-urlencoded; charset=utf-8"
VALID_MESSAGE = {
    "To": "+15558675310",
    "From": "+15017122661",
    "Body": "Sorry we missed your call! How can we help?",
    "StatusCallback": "https://textback.example.com/webhooks/twilio/status",
}


@pytest.fixture(scope="module")
def spec():
    return openapi.require_spec()


@pytest.fixture
def clean_cache():
    openapi.clear_cache()
    yield
    openapi.clear_cache()


def send_message(spec, fields, content_type=FORM, url=MESSAGES):
    return request_problems(spec, "POST", url, urlencode(fields, doseq=True).encode(), content_type)


def basic(username, password):
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


# --- message create ----------------------------------------------------------


def test_it_accepts_a_valid_message_create_request(spec):
    assert send_message(spec, VALID_MESSAGE) == []


def test_it_accepts_a_body_given_as_text(spec):
    body = urlencode(VALID_MESSAGE)
    assert request_problems(spec, "POST", MESSAGES, body, FORM) == []


def test_it_accepts_a_whatsapp_channel_address(spec):
    fields = {**VALID_MESSAGE, "To": "whatsapp:+15558675310", "From": "whatsapp:+15017122661"}
    assert send_message(spec, fields) == []


def test_it_accepts_repeated_media_urls(spec):
    fields = {**VALID_MESSAGE, "MediaUrl": ["https://a.example/1.png", "https://a.example/2.png"]}
    assert send_message(spec, fields) == []


def test_it_rejects_an_unknown_form_field(spec):
    problems = send_message(spec, {**VALID_MESSAGE, "Recipient": "+15558675310"})
    assert len(problems) == 1
    assert "'Recipient' is not a property of CreateMessageRequest" in problems[0]


def test_it_rejects_a_missing_required_field(spec):
    fields = {key: value for key, value in VALID_MESSAGE.items() if key != "To"}
    assert send_message(spec, fields) == [
        "POST /2010-04-01/Accounts/{AccountSid}/Messages.json: required form field 'To' is missing"
    ]


def test_it_rejects_a_missing_body(spec):
    problems = request_problems(spec, "POST", MESSAGES)
    assert any("required form field 'To' is missing" in p for p in problems)


def test_it_rejects_a_phone_number_that_is_not_e164(spec):
    problems = send_message(spec, {**VALID_MESSAGE, "To": "(555) 867-5310"})
    assert len(problems) == 1
    assert "'To'" in problems[0] and "E.164" in problems[0]


def test_it_rejects_a_plus_sign_that_was_not_percent_encoded(spec):
    body = "To=+15558675310&From=%2B15017122661&Body=hi"
    problems = request_problems(spec, "POST", MESSAGES, body, FORM)
    assert len(problems) == 1
    assert "' 15558675310'" in problems[0]


def test_it_rejects_a_relative_status_callback(spec):
    problems = send_message(spec, {**VALID_MESSAGE, "StatusCallback": "/webhooks/twilio/status"})
    assert len(problems) == 1
    assert "absolute http(s) URL" in problems[0]


def test_it_rejects_a_bad_enum_value(spec):
    problems = send_message(spec, {**VALID_MESSAGE, "ContentRetention": "forever"})
    assert len(problems) == 1
    assert "is not one of ['retain', 'discard']" in problems[0]


def test_it_rejects_a_python_style_boolean(spec):
    problems = send_message(spec, {**VALID_MESSAGE, "SmartEncoded": "True"})
    assert len(problems) == 1
    assert "is not a boolean" in problems[0]


def test_it_rejects_a_non_integer(spec):
    problems = send_message(spec, {**VALID_MESSAGE, "ValidityPeriod": "ten"})
    assert len(problems) == 1
    assert "is not an integer" in problems[0]


def test_it_rejects_a_malformed_messaging_service_sid(spec):
    problems = send_message(spec, {**VALID_MESSAGE, "MessagingServiceSid": "MG123"})
    assert any("shorter than 34" in p for p in problems)
    assert any("^MG[0-9a-fA-F]{32}$" in p for p in problems)


def test_it_rejects_a_repeated_field_that_is_not_an_array(spec):
    problems = send_message(spec, {**VALID_MESSAGE, "Body": ["one", "two"]})
    assert len(problems) == 1
    assert "'Body' is given 2 times but is not an array" in problems[0]


def test_it_rejects_a_json_body(spec):
    problems = send_message(spec, VALID_MESSAGE, content_type="application/json")
    assert len(problems) == 1
    assert "Content-Type 'application/json' is not accepted" in problems[0]


def test_it_rejects_a_body_without_a_content_type(spec):
    problems = send_message(spec, VALID_MESSAGE, content_type=None)
    assert len(problems) == 1
    assert "no Content-Type" in problems[0]


# --- paths and methods -------------------------------------------------------


def test_it_rejects_a_malformed_account_sid(spec):
    url = f"{BASE}/2010-04-01/Accounts/AC123/Messages.json"
    problems = send_message(spec, VALID_MESSAGE, url=url)
    assert any("path parameter AccountSid='AC123'" in p and "pattern" in p for p in problems)
    assert any("shorter than 34" in p for p in problems)


def test_it_rejects_an_unknown_path(spec):
    url = f"{BASE}/2010-04-01/Accounts/{ACCOUNT_SID}/Texts.json"
    assert request_problems(spec, "POST", url) == [
        f"path '/2010-04-01/Accounts/{ACCOUNT_SID}/Texts.json' matches no path in Twilio's API description"
    ]


def test_it_rejects_a_path_without_the_json_suffix(spec):
    url = f"{BASE}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages"
    assert "matches no path" in request_problems(spec, "GET", url)[0]


def test_it_rejects_a_method_the_path_does_not_allow(spec):
    problems = request_problems(spec, "PUT", MESSAGES)
    assert problems == [
        "PUT is not allowed on /2010-04-01/Accounts/{AccountSid}/Messages.json (allowed: ['GET', 'POST'])"
    ]


def test_it_prefers_a_literal_path_segment_over_a_template(spec):
    url = f"{BASE}/2010-04-01/Accounts/{ACCOUNT_SID}/IncomingPhoneNumbers/Local.json"
    problems = request_problems(spec, "POST", url, "PhoneNumber=%2B15017122661", FORM)
    assert problems == []


def test_it_works_with_any_base_url(spec):
    path = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    for base in ("https://api.twilio.com", "http://localhost:9999", ""):
        assert send_message(spec, VALID_MESSAGE, url=base + path) == []


# --- list filters (query parameters) -----------------------------------------


def test_it_accepts_the_list_filters_twilio_documents(spec):
    query = urlencode({"To": "+15558675310", "DateSent>": "2024-01-31", "PageSize": "20"})
    assert request_problems(spec, "GET", f"{MESSAGES}?{query}") == []
    query = urlencode({"PhoneNumber": "+15017122661", "Beta": "false", "PageSize": "1000"})
    assert request_problems(spec, "GET", f"{NUMBERS}?{query}") == []


def test_it_accepts_every_query_example_in_the_spec_for_the_calls_we_make(spec):
    for url in (MESSAGES, NUMBERS):
        template = url.removeprefix(BASE).replace(ACCOUNT_SID, "{AccountSid}")
        for param in spec["paths"][template]["get"]["parameters"]:
            for example in param.get("examples", {}).values():
                query = urlencode({param["name"]: example["value"]})
                assert request_problems(spec, "GET", f"{url}?{query}") == [], (param["name"], example)


def test_it_accepts_a_partial_phone_number_filter(spec):
    query = urlencode({"PhoneNumber": "555*"})
    assert request_problems(spec, "GET", f"{NUMBERS}?{query}") == []


def test_it_rejects_an_undeclared_query_parameter(spec):
    problems = request_problems(spec, "GET", f"{MESSAGES}?Status=delivered")
    assert len(problems) == 1
    assert "query parameter 'Status' is not declared" in problems[0]


def test_it_rejects_a_page_size_above_the_maximum(spec):
    problems = request_problems(spec, "GET", f"{NUMBERS}?PageSize=5000")
    assert len(problems) == 1
    assert "above the maximum 1000" in problems[0]


def test_it_rejects_a_malformed_date_filter(spec):
    query = urlencode({"DateSent>": "last tuesday"})
    problems = request_problems(spec, "GET", f"{MESSAGES}?{query}")
    assert len(problems) == 1
    assert "'DateSent>'" in problems[0] and "date-time" in problems[0]


def test_it_rejects_a_body_on_a_get(spec):
    problems = request_problems(spec, "GET", MESSAGES, "To=%2B15558675310", FORM)
    assert problems == [
        "GET /2010-04-01/Accounts/{AccountSid}/Messages.json: operation takes no request body but one was sent"
    ]


# --- authentication ----------------------------------------------------------


def test_the_spec_says_twilio_uses_basic_auth(spec):
    scheme = spec["components"]["securitySchemes"]["accountSid_authToken"]
    assert scheme == {"type": "http", "scheme": "basic"}
    operation = spec["paths"]["/2010-04-01/Accounts/{AccountSid}/Messages.json"]["post"]
    assert operation.get("security", spec["security"]) == [{"accountSid_authToken": []}]


def test_it_accepts_basic_auth_with_the_account_sid():
    assert auth_problems(basic(ACCOUNT_SID, "secret-token"), ACCOUNT_SID) == []


def test_it_finds_the_authorization_header_in_any_case():
    headers = {"authorization": basic(ACCOUNT_SID, "t")["Authorization"]}
    assert auth_problems(headers, ACCOUNT_SID) == []


def test_it_rejects_a_request_without_authorization():
    assert auth_problems({"Accept": "application/json"}, ACCOUNT_SID) == [
        "no Authorization header (Twilio requires HTTP Basic auth)"
    ]


def test_it_rejects_another_username():
    problems = auth_problems(basic("AC" + "f" * 32, "secret-token"), ACCOUNT_SID)
    assert len(problems) == 1
    assert "expected the account SID" in problems[0]
    assert "secret-token" not in problems[0]


def test_it_rejects_bearer_auth():
    assert auth_problems({"Authorization": "Bearer abc"}, ACCOUNT_SID) == [
        "Authorization scheme is 'Bearer', expected Basic"
    ]


def test_it_rejects_an_empty_auth_token():
    assert auth_problems(basic(ACCOUNT_SID, ""), ACCOUNT_SID) == ["Basic auth password (the auth token) is empty"]


def test_it_rejects_credentials_that_are_not_base64():
    assert "not valid base64" in auth_problems({"Authorization": "Basic %%%"}, ACCOUNT_SID)[0]


# --- finding the spec --------------------------------------------------------


def test_the_spec_is_looked_for_beside_the_repository_by_default(monkeypatch):
    monkeypatch.delenv(openapi.SPEC_ENV, raising=False)
    root = next(p for p in pathlib.Path(openapi.__file__).resolve().parents if (p / "pyproject.toml").is_file())
    assert openapi.spec_path() == root.parent / "shared" / "reference" / "twilio_api_v2010.json"


def test_load_spec_returns_none_when_the_file_is_absent(monkeypatch, tmp_path, clean_cache):
    monkeypatch.setenv(openapi.SPEC_ENV, str(tmp_path / "missing.json"))
    assert openapi.load_spec() is None


def test_load_spec_reads_the_file_the_env_var_names(monkeypatch, tmp_path, clean_cache):
    path = tmp_path / "spec.json"
    path.write_text('{"paths": {}}')
    monkeypatch.setenv(openapi.SPEC_ENV, str(path))
    assert openapi.load_spec() == {"paths": {}}


def test_require_spec_skips_when_the_file_is_missing(monkeypatch, tmp_path, clean_cache):
    missing = tmp_path / "missing.json"
    monkeypatch.setenv(openapi.SPEC_ENV, str(missing))
    monkeypatch.delenv(openapi.REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception) as skipped:
        openapi.require_spec()
    assert str(missing) in str(skipped.value)
    assert openapi.SPEC_ENV in str(skipped.value)


def test_require_spec_fails_in_ci_when_the_file_is_missing(monkeypatch, tmp_path, clean_cache):
    missing = tmp_path / "missing.json"
    monkeypatch.setenv(openapi.SPEC_ENV, str(missing))
    monkeypatch.setenv(openapi.REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception) as failed:
        openapi.require_spec()
    assert str(missing) in str(failed.value)
