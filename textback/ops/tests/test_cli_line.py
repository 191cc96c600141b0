"""`textback line …`: attaching numbers, how calls to them are handled, and what to paste into Twilio."""

import pytest

from textback.accounts.models import Business
from textback.providers.models import SANDBOX, Line, ProviderAccount

STAFF_CELL = "+15125550199"


@pytest.fixture
def twilio_line(twilio_account):
    return Line.objects.create(
        business=twilio_account.business,
        account=twilio_account,
        number="+15125550100",
        forward_to=[STAFF_CELL],
        keyword_replies=Line.PROVIDER,
    )


def add_line(textback, account, *extra, number="(512) 555-0100"):
    return textback("line", "add", "--business", "acme", "--account", str(account.pk), "--number", number, *extra)


def test_it_stores_numbers_in_e164(textback, twilio_account):
    result = add_line(textback, twilio_account, "--forward-to", "512-555-0199, 1 (512) 555 0198,+15125550199")
    assert result.code == 0
    line = Line.objects.get()
    assert line.number == "+15125550100"
    assert line.forward_to == ["+15125550199", "+15125550198"]


def test_it_reads_numbers_in_the_business_country(textback):
    london = Business.objects.create(name="Thames Boilers", slug="thames", country="GB", time_zone="Europe/London")
    account = ProviderAccount.objects.create(business=london, provider=SANDBOX)
    textback(
        "line",
        "add",
        "--business",
        "thames",
        "--account",
        str(account.pk),
        "--number",
        "020 7946 0018",
        "--forward-to",
        "07400 123456",
    )
    line = Line.objects.get()
    assert (line.number, line.forward_to) == ("+442079460018", ["+447400123456"])


def test_it_refuses_an_invalid_number_and_says_how_to_type_it(textback, twilio_account):
    result = add_line(textback, twilio_account, "--forward-to", STAFF_CELL, number="555-01")
    assert result.code == 2
    assert result.err.startswith("--number: '555-01' is not a valid phone number; type it as +15125550147")
    assert not Line.objects.exists()


def test_it_prints_the_webhook_urls_to_paste_into_twilio(textback, twilio_account, public_url):
    result = add_line(textback, twilio_account, "--forward-to", STAFF_CELL)
    assert 'Voice "A call comes in":         https://textback.example.com/hooks/twilio/voice' in result.out
    assert 'Voice "Call status changes":     https://textback.example.com/hooks/twilio/call-status' in result.out
    assert 'Messaging "A message comes in":  https://textback.example.com/hooks/twilio/sms' in result.out
    assert "HTTP POST" in result.out
    assert result.err == ""


def test_it_prints_only_call_status_and_sms_urls_for_a_status_only_line(textback, twilio_account, public_url):
    result = add_line(textback, twilio_account, "--mode", "status_only")
    assert "/hooks/twilio/call-status" in result.out and "/hooks/twilio/sms" in result.out
    assert "/hooks/twilio/voice" not in result.out


def test_it_prints_no_twilio_urls_for_a_sandbox_line(textback, sandbox_account, public_url):
    result = add_line(textback, sandbox_account, "--forward-to", STAFF_CELL)
    assert result.code == 0
    assert "/hooks/twilio/" not in result.out


def test_it_tells_a_generic_line_where_to_post_calls(textback, sandbox_account, public_url):
    result = add_line(textback, sandbox_account, "--mode", "generic")
    assert "https://textback.example.com/hooks/generic/call" in result.out
    assert "textback business secret acme" in result.out


def test_it_warns_when_twilio_cannot_reach_the_public_url(textback, twilio_account, settings):
    settings.PUBLIC_URL = "http://127.0.0.1:8000"
    result = add_line(textback, twilio_account, "--forward-to", STAFF_CELL)
    assert result.code == 0
    assert "Twilio cannot reach these URLs: set TEXTBACK_PUBLIC_URL" in result.err


def test_it_lets_twilio_answer_stop_on_twilio_lines_and_answers_it_on_sandbox_lines(
    textback, twilio_account, sandbox_account
):
    add_line(textback, twilio_account, "--forward-to", STAFF_CELL)
    add_line(textback, sandbox_account, "--forward-to", STAFF_CELL, number="+15125550101")
    assert Line.objects.get(number="+15125550100").keyword_replies == Line.PROVIDER
    assert Line.objects.get(number="+15125550101").keyword_replies == Line.OURS


def test_it_takes_every_setting(textback, twilio_account):
    result = add_line(
        textback,
        twilio_account,
        "--label",
        "Austin",
        "--mode",
        "carrier_forward",
        "--ring-seconds",
        "25",
        "--staff-name",
        "Mike",
        "--delay",
        "30",
        "--template",
        "Hi {first_name|there}, {staff} here",
        "--voicemail-template",
        "",
        "--no-voicemail",
        "--greeting",
        "Leave a message",
        "--keyword-replies",
        "ours",
        "--no-textback",
    )
    assert result.code == 0
    line = Line.objects.get()
    assert (line.label, line.call_mode, line.ring_seconds, line.staff_name, line.delay_seconds) == (
        "Austin",
        Line.CARRIER_FORWARD,
        25,
        "Mike",
        30,
    )
    assert (line.textback_template, line.voicemail_template) == ("Hi {first_name|there}, {staff} here", "")
    assert (line.record_voicemail, line.greeting, line.keyword_replies, line.textback_enabled) == (
        False,
        "Leave a message",
        Line.OURS,
        False,
    )


def test_it_refuses_an_account_of_another_business(textback, twilio_account, bolt):
    theirs = ProviderAccount.objects.create(business=bolt, provider=SANDBOX)
    result = add_line(textback, theirs, "--forward-to", STAFF_CELL)
    assert result.code == 2
    assert f"--account: account {theirs.pk} belongs to bolt, not acme" in result.err
    assert not Line.objects.exists()


def test_it_refuses_a_forward_screen_line_without_phones(textback, twilio_account):
    result = add_line(textback, twilio_account)
    assert result.code == 2
    assert "--forward-to: a forward_screen line rings staff phones, so give at least one" in result.err


def test_it_refuses_a_line_that_forwards_to_itself(textback, twilio_account):
    result = add_line(textback, twilio_account, "--forward-to", "512 555 0100")
    assert result.code == 2
    assert "is this line's own number" in result.err


def test_it_refuses_a_number_that_is_a_line_already(textback, twilio_line):
    result = add_line(textback, twilio_line.account, "--forward-to", STAFF_CELL, number="+1 512 555 0100")
    assert result.code == 2
    assert "+15125550100 is a line of acme already; change it with `textback line set +15125550100`" in result.err


def test_it_refuses_a_template_with_an_unknown_field_and_writes_nothing(textback, twilio_account):
    result = add_line(textback, twilio_account, "--forward-to", STAFF_CELL, "--template", "Hi {name}")
    assert result.code == 2
    assert result.err.startswith("--template: unknown field {name}; the fields are {business}")
    assert not Line.objects.exists()


def test_it_refuses_a_template_that_could_come_out_longer_than_a_text(textback, twilio_account):
    result = add_line(textback, twilio_account, "--forward-to", STAFF_CELL, "--template", "{staff} " + "x" * 1560)
    assert result.code == 2
    assert result.err.startswith("--template: with the longest names filled in")
    assert "it is 1,621 characters, and a text can be at most 1,600; shorten it by at least 21" in result.err
    assert not Line.objects.exists()


def test_it_refuses_ring_seconds_twilio_cannot_use(textback, twilio_account):
    result = add_line(textback, twilio_account, "--forward-to", STAFF_CELL, "--ring-seconds", "2")
    assert result.code == 2
    assert "--ring-seconds: give 10 to 600 seconds" in result.err


def test_it_refuses_more_phones_than_twilio_rings_at_once(textback, twilio_account):
    eleven = ",".join(f"+1512555{n:04d}" for n in range(1, 12))
    result = add_line(textback, twilio_account, "--forward-to", eleven)

    assert result.code == 2
    assert "--forward-to: ring at most 10 phones at once" in result.err
    assert not Line.objects.exists()


def test_it_changes_a_line_found_by_its_number_in_any_format(textback, twilio_line):
    result = textback(
        "line",
        "set",
        "(512) 555-0100",
        "--mode",
        "carrier_forward",
        "--no-textback",
        "--delay",
        "60",
        "--no-voicemail",
        "--forward-to",
        "",
    )
    assert result.code == 0
    twilio_line.refresh_from_db()
    assert (twilio_line.call_mode, twilio_line.textback_enabled, twilio_line.delay_seconds) == (
        Line.CARRIER_FORWARD,
        False,
        60,
    )
    assert (twilio_line.record_voicemail, twilio_line.forward_to) == (False, [])


def test_it_turns_settings_back_on(textback, twilio_line):
    Line.objects.filter(pk=twilio_line.pk).update(textback_enabled=False, record_voicemail=False)
    textback("line", "set", "+15125550100", "--textback", "--voicemail")
    twilio_line.refresh_from_db()
    assert twilio_line.textback_enabled and twilio_line.record_voicemail


def test_it_refuses_a_change_that_would_leave_a_screened_line_without_phones(textback, twilio_line):
    result = textback("line", "set", "+15125550100", "--forward-to", "")
    assert result.code == 2
    twilio_line.refresh_from_db()
    assert twilio_line.forward_to == [STAFF_CELL]


def test_it_says_which_line_does_not_exist(textback, twilio_line):
    result = textback("line", "set", "+15125550111", "--label", "x")
    assert result.code == 2
    assert "no line has the number '+15125550111'; `textback line list` shows them" in result.err


def test_it_lists_lines(textback, twilio_line, bolt):
    account = ProviderAccount.objects.create(business=bolt, provider=SANDBOX)
    Line.objects.create(business=bolt, account=account, number="+15125550300", call_mode=Line.CARRIER_FORWARD)
    rows = [row.split() for row in textback("line", "list").out.splitlines()]
    assert rows[0] == ["NUMBER", "BUSINESS", "PROVIDER", "ACCOUNT", "MODE", "RINGS", "TEXTBACK", "LABEL"]
    assert rows[1] == [
        "+15125550100",
        "acme",
        "twilio",
        str(twilio_line.account.pk),
        "forward_screen",
        STAFF_CELL,
        "on",
    ]
    assert rows[2][:2] == ["+15125550300", "bolt"]
    assert "bolt" not in textback("line", "list", "--business", "acme").out


def test_it_shows_a_line_with_its_webhook_urls(textback, twilio_line, public_url):
    result = textback("line", "show", "5125550100")
    assert "forward-to:          +15125550199" in result.out
    assert "https://textback.example.com/hooks/twilio/voice" in result.out
