"""`textback check`: Django's checks still run, then every textback misconfiguration is named with its fix."""

import os
import socket
import subprocess
import sys
from datetime import timedelta

import pytest
import time_machine
from cryptography.fernet import Fernet
from django.contrib.auth import get_user_model
from django.db import OperationalError, connection
from django.utils import timezone

from textback.accounts import two_factor
from textback.accounts.models import Membership
from textback.messaging import actions as messaging
from textback.ops.management.commands import check as check_command
from textback.ops.tests.conftest import PUBLIC_URL, SID, TOKEN
from textback.providers.models import SANDBOX, TWILIO, Line, ProviderAccount

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


def the_one_error(textback):
    """`textback check` fails with exactly one error: that line, and the whole result."""
    result = textback("check")
    assert result.code == 1
    [error] = findings(result, "ERROR")
    return error, result


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


# --- --online, against the local stand-in for api.twilio.com (every request checked against the spec) ----


@pytest.fixture
def twilio(twilio_api):
    """The stand-in, holding acme's Twilio account (SID and TOKEN of the cast)."""
    twilio_api.add_account(SID, TOKEN)
    return twilio_api


def wired_here(twilio, number: str = LINE, **fields) -> dict:
    """A number on acme's account whose webhooks point at textback, unless fields say otherwise."""
    base = PUBLIC_URL
    urls = {
        "voice_url": f"{base}/hooks/twilio/voice",
        "status_callback": f"{base}/hooks/twilio/call-status",
        "sms_url": f"{base}/hooks/twilio/sms",
    }
    return twilio.give_number(SID, number, **{**urls, **fields})


def added_long_ago(line: Line) -> None:
    """Texts to the number count from when the line was added; this one was added a month ago."""
    Line.objects.filter(pk=line.pk).update(created_at=timezone.now() - timedelta(days=30))


def online(textback) -> tuple[int, list[str]]:
    result = textback("check", "--online")
    return result.code, [line for line in result.out.splitlines() if line.startswith(("ERROR", "WARN", "INFO"))]


def test_check_online_confirms_a_number_whose_webhooks_point_here(textback, healthy, twilio, public_url):
    wired_here(twilio)
    twilio.give_number(SID, "+15125550109", voice_url="https://elsewhere.example/voice")  # the filter matches both
    result = textback("check", "--online")
    assert result.code == 0, result.output
    assert f"ok    line {LINE} (acme): on Twilio, and its webhooks point here" in result.out
    assert f"ok    Twilio account {healthy.account.pk} (acme): Twilio accepts its credentials" in result.out
    lookups = [r.url for r in twilio.requests if "IncomingPhoneNumbers" in r.path]
    assert lookups == [f"/2010-04-01/Accounts/{SID}/IncomingPhoneNumbers.json?PhoneNumber=%2B15125550100"]


def test_check_online_reports_bad_credentials(textback, healthy, twilio):
    healthy.account.auth_token = "0" * 32
    healthy.account.save()
    result = textback("check", "--online")
    assert result.code == 1
    assert (
        "Twilio refused the Account SID and auth token (HTTP 401): copy both again from console.twilio.com"
        in result.out
    )
    assert "0" * 32 not in result.output


def test_check_online_reports_a_number_that_is_not_on_the_account(textback, healthy, twilio, public_url):
    wired_here(twilio, "+15125550109")
    result = textback("check", "--online")
    assert result.code == 1
    assert f"ERROR line {LINE} (acme): the number is not on Twilio account {SID}: buy or port it there" in result.out


def test_check_online_reports_webhooks_that_point_elsewhere(textback, healthy, twilio, public_url):
    wired_here(
        twilio, voice_url="https://old-tunnel.ngrok.example/hooks/twilio/voice", sms_method="GET", status_callback=""
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


def test_check_online_does_not_ask_about_the_voice_url_of_a_status_only_line(textback, healthy, twilio, public_url):
    Line.objects.filter(pk=healthy.pk).update(call_mode=Line.STATUS_ONLY)
    wired_here(twilio, voice_url="https://their-own-ivr.example/answer")
    assert textback("check", "--online").code == 0


def test_check_online_checks_the_credentials_of_an_account_without_lines(textback, twilio_account, twilio, public_url):
    result = textback("check", "--online")
    assert f"ok    Twilio account {twilio_account.pk} (acme): Twilio accepts its credentials" in result.out
    assert [r.path for r in twilio.requests] == [f"/2010-04-01/Accounts/{SID}.json"]


def test_check_online_never_prints_the_auth_token_twilio_sends_back(textback, twilio_account, twilio, public_url):
    result = textback("check", "--online", "-v", "2")
    assert TOKEN not in result.output


def test_check_online_says_when_twilio_cannot_be_reached(textback, healthy, settings):
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.TWILIO_API_URL = f"http://127.0.0.1:{port}"
    result = textback("check", "--online")
    assert result.code == 1
    assert f"could not reach Twilio at http://127.0.0.1:{port} (ConnectError): check the network" in result.out


def test_check_online_does_not_ask_twilio_with_a_token_it_cannot_decrypt(textback, healthy, twilio, lose_the_key):
    lose_the_key(healthy.account)
    result = textback("check", "--online")
    assert (
        f"INFO  --online: skipped Twilio account {healthy.account.pk} until its SID and token are fixed" in result.out
    )
    assert twilio.requests == []


def test_check_online_leaves_sandbox_accounts_alone(textback, acme, sandbox_account, twilio, public_url):
    Line.objects.create(business=acme, account=sandbox_account, number=LINE, forward_to=[STAFF_CELL])
    result = textback("check", "--online")
    assert "INFO  --online: there are no Twilio accounts to ask about" in result.out
    assert twilio.requests == []
    assert ProviderAccount.objects.get().provider == SANDBOX


# --- --online: what keeps Twilio from using the number's URLs -----------------


def test_check_online_fails_a_number_whose_calls_go_to_a_twiml_app(textback, healthy, twilio, public_url):
    app = twilio.give_application(SID)
    wired_here(twilio, voice_application_sid=app["sid"])
    code, found = online(textback)
    assert code == 1
    assert found[0] == (
        f"ERROR line {LINE} (acme): its calls go to TwiML App {app['sid']}, so Twilio ignores its "
        'Voice "A call comes in" and Voice "Call status changes": remove the TwiML App from the number in the Twilio '
        f"console, or run `textback line set {LINE} --configure-provider --take-over`"
    )
    assert len(found) == 1  # the URLs it hides are not reported a second time


def test_check_online_fails_a_carrier_forwarding_number_on_a_sip_trunk(textback, healthy, twilio, public_url):
    Line.objects.filter(pk=healthy.pk).update(call_mode=Line.CARRIER_FORWARD)
    wired_here(twilio, trunk_sid="TK" + "1" * 32)
    code, found = online(textback)
    assert code == 1
    assert found == [
        f"ERROR line {LINE} (acme): its calls go to SIP trunk TK{'1' * 32}, so Twilio ignores its "
        'Voice "A call comes in" and Voice "Call status changes": remove the SIP trunk from the number in the '
        f"Twilio console, or run `textback line set {LINE} --configure-provider --take-over`"
    ]


def test_check_online_fails_a_number_whose_texts_go_to_a_twiml_app(textback, healthy, twilio, public_url):
    wired_here(twilio, sms_application_sid="AP" + "2" * 32)
    code, found = online(textback)
    assert code == 1
    assert found == [
        f"ERROR line {LINE} (acme): its texts go to TwiML App AP{'2' * 32}, so Twilio ignores its "
        'Messaging "A message comes in": remove the TwiML App from the number in the Twilio console, or run '
        f"`textback line set {LINE} --configure-provider --take-over`"
    ]


def test_check_online_lets_a_generic_line_route_its_calls_anywhere(textback, healthy, twilio, public_url):
    Line.objects.filter(pk=healthy.pk).update(call_mode=Line.GENERIC_PBX)
    twilio.give_number(SID, LINE, trunk_sid="TK" + "1" * 32, sms_url=f"{PUBLIC_URL}/hooks/twilio/sms")
    assert online(textback)[0] == 0


def test_check_online_accepts_a_status_only_twiml_app_that_reports_call_status_here(
    textback, healthy, twilio, public_url
):
    Line.objects.filter(pk=healthy.pk).update(call_mode=Line.STATUS_ONLY)
    app = twilio.give_application(SID, status_callback=f"{PUBLIC_URL}/hooks/twilio/call-status")
    wired_here(twilio, voice_application_sid=app["sid"], voice_url="", status_callback="")
    code, found = online(textback)
    assert code == 0, found
    assert f"/2010-04-01/Accounts/{SID}/Applications/{app['sid']}.json" in [r.path for r in twilio.requests]


def test_check_online_fails_a_status_only_twiml_app_that_reports_elsewhere(textback, healthy, twilio, public_url):
    Line.objects.filter(pk=healthy.pk).update(call_mode=Line.STATUS_ONLY)
    app = twilio.give_application(SID, status_callback="https://their-ivr.example/status")
    wired_here(twilio, voice_application_sid=app["sid"])
    code, found = online(textback)
    assert code == 1
    assert found == [
        f"ERROR line {LINE} (acme): calls to it are answered by TwiML App {app['sid']}, so Twilio sends call status "
        "to the app's status callback, not the number's: set the app's Status Callback URL to "
        f"{PUBLIC_URL}/hooks/twilio/call-status (HTTP POST) in the Twilio console (Voice > TwiML Apps > {app['sid']})"
    ]


def test_check_online_sends_a_status_only_line_behind_a_sip_trunk_to_the_generic_mode(
    textback, healthy, twilio, public_url
):
    Line.objects.filter(pk=healthy.pk).update(call_mode=Line.STATUS_ONLY)
    wired_here(twilio, trunk_sid="TK" + "1" * 32)
    code, found = online(textback)
    assert code == 1
    assert "which ignores the number's status callback, so textback never hears of them" in found[0]
    assert "`--mode generic`" in found[0]


def test_check_online_warns_when_a_line_that_answers_no_calls_still_gets_them(textback, healthy, twilio, public_url):
    Line.objects.filter(pk=healthy.pk).update(call_mode=Line.STATUS_ONLY)
    wired_here(twilio)
    code, found = online(textback)
    assert code == 0
    assert found == [
        f'WARN  line {LINE} (acme): its Voice "A call comes in" still points at textback, which answers every call as '
        "missed on a status_only line: point it at your own call flow in the Twilio console"
    ]


# --- --online: the account --------------------------------------------------------------


def test_check_online_warns_that_a_sub_accounts_token_must_be_its_own(textback, healthy, twilio, public_url):
    parent = "AC" + "9" * 32
    twilio.add_account(SID, TOKEN, owner=parent)
    wired_here(twilio)
    code, found = online(textback)
    assert code == 0
    assert found[0].startswith(
        f"WARN  Twilio account {healthy.account.pk} (acme): {SID} is a sub-account of {parent}: Twilio signs its "
        "numbers' webhooks with the sub-account's own auth token, so make sure the stored token is the sub-account's"
    )


def test_check_online_stops_warning_about_a_sub_account_once_its_webhooks_verify(textback, healthy, twilio, public_url):
    from textback.calls.models import Call

    twilio.add_account(SID, TOKEN, owner="AC" + "9" * 32)
    wired_here(twilio)
    Call.objects.create(
        business=healthy.business,
        line=healthy,
        provider=TWILIO,
        provider_call_id="CA" + "3" * 32,
        from_number="+15125550147",
        started_at=timezone.now(),
    )
    assert not any("sub-account" in finding for finding in online(textback)[1])


def test_check_online_warns_about_a_trial_account(textback, healthy, twilio, public_url):
    twilio.add_account(SID, TOKEN, type="Trial")
    wired_here(twilio)
    code, found = online(textback)
    assert code == 0
    assert "it is a trial account: Twilio delivers its texts only to verified numbers" in found[0]


def test_check_online_fails_a_suspended_account(textback, healthy, twilio, public_url):
    twilio.add_account(SID, TOKEN, status="suspended")
    wired_here(twilio)
    code, found = online(textback)
    assert code == 1
    assert "ERROR Twilio account" in found[0] and "Twilio says the account is suspended" in found[0]


# --- --online: do incoming texts reach textback? (a Messaging Service routes them) --------


def test_check_online_warns_about_a_text_twilio_received_that_never_reached_textback(
    textback, healthy, twilio, public_url
):
    service = "MG" + "4" * 32
    added_long_ago(healthy)
    wired_here(twilio)
    received = timezone.now().replace(microsecond=0)
    text = twilio.receive(SID, LINE, "+15125550147", "hello?", created=received, messaging_service_sid=service)
    with time_machine.travel(received + timedelta(minutes=2)):
        code, found = online(textback)
    assert code == 0
    assert found == [
        f"WARN  line {LINE} (acme): Twilio received a text to it at {received:%Y-%m-%d %H:%M} UTC ({text['sid']}) "
        "that never reached textback. Twilio hands the texts of a number in a Messaging Service to the service's "
        "own webhook unless the service defers to the number's: in the Twilio console, open Messaging > Services > "
        f'{service} > Integration and set Incoming Messages to "Defer to sender\'s webhook"; if it is in none, '
        "look for the error in the Twilio console's Monitor > Logs"
    ]


def test_check_online_does_not_judge_a_text_that_may_still_be_on_its_way(textback, healthy, twilio, public_url):
    added_long_ago(healthy)
    wired_here(twilio)
    twilio.receive(SID, LINE, "+15125550147", "hello?", created=timezone.now())
    code, found = online(textback)
    assert code == 0
    assert [f[:5] for f in found] == ["INFO "]


def test_check_online_is_satisfied_when_the_latest_text_reached_textback(textback, healthy, twilio, public_url):
    added_long_ago(healthy)
    wired_here(twilio)
    text = twilio.receive(SID, LINE, "+15125550147", "hello?", created=timezone.now() - timedelta(minutes=5))
    messaging.do_inbound_sms(
        messaging.Inbound(
            line=healthy, provider=TWILIO, provider_message_id=text["sid"], from_number="+15125550147", body="hello?"
        )
    )
    code, found = online(textback)
    assert (code, found) == (0, [])


def test_check_online_says_what_to_check_when_no_text_has_come_in_yet(textback, healthy, twilio, public_url):
    wired_here(twilio)
    twilio.receive(SID, LINE, "+15125550147", "before textback", created=timezone.now() - timedelta(days=30))
    code, found = online(textback)
    assert code == 0
    assert found == [
        f"INFO  line {LINE} (acme): no text to it has come in since the line was added, so where Twilio sends its "
        "texts is not known yet. If the number is in a Messaging Service: Twilio hands the texts of a number in a "
        "Messaging Service to the service's own webhook unless the service defers to the number's: in the Twilio "
        'console, open Messaging > Services > (the service) > Integration and set Incoming Messages to "Defer to '
        "sender's webhook\" (textback cannot read that setting; `textback check --online` tells once a text has "
        "come in)."
    ]


# --- credentials encrypted at rest ---------------------------------------------


def test_check_reports_an_auth_token_no_key_can_decrypt_as_an_error_naming_the_account(textback, healthy, lose_the_key):
    account = healthy.account
    lose_the_key(account)
    error, result = the_one_error(textback)
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
        "WARN  1 stored secret (1 provider secret) is not encrypted with the first key of TEXTBACK_ENCRYPTION_KEY "
        "yet: run `textback account reencrypt` (then older keys can be removed)"
    ]
    assert textback("account", "reencrypt").code == 0
    result = textback("check")
    assert findings(result, "WARN") == []
    assert "ok    1 stored secret, all encrypted with the first key" in result.out
    assert "ok    TEXTBACK_ENCRYPTION_KEY is set (2 keys)" in result.out


def test_check_counts_two_factor_secrets_under_an_older_key_among_the_secrets_to_reencrypt(textback, healthy, settings):
    old, new = Fernet.generate_key(), Fernet.generate_key()
    settings.ENCRYPTION_KEYS = [old]
    healthy.account.auth_token = TOKEN
    healthy.account.save()
    two_factor.do_begin(Membership.objects.get(business=healthy.business).user)
    settings.ENCRYPTION_KEYS = [new, old]

    assert findings(textback("check"), "WARN") == [
        "WARN  2 stored secrets (1 provider secret, 1 two-factor secret) are not encrypted with the first key of "
        "TEXTBACK_ENCRYPTION_KEY yet: run `textback account reencrypt` (then older keys can be removed)"
    ]
    textback("account", "reencrypt")
    assert "ok    2 stored secrets, all encrypted with the first key" in textback("check").out


def test_check_reports_a_two_factor_secret_no_key_can_decrypt_as_an_error_naming_the_person(
    textback, healthy, lose_the_two_factor_key
):
    person = Membership.objects.get(business=healthy.business).user
    [lost] = lose_the_two_factor_key(person)
    error, result = the_one_error(textback)
    assert error.startswith(
        f"ERROR the two-factor secret of mike@acme.example (user {person.pk}) cannot be decrypted with any configured "
        "key, so they can sign in only with a recovery code. TEXTBACK_ENCRYPTION_KEY changed? add the old key after "
        "the new one"
    )
    assert error.endswith("`textback user two-factor-off --email mike@acme.example`.")
    assert lost.secret_encrypted not in result.output


def test_check_says_a_webhook_key_is_set(textback, healthy):
    healthy.account.webhook_key = "whsec-0123456789abcdef"
    healthy.account.save()
    result = textback("check")
    assert result.code == 0
    assert (
        f"ok    Twilio account {healthy.account.pk} (acme): Account SID {SID}, token set, webhook key set" in result.out
    )
    assert "whsec-0123456789abcdef" not in result.output


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
