"""`textback business …` and `textback exclude …`: a business's settings and its never-text list, from a shell."""

import os
import subprocess
import sys

import pytest

from textback.accounts.models import Business
from textback.messaging.models import ExcludedNumber


def test_it_creates_a_business_and_prints_its_slug(textback):
    result = textback(
        "business",
        "create",
        "--name",
        "Acme Plumbing",
        "--time-zone",
        "America/Denver",
        "--help-contact",
        "call (512) 555-0100",
    )
    assert result.code == 0
    assert result.out.strip() == "acme-plumbing"
    business = Business.objects.get(slug="acme-plumbing")
    assert (business.name, business.time_zone, business.help_contact) == (
        "Acme Plumbing",
        "America/Denver",
        "call (512) 555-0100",
    )


def test_it_uses_the_slug_given(textback):
    assert textback("business", "create", "--name", "Acme Plumbing", "--slug", "acme").out.strip() == "acme"


def test_it_refuses_a_slug_that_is_taken(textback, acme):
    result = textback("business", "create", "--name", "Acme Two", "--slug", "acme")
    assert result.code == 2
    assert "'acme' exists already; choose another with --slug" in result.err
    assert Business.objects.count() == 1


def test_it_refuses_an_unknown_time_zone_and_writes_nothing(textback):
    result = textback("business", "create", "--name", "Acme", "--time-zone", "Texas/Austin")
    assert result.code == 2
    assert "--time-zone: 'Texas/Austin' is not a time zone name such as America/Chicago" in result.err
    assert not Business.objects.exists()


def test_it_reads_a_time_zone_in_any_letter_case(textback):
    textback("business", "create", "--name", "Acme", "--time-zone", "america/new_york")
    assert Business.objects.get().time_zone == "America/New_York"


def test_it_refuses_an_unknown_country(textback):
    result = textback("business", "create", "--name", "Acme", "--country", "XX")
    assert result.code == 2
    assert "--country: 'XX' is not a two-letter country code" in result.err


def test_it_says_which_business_does_not_exist(textback):
    result = textback("business", "set", "nope", "--name", "X")
    assert result.code == 2
    assert "there is no business 'nope'; `textback business list` shows the slugs" in result.err


def test_it_lists_businesses(textback, acme, bolt):
    lines = textback("business", "list").out.splitlines()
    assert lines[0].split() == [
        "SLUG",
        "NAME",
        "TIME",
        "ZONE",
        "COUNTRY",
        "LINES",
        "MEMBERS",
        "TEXTS/HOUR",
        "TEXTS/DAY",
    ]
    assert lines[1].split()[-2:] == ["200", "1000"]
    assert lines[1].split()[:3] == ["acme", "Acme", "Plumbing"]
    assert lines[2].split()[0] == "bolt"


def test_it_changes_the_text_back_rules(textback, acme):
    result = textback(
        "business",
        "set",
        "acme",
        "--outcomes",
        "no_answer, busy,VOICEMAIL",
        "--countries",
        "us,ca,mx",
        "--cooldown-hours",
        "48",
        "--staleness-minutes",
        "5",
        "--help-contact",
        "acme.example/help",
    )
    assert result.code == 0
    acme.refresh_from_db()
    assert acme.outcome_set == {"no_answer", "busy", "voicemail"}
    assert acme.allowed_countries == "US,CA,MX"
    assert (acme.cooldown_hours, acme.staleness_minutes, acme.help_contact) == (48, 5, "acme.example/help")


def test_it_refuses_an_unknown_outcome_and_changes_nothing(textback, acme):
    result = textback("business", "set", "acme", "--name", "Renamed", "--outcomes", "no_answer,hung_up")
    assert result.code == 2
    assert "--outcomes: 'hung_up' is not a call outcome; use one of answered, no_answer" in result.err
    acme.refresh_from_db()
    assert acme.name == "Acme Plumbing"


def test_escalation_can_be_switched_off_from_the_shell(textback, acme):
    result = textback("business", "set", "acme", "--escalate-after-minutes", "0")

    assert result.code == 0
    assert "Escalation is off" in result.out
    acme.refresh_from_db()
    assert acme.escalate_after_minutes == 0
    assert textback("business", "set", "acme", "--escalate-after-minutes", "15").code == 0
    acme.refresh_from_db()
    assert acme.escalate_after_minutes == 15


def test_the_caps_on_automatic_texts_are_set_from_the_shell(textback, acme):
    result = textback("business", "set", "acme", "--texts-per-hour", "50", "--texts-per-day", "0")

    assert result.code == 0
    assert "--texts-per-day 0: no cap" in result.out
    acme.refresh_from_db()
    assert (acme.texts_per_hour, acme.texts_per_day) == (50, 0)
    assert textback("business", "list").out.splitlines()[1].split()[-3:] == ["50", "no", "cap"]


@pytest.mark.parametrize("count", ["-5", "100001"])
def test_it_refuses_a_cap_that_is_not_a_count(textback, acme, count):
    result = textback("business", "set", "acme", "--texts-per-hour", count)

    assert result.code == 2
    assert result.err.startswith("--texts-per-hour: give a whole number of texts")


def test_it_refuses_an_escalation_longer_than_a_day(textback, acme):
    result = textback("business", "set", "acme", "--escalate-after-minutes", "2000")

    assert result.code == 2
    assert result.err.startswith("--escalate-after-minutes: give whole minutes from 1 to 1440, or 0 for never")


def test_it_refuses_a_negative_cool_down(textback, acme):
    result = textback("business", "set", "acme", "--cooldown-hours", "-1")
    assert result.code == 2
    assert result.err.startswith("--cooldown-hours:")


def test_it_says_when_there_is_nothing_to_change(textback, acme):
    result = textback("business", "set", "acme")
    assert result.code == 2
    assert "nothing to change" in result.err


def test_it_prints_the_signing_secret_and_rotates_it(textback, acme):
    assert textback("business", "secret", "acme").out.strip() == acme.signing_secret
    result = textback("business", "secret", "acme", "--rotate")
    acme.refresh_from_db()
    assert result.out.strip() == acme.signing_secret != ""
    assert "calls signed with the old one are now refused" in result.err


def test_it_excludes_a_number_typed_in_any_format(textback, acme):
    result = textback("exclude", "add", "--business", "acme", "--number", "(512) 555-0177", "--label", "Mike's cell")
    assert result.code == 0
    assert ExcludedNumber.objects.get(business=acme).number == "+15125550177"
    assert textback("exclude", "list", "--business", "acme").out.splitlines()[1].split() == [
        "+15125550177",
        "Mike's",
        "cell",
    ]


def test_it_excludes_a_number_once(textback, acme):
    textback("exclude", "add", "--business", "acme", "--number", "+15125550177")
    result = textback("exclude", "add", "--business", "acme", "--number", "512.555.0177")
    assert "Already excluded" in result.out
    assert ExcludedNumber.objects.count() == 1


def test_it_refuses_to_exclude_something_that_is_not_a_number(textback, acme):
    result = textback("exclude", "add", "--business", "acme", "--number", "555-CALL-NOW-PLEASE")
    assert result.code == 2
    assert result.err.startswith("--number:")
    assert not ExcludedNumber.objects.exists()


def test_it_removes_an_exclusion(textback, acme):
    ExcludedNumber.objects.create(business=acme, number="+15125550177")
    assert textback("exclude", "remove", "--business", "acme", "--number", "512 555 0177").code == 0
    assert not ExcludedNumber.objects.exists()


def test_it_says_when_a_number_to_remove_is_not_excluded(textback, acme):
    result = textback("exclude", "remove", "--business", "acme", "--number", "+15125550177")
    assert result.code == 2
    assert "+15125550177 is not excluded for acme" in result.err


def test_the_console_script_exits_2_on_a_usage_mistake_without_a_traceback(tmp_path):
    result = console("business", "create", data_dir=tmp_path)
    assert result.returncode == 2
    assert "the following arguments are required: --name" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_console_script_asks_for_migrate_on_an_empty_database(tmp_path):
    result = console("business", "list", data_dir=tmp_path)
    assert result.returncode == 1
    assert "run `textback migrate`" in result.stderr
    assert "Traceback" not in result.stderr


def console(*args: str, data_dir) -> subprocess.CompletedProcess:
    env = {**os.environ, "TEXTBACK_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "textback.settings"}
    env.pop("TEXTBACK_DATABASE_URL", None)
    script = "import sys; from textback.cli import main; sys.argv[0] = 'textback'; main()"
    return subprocess.run([sys.executable, "-c", script, *args], env=env, capture_output=True, text=True, timeout=60)
