"""`textback check`: Django's checks still run, then every textback misconfiguration is named with its fix."""

import base64
import json
import os
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth import get_user_model
from django.db import OperationalError, connection

from textback.accounts.models import Membership
from textback.ops.management.commands import check as check_command
from textback.ops.tests.conftest import SID, TOKEN
from textback.providers.models import SANDBOX, TWILIO, Line, ProviderAccount
from textback.providers.twilio.tests.openapi import auth_problems, request_problems, require_spec

LINE = "+15125550100"
STAFF_CELL = "+15125550199"


@pytest.fixture
def healthy(acme, twilio_account, public_url):
    """A complete Twilio set-up: nothing for check to complain about."""
    user = get_user_model().objects.create_user("mike@acme.example", "mike@acme.example", "x" * 12)
    Membership.objects.create(user=user, business=acme, role=Membership.OWNER)
    return Line.objects.create(business=acme, account=twilio_account, number=LINE, forward_to=[STAFF_CELL])


def findings(result, level: str) -> list[str]:
    return [line for line in result.out.splitlines() if line.startswith(level)]


def test_check_passes_a_complete_twilio_set_up(textback, healthy):
    result = textback("check")
    assert result.code == 0, result.output
    assert "System check identified no issues" in result.out  # Django's own checks ran
    assert findings(result, "ERROR") == findings(result, "WARN") == []
    assert f"ok    line {LINE} (acme): forward_screen on twilio account" in result.out
    assert result.out.splitlines()[-1] == "textback check: no problems found."


def test_check_says_the_public_url_is_not_set(textback, healthy, settings):
    settings.PUBLIC_URL = "http://127.0.0.1:8000"
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    result = textback("check")
    assert result.code == 1
    assert (
        "ERROR Twilio cannot reach http://127.0.0.1:8000: set TEXTBACK_PUBLIC_URL to the public https URL "
        "of this server"
    ) in result.out
    assert "textback check: 1 error, 0 warnings." in result.err


def test_check_only_warns_about_a_local_url_while_there_is_no_twilio_account(textback, acme, sandbox_account, settings):
    settings.PUBLIC_URL = "http://127.0.0.1:8000"
    result = textback("check")
    assert result.code == 0
    assert "WARN  Twilio cannot reach http://127.0.0.1:8000" in result.out


def test_check_refuses_a_public_url_with_a_path(textback, healthy, settings):
    settings.PUBLIC_URL = "https://textback.example.com/textback?x=1"
    result = textback("check")
    assert result.code == 1
    assert "has a path, query or fragment: set it to https://textback.example.com" in result.out


def test_check_refuses_a_public_url_that_is_not_http(textback, healthy, settings):
    settings.PUBLIC_URL = "textback.example.com"
    assert "ERROR TEXTBACK_PUBLIC_URL 'textback.example.com' is not an http(s) URL" in textback("check").out


def test_check_warns_about_plain_http_on_a_public_host(textback, healthy, settings):
    settings.PUBLIC_URL = "http://textback.example.com"
    result = textback("check")
    assert result.code == 0
    assert "WARN  TEXTBACK_PUBLIC_URL http://textback.example.com is plain http" in result.out


def test_check_reports_a_public_host_missing_from_allowed_hosts(textback, healthy, settings):
    settings.ALLOWED_HOSTS = ["localhost"]
    result = textback("check")
    assert result.code == 1
    assert "ERROR the public URL's host textback.example.com is not in ALLOWED_HOSTS" in result.out
    assert "TEXTBACK_ALLOWED_HOSTS" in result.out


def test_check_accepts_a_wildcard_allowed_host(textback, healthy, settings):
    settings.ALLOWED_HOSTS = [".example.com"]
    assert textback("check").code == 0


def test_check_warns_about_a_short_secret_key(textback, healthy, settings):
    settings.SECRET_KEY = "too-short-to-be-safe"
    healthy.account.auth_token = TOKEN  # a new secret key derives a new encryption key: store the token under it
    healthy.account.save()
    result = textback("check")
    assert result.code == 0
    assert "WARN  TEXTBACK_SECRET_KEY is only 20 characters: use at least 50 random characters" in result.out


def test_check_reports_an_unreachable_database(textback, healthy, monkeypatch):
    def refuse():
        raise OperationalError("connection refused")

    with monkeypatch.context() as patch:  # undone before the test database is rolled back
        patch.setattr(connection, "ensure_connection", refuse)
        result = textback("check")
    assert result.code == 1
    assert f"ERROR cannot use the {connection.vendor} database" in result.out
    assert "(connection refused): check TEXTBACK_DATABASE_URL" in result.out


def test_check_asks_for_migrate_when_migrations_are_not_applied(textback, healthy, monkeypatch):
    monkeypatch.setattr(check_command, "unapplied_migrations", lambda: ["calls.0003_later", "calls.0004_later"])
    result = textback("check")
    assert result.code == 1
    assert "ERROR 2 migrations not applied" in result.out
    assert "(first calls.0003_later): run `textback migrate`" in result.out


def test_check_warns_about_a_business_without_lines_members_or_help_contact(textback, bolt, public_url):
    bolt.help_contact = ""
    bolt.save()
    result = textback("check")
    assert result.code == 0
    warnings = findings(result, "WARN")
    assert any("business bolt has no lines: add one with `textback line add --business bolt" in w for w in warnings)
    assert any("business bolt has no members" in w and "textback user add --business bolt" in w for w in warnings)
    assert any("business bolt has no help contact, so HELP replies only give the line's number" in w for w in warnings)


def test_check_notes_a_business_with_only_sandbox_lines(textback, acme, sandbox_account, public_url):
    Line.objects.create(business=acme, account=sandbox_account, number=LINE, forward_to=[STAFF_CELL])
    assert "INFO  business acme has only sandbox lines: fine for the demo" in textback("check").out


def test_check_reports_a_malformed_sid_and_token_without_printing_the_token(textback, acme, public_url):
    bad_token = "Secret-Password-Nobody-Should-See"
    ProviderAccount.objects.create(business=acme, provider=TWILIO, account_sid="ACnope", auth_token=bad_token)
    result = textback("check")
    assert result.code == 1
    assert "Account SID 'ACnope' is malformed: the Account SID starts with AC and has 32 hex digits" in result.out
    assert "the auth token is malformed (33 characters): the auth token is 32 hex digits" in result.out
    assert bad_token not in result.output


def test_check_reports_a_twilio_account_without_a_token(textback, acme, public_url):
    account = ProviderAccount.objects.create(business=acme, provider=TWILIO, account_sid=SID)
    Line.objects.create(business=acme, account=account, number=LINE, forward_to=[STAFF_CELL])
    result = textback("check")
    assert f"no auth token is set; fix it with `textback account set {account.pk} --token-stdin`" in result.out
    assert f"ERROR line {LINE} (acme): its Twilio account {account.pk} has no auth token" in result.out


def test_check_reports_an_auth_token_no_key_can_decrypt_as_an_error_naming_the_account(textback, healthy, lose_the_key):
    account = healthy.account
    lose_the_key(account)
    result = textback("check")
    assert result.code == 1
    [error] = findings(result, "ERROR")
    assert error.startswith(
        f"ERROR the auth token of Twilio account {account.pk} (acme) cannot be decrypted with any configured key. "
        "TEXTBACK_ENCRYPTION_KEY changed? add the old key after the new one"
    )
    assert f"`textback account set {account.pk} --token-stdin`" in error
    assert TOKEN not in result.output and account.auth_token_encrypted not in result.output


def test_check_reports_a_webhook_key_no_key_can_decrypt(textback, healthy, lose_the_key):
    healthy.account.webhook_key = "whsec-0123456789abcdef"
    healthy.account.save()
    lose_the_key(healthy.account)
    errors = findings(textback("check"), "ERROR")
    assert len(errors) == 2
    assert f"the webhook key of Twilio account {healthy.account.pk} (acme) cannot be decrypted" in errors[1]
    assert f"`textback account set {healthy.account.pk} --webhook-key-stdin`" in errors[1]


def test_check_warns_about_secrets_under_an_older_key_until_they_are_reencrypted(textback, healthy, settings):
    old, new = Fernet.generate_key(), Fernet.generate_key()
    settings.ENCRYPTION_KEYS = [old]
    healthy.account.auth_token = TOKEN
    healthy.account.save()
    settings.ENCRYPTION_KEYS = [new, old]

    result = textback("check")
    assert result.code == 0
    assert findings(result, "WARN") == [
        "WARN  1 stored secret is not encrypted with the first key of TEXTBACK_ENCRYPTION_KEY yet: "
        "run `textback account reencrypt` (then older keys can be removed)"
    ]
    assert textback("account", "reencrypt").code == 0
    result = textback("check")
    assert findings(result, "WARN") == []
    assert "ok    1 stored secret, all encrypted with the first key" in result.out
    assert "ok    TEXTBACK_ENCRYPTION_KEY is set (2 keys)" in result.out


def test_check_says_a_webhook_key_is_set(textback, healthy):
    healthy.account.webhook_key = "whsec-0123456789abcdef"
    healthy.account.save()
    result = textback("check")
    assert result.code == 0
    assert (
        f"ok    Twilio account {healthy.account.pk} (acme): Account SID {SID}, token set, webhook key set" in result.out
    )
    assert "whsec-0123456789abcdef" not in result.output


def test_check_reports_a_forward_screen_line_without_phones(textback, healthy):
    Line.objects.filter(pk=healthy.pk).update(forward_to=[])
    result = textback("check")
    assert result.code == 1
    assert (
        f"ERROR line {LINE} (acme): forward_screen rings staff phones but none are set: "
        f"`textback line set {LINE} --forward-to +15125550199`"
    ) in result.out


def test_check_reports_numbers_not_in_e164_and_a_line_forwarding_to_itself(textback, healthy):
    Line.objects.filter(pk=healthy.pk).update(number="5125550100", forward_to=["(512) 555-0199", LINE])
    Line.objects.create(
        business=healthy.business, account=healthy.account, number="+15125550101", forward_to=["+15125550101"]
    )
    out = textback("check").out
    assert "ERROR line 5125550100 (acme): '5125550100' is not an E.164 number such as +15125550147" in out
    assert "forward-to number '(512) 555-0199' is not an E.164 number" in out
    assert "ERROR line +15125550101 (acme): it forwards to its own number, so calls would loop back" in out


def test_check_reports_a_template_that_cannot_be_rendered(textback, healthy):
    Line.objects.filter(pk=healthy.pk).update(voicemail_template="Hi {caller}, got your voicemail")
    out = textback("check").out
    assert f"ERROR line {LINE} (acme): the voicemail template: unknown field {{caller}}" in out
    assert "--voicemail-template" in out


def test_check_keeps_djangos_options(textback, healthy):
    assert "database" in textback("check", "--list-tags").out
    healthy.business.help_contact = ""
    healthy.business.save()
    assert textback("check").code == 0
    assert textback("check", "--fail-level", "WARNING").code == 1


# --- --online, against a local stand-in for api.twilio.com -------------------


@dataclass
class FakeTwilio:
    """Answers IncomingPhoneNumbers.json like Twilio, for the numbers it holds, and records each request."""

    url: str = ""
    numbers: dict[str, list[dict]] = field(default_factory=dict)  # account SID → IncomingPhoneNumber resources
    requests: list[dict] = field(default_factory=list)

    def give(self, account_sid: str, number: str, base: str, **overrides) -> None:
        resource = {
            "account_sid": account_sid,
            "phone_number": number,
            "sid": "PN" + "a" * 32,
            "friendly_name": number,
            "voice_url": f"{base}/hooks/twilio/voice",
            "voice_method": "POST",
            "status_callback": f"{base}/hooks/twilio/call-status",
            "status_callback_method": "POST",
            "sms_url": f"{base}/hooks/twilio/sms",
            "sms_method": "POST",
        }
        self.numbers.setdefault(account_sid, []).append({**resource, **overrides})


def fake_twilio_handler(state: FakeTwilio):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            state.requests.append({"method": "GET", "url": state.url + self.path, "headers": dict(self.headers)})
            parts = urlsplit(self.path)
            account_sid = parts.path.split("/")[3]
            if self.headers.get("Authorization") != basic(account_sid, TOKEN):
                return self.reply(401, {"code": 20003, "message": "Authenticate", "status": 401})
            wanted = parse_qs(parts.query).get("PhoneNumber", [""])[0]
            found = [n for n in state.numbers.get(account_sid, []) if wanted in n["phone_number"]]
            self.reply(
                200, {"incoming_phone_numbers": found, "page": 0, "page_size": 50, "start": 0, "end": len(found)}
            )

        def reply(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    return Handler


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@pytest.fixture
def twilio_api(settings):
    state = FakeTwilio()
    server = ThreadingHTTPServer(("127.0.0.1", 0), fake_twilio_handler(state))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = settings.TWILIO_API_URL = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def spec():
    return require_spec()


def assert_requests_match_twilios_description(spec, twilio_api) -> None:
    assert twilio_api.requests
    for request in twilio_api.requests:
        assert request_problems(spec, request["method"], request["url"]) == []
        assert auth_problems(request["headers"], SID) == []


def test_check_online_confirms_a_number_whose_webhooks_point_here(textback, healthy, twilio_api, spec, public_url):
    twilio_api.give(SID, LINE, public_url)
    twilio_api.give(SID, "+15125550109", "https://elsewhere.example")  # another number the filter must not confuse
    result = textback("check", "--online")
    assert result.code == 0, result.output
    assert f"ok    line {LINE} (acme): on Twilio, and its webhooks point here" in result.out
    assert twilio_api.requests[0]["url"].endswith(
        f"/2010-04-01/Accounts/{SID}/IncomingPhoneNumbers.json?PhoneNumber=%2B15125550100"
    )
    assert_requests_match_twilios_description(spec, twilio_api)


def test_check_online_reports_bad_credentials(textback, healthy, twilio_api, spec):
    healthy.account.auth_token = "0" * 32
    healthy.account.save()
    result = textback("check", "--online")
    assert result.code == 1
    assert (
        "Twilio refused the Account SID and auth token (HTTP 401): copy both again from console.twilio.com"
        in result.out
    )
    assert "0" * 32 not in result.output
    assert_requests_match_twilios_description(spec, twilio_api)


def test_check_online_reports_a_number_that_is_not_on_the_account(textback, healthy, twilio_api, spec):
    twilio_api.give(SID, "+15125550109", "https://textback.example.com")
    result = textback("check", "--online")
    assert result.code == 1
    assert f"ERROR line {LINE} (acme): the number is not on Twilio account {SID}: buy or port it there" in result.out
    assert_requests_match_twilios_description(spec, twilio_api)


def test_check_online_reports_webhooks_that_point_elsewhere(textback, healthy, twilio_api, spec, public_url):
    twilio_api.give(
        SID,
        LINE,
        public_url,
        voice_url="https://old-tunnel.ngrok.example/hooks/twilio/voice",
        sms_method="GET",
        status_callback="",
    )
    out = textback("check", "--online").out
    assert (
        'Twilio\'s Voice "A call comes in" is https://old-tunnel.ngrok.example/hooks/twilio/voice; '
        "set it to https://textback.example.com/hooks/twilio/voice (HTTP POST)"
    ) in out
    assert (
        'Twilio\'s Voice "Call status changes" is empty; set it to https://textback.example.com/hooks/twilio/call-status'
        in out
    )
    assert 'Twilio\'s Messaging "A message comes in" uses HTTP GET; switch it to HTTP POST' in out
    assert_requests_match_twilios_description(spec, twilio_api)


def test_check_online_does_not_ask_about_the_voice_url_of_a_status_only_line(textback, healthy, twilio_api, public_url):
    Line.objects.filter(pk=healthy.pk).update(call_mode=Line.STATUS_ONLY)
    twilio_api.give(SID, LINE, public_url, voice_url="https://their-own-ivr.example/answer")
    assert textback("check", "--online").code == 0


def test_check_online_checks_the_credentials_of_an_account_without_lines(
    textback, twilio_account, twilio_api, spec, public_url
):
    result = textback("check", "--online")
    assert f"ok    Twilio account {twilio_account.pk} (acme): Twilio accepts its credentials" in result.out
    assert_requests_match_twilios_description(spec, twilio_api)


def test_check_online_says_when_twilio_cannot_be_reached(textback, healthy, settings):
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.TWILIO_API_URL = f"http://127.0.0.1:{port}"
    result = textback("check", "--online")
    assert result.code == 1
    assert f"could not reach Twilio at http://127.0.0.1:{port} (ConnectError): check the network" in result.out


def test_check_online_does_not_ask_twilio_with_a_token_it_cannot_decrypt(textback, healthy, twilio_api, lose_the_key):
    lose_the_key(healthy.account)
    result = textback("check", "--online")
    assert (
        f"INFO  --online: skipped Twilio account {healthy.account.pk} until its SID and token are fixed" in result.out
    )
    assert twilio_api.requests == []


def test_check_online_leaves_sandbox_accounts_alone(textback, acme, sandbox_account, twilio_api, public_url):
    Line.objects.create(business=acme, account=sandbox_account, number=LINE, forward_to=[STAFF_CELL])
    result = textback("check", "--online")
    assert "INFO  --online: there are no Twilio accounts to ask about" in result.out
    assert twilio_api.requests == []
    assert ProviderAccount.objects.get().provider == SANDBOX


def test_a_malformed_encryption_key_stops_every_command_with_a_message_that_quotes_no_key(tmp_path):
    good = Fernet.generate_key().decode()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEXTBACK_")}
    env.update(TEXTBACK_DATA_DIR=str(tmp_path), TEXTBACK_ENCRYPTION_KEY=f"{good},not-a-fernet-key")

    result = subprocess.run(
        [sys.executable, "-m", "textback.cli", "check"], env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 2
    assert result.stderr.startswith("textback: TEXTBACK_ENCRYPTION_KEY: key 2 of 2 is not a Fernet key")
    assert "Traceback" not in result.stderr
    assert good not in result.stderr and "not-a-fernet-key" not in result.stderr
