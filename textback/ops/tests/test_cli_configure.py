"""`textback line add|set … --configure-provider`: the number's webhooks set through Twilio's API, against the stub."""

import pytest

from textback.ops.tests.conftest import PUBLIC_URL, SID, TOKEN
from textback.providers.models import Line

LINE = "+15125550100"
STAFF_CELL = "+15125550199"
VOICE, STATUS, SMS = (f"{PUBLIC_URL}/hooks/twilio/{name}" for name in ("voice", "call-status", "sms"))
DEMO_VOICE = "https://demo.twilio.com/welcome/voice/"


@pytest.fixture
def twilio(twilio_api, twilio_account, public_url):
    twilio_api.add_account(SID, TOKEN)
    return twilio_api


def add(textback, account, *extra):
    return textback(
        "line", "add", "--business", "acme", "--account", str(account.pk), "--number", "(512) 555-0100", *extra
    )


def row(what: str, text: str) -> str:
    """One line of what --configure-provider prints: the field, then its new value and what it was."""
    return f"  {what + ':':34} {text}"


def updates(twilio) -> list[dict[str, str]]:
    return [r.form for r in twilio.requests if r.method == "POST" and "/IncomingPhoneNumbers/" in r.path]


def test_it_points_the_numbers_webhooks_here_and_says_what_was_there_before(textback, twilio, twilio_account):
    number = twilio.give_number(SID, LINE, voice_method="GET")
    result = add(textback, twilio_account, "--forward-to", STAFF_CELL, "--configure-provider")
    assert result.code == 0, result.output
    now = twilio.number(LINE)
    assert (now["voice_url"], now["status_callback"], now["sms_url"]) == (VOICE, STATUS, SMS)
    assert (now["voice_method"], now["status_callback_method"], now["sms_method"]) == ("POST", "POST", "POST")
    out = result.out.splitlines()
    assert out[0] == f"Added line {LINE} to acme (twilio account {twilio_account.pk}, forward_screen)."
    assert out[1] == f"Configured Twilio number {LINE} ({number['sid']}):"
    assert out[2] == row('Voice "A call comes in"', f"{VOICE} (HTTP POST), was {DEMO_VOICE} (HTTP GET)")
    assert out[3] == row('Voice "Call status changes"', f"{STATUS} (HTTP POST), was empty")
    assert out[4].startswith(row('Messaging "A message comes in"', f"{SMS} (HTTP POST), was https://demo.twilio.com/"))
    assert "Messaging Service" in out[5]
    assert TOKEN not in result.output


def test_it_sets_only_what_a_status_only_line_needs(textback, twilio, twilio_account):
    twilio.give_number(SID, LINE)
    result = add(textback, twilio_account, "--mode", "status_only", "--configure-provider")
    assert result.code == 0, result.output
    [update] = updates(twilio)
    assert update == {"StatusCallback": STATUS, "StatusCallbackMethod": "POST", "SmsUrl": SMS, "SmsMethod": "POST"}
    assert twilio.number(LINE)["voice_url"] == DEMO_VOICE  # the business's own call flow stays


def test_it_sets_only_the_sms_url_of_a_generic_line(textback, twilio, twilio_account):
    twilio.give_number(SID, LINE, trunk_sid="TK" + "1" * 32)  # the PBX's trunk is none of our business
    result = add(textback, twilio_account, "--mode", "generic", "--configure-provider")
    assert result.code == 0, result.output
    assert updates(twilio) == [{"SmsUrl": SMS, "SmsMethod": "POST"}]


def test_it_sends_nothing_when_the_number_is_already_right(textback, twilio, twilio_account):
    number = twilio.give_number(SID, LINE, voice_url=VOICE, status_callback=STATUS, sms_url=SMS)
    result = add(textback, twilio_account, "--forward-to", STAFF_CELL, "--configure-provider")
    assert result.code == 0, result.output
    assert updates(twilio) == []
    assert f"Twilio number {LINE} ({number['sid']}) already points here; nothing was changed." in result.out


def test_it_refuses_a_number_wired_to_a_twiml_app_and_writes_nothing(textback, twilio, twilio_account):
    app = "AP" + "5" * 32
    twilio.give_number(SID, LINE, voice_application_sid=app)
    result = add(textback, twilio_account, "--forward-to", STAFF_CELL, "--configure-provider")
    assert result.code == 2
    assert result.err.startswith(
        f"--configure-provider: the number is wired elsewhere (its calls go to TwiML App {app}), so Twilio would "
        "ignore the URLs textback sets; nothing was changed. Take it over with --take-over"
    )
    assert updates(twilio) == [] and not Line.objects.exists()


def test_take_over_removes_the_twiml_app_and_says_so(textback, twilio, twilio_account):
    app = "AP" + "5" * 32
    twilio.give_number(SID, LINE, voice_application_sid=app, sms_application_sid="AP" + "6" * 32)
    result = add(textback, twilio_account, "--forward-to", STAFF_CELL, "--configure-provider", "--take-over")
    assert result.code == 0, result.output
    now = twilio.number(LINE)
    assert (now["voice_application_sid"], now["sms_application_sid"], now["voice_url"]) == ("", "", VOICE)
    [update] = updates(twilio)
    assert (update["VoiceApplicationSid"], update["SmsApplicationSid"]) == ("", "")
    assert "TrunkSid" not in update  # only what is in the way
    assert row("TwiML App for calls", f"removed (--take-over), was {app}") in result.out.splitlines()


def test_take_over_takes_the_number_off_a_sip_trunk(textback, twilio, twilio_account):
    twilio.give_number(SID, LINE, trunk_sid="TK" + "1" * 32)
    result = add(textback, twilio_account, "--mode", "carrier_forward", "--configure-provider", "--take-over")
    assert result.code == 0, result.output
    assert updates(twilio)[0]["TrunkSid"] == ""
    assert twilio.number(LINE)["trunk_sid"] is None
    assert "SIP trunk for calls:" in result.out


def test_it_never_takes_the_call_flow_of_a_status_only_line(textback, twilio, twilio_account):
    twilio.give_number(SID, LINE, voice_application_sid=twilio.give_application(SID)["sid"])
    result = add(textback, twilio_account, "--mode", "status_only", "--configure-provider", "--take-over")
    assert result.code == 2
    assert "which a status_only line keeps, so textback does not change it" in result.err
    assert f"set the app's status callback to {STATUS} (HTTP POST)" in result.err
    assert updates(twilio) == [] and not Line.objects.exists()


def test_it_sends_a_status_only_line_behind_a_sip_trunk_to_the_generic_mode(textback, twilio, twilio_account):
    twilio.give_number(SID, LINE, trunk_sid="TK" + "1" * 32)
    result = add(textback, twilio_account, "--mode", "status_only", "--configure-provider", "--take-over")
    assert result.code == 2
    assert "the trunk ignores the number's status callback, so report calls from your PBX with --mode generic" in (
        result.err
    )
    assert updates(twilio) == [] and twilio.number(LINE)["trunk_sid"] == "TK" + "1" * 32


def test_it_configures_a_status_only_line_whose_app_reports_here(textback, twilio, twilio_account):
    app = twilio.give_application(SID, status_callback=STATUS)
    twilio.give_number(SID, LINE, voice_application_sid=app["sid"])
    result = add(textback, twilio_account, "--mode", "status_only", "--configure-provider")
    assert result.code == 0, result.output
    assert twilio.number(LINE)["voice_application_sid"] == app["sid"]


def test_it_refuses_a_number_that_is_not_on_the_account(textback, twilio, twilio_account):
    twilio.give_number(SID, "+15125550109")
    result = add(textback, twilio_account, "--forward-to", STAFF_CELL, "--configure-provider")
    assert result.code == 2
    assert f"--configure-provider: {LINE} is not a number of Twilio account {SID}: buy or port it there" in result.err
    assert not Line.objects.exists()


def test_it_refuses_credentials_twilio_refuses_and_writes_nothing(textback, twilio, twilio_account):
    twilio.give_number(SID, LINE)
    twilio_account.auth_token = "0" * 32  # stored encrypted, like every token
    twilio_account.save()
    result = add(textback, twilio_account, "--forward-to", STAFF_CELL, "--configure-provider")
    assert result.code == 2
    assert "Twilio refused the Account SID and auth token (HTTP 401)" in result.err
    assert "nothing was changed" in result.err and "0" * 32 not in result.output
    assert not Line.objects.exists()


def test_a_failed_update_keeps_the_line_and_says_how_to_retry(textback, twilio, twilio_account):
    twilio.give_number(SID, LINE)
    twilio.number_failures.append((500, {"code": 20500, "message": "Internal Server Error", "status": 500}))
    result = add(textback, twilio_account, "--forward-to", STAFF_CELL, "--configure-provider")
    assert result.code == 1
    assert result.out.startswith(f"Added line {LINE} to acme")
    assert result.err == (
        "Twilio was not configured: Twilio HTTP 500: Internal Server Error. The line is saved; retry with "
        f"`textback line set {LINE} --configure-provider`"
    )
    assert Line.objects.filter(number=LINE).exists()

    retry = textback("line", "set", LINE, "--configure-provider")
    assert retry.code == 0, retry.output
    assert twilio.number(LINE)["voice_url"] == VOICE


def test_line_set_configures_the_fields_of_the_new_call_mode(textback, twilio, twilio_account):
    Line.objects.create(business=twilio_account.business, account=twilio_account, number=LINE, forward_to=[STAFF_CELL])
    twilio.give_number(SID, LINE, voice_url=VOICE, status_callback=STATUS, sms_url=SMS)
    result = textback("line", "set", LINE, "--mode", "generic", "--configure-provider")
    assert result.code == 0, result.output
    assert result.out.startswith(f"Updated line {LINE}: --mode.")
    assert "already points here; nothing was changed" in result.out


def test_take_over_goes_only_with_configure_provider(textback, twilio_account):
    result = add(textback, twilio_account, "--forward-to", STAFF_CELL, "--take-over")
    assert (result.code, result.err) == (2, "--take-over goes with --configure-provider")
    assert not Line.objects.exists()


def test_it_configures_only_twilio_numbers(textback, sandbox_account):
    result = add(textback, sandbox_account, "--forward-to", STAFF_CELL, "--configure-provider")
    assert result.code == 2
    assert f"account {sandbox_account.pk} is a sandbox account, not Twilio" in result.err


def test_it_refuses_to_point_a_number_at_a_url_twilio_cannot_reach(textback, twilio, twilio_account, settings):
    twilio.give_number(SID, LINE)
    settings.PUBLIC_URL = "http://127.0.0.1:8000"
    result = add(textback, twilio_account, "--forward-to", STAFF_CELL, "--configure-provider")
    assert result.code == 2
    assert "Twilio cannot reach TEXTBACK_PUBLIC_URL http://127.0.0.1:8000" in result.err
    assert twilio.requests == [] and not Line.objects.exists()
