"""`textback business …` and `textback line …` for public holidays, closures, a line's own hours and the
situation texts."""

from datetime import date

import pytest

from textback.accounts.models import Business
from textback.providers.models import Line
from textback.rules.models import Closure


@pytest.fixture
def line(twilio_account):
    return Line.objects.create(
        business=twilio_account.business,
        account=twilio_account,
        number="+15125550100",
        keyword_replies=Line.PROVIDER,
        forward_to=["+15125550199"],
    )


def test_public_holidays_are_on_by_default_and_can_be_switched_and_moved(textback, acme):
    assert acme.holiday_region == ("US", "")
    result = textback("business", "set", "acme", "--holiday-country", "ca", "--holiday-region", "on")
    assert result.code == 0, result.output
    assert Business.objects.get(slug="acme").holiday_region == ("CA", "ON")
    assert textback("business", "set", "acme", "--no-holidays").code == 0
    assert Business.objects.get(slug="acme").holiday_region == ("", "")


def test_an_unknown_holiday_region_is_refused(textback, acme):
    result = textback("business", "set", "acme", "--holiday-region", "ZZ")
    assert result.code == 2 and "--holiday-region: “ZZ” is not a region of US" in result.output
    assert Business.objects.get(slug="acme").holiday_subdivision == ""


def test_closures_are_added_listed_and_removed(textback, acme, line):
    added = textback("business", "closures", "add", "acme", "--first", "2026-12-24", "--last", "2026-12-26",
                     "--label", "Christmas break", "--line", "(512) 555-0100")  # fmt: skip
    assert added.code == 0, added.output
    closure = Closure.objects.get()
    assert (closure.first_day, closure.last_day, closure.line) == (date(2026, 12, 24), date(2026, 12, 26), line)
    listed = textback("business", "closures", "list", "acme")
    assert "2026-12-24" in listed.out and "Christmas break" in listed.out and "+15125550100" in listed.out
    assert textback("business", "closures", "remove", "acme", "--id", str(closure.pk)).code == 0
    assert not Closure.objects.exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--first", "24/12/2026"], "give dates as YYYY-MM-DD"),
        (["--first", "2026-12-26", "--last", "2026-12-24"], "The last day is before the first day"),
        ([], "give dates as YYYY-MM-DD"),
    ],
)
def test_a_bad_closure_is_refused_with_a_message(textback, acme, args, message):
    result = textback("business", "closures", "add", "acme", *args)
    assert result.code == 2 and message in result.output
    assert not Closure.objects.exists()


def test_a_closure_of_another_business_cannot_be_removed(textback, acme, bolt):
    theirs = Closure.objects.create(business=bolt, first_day=date(2026, 12, 1), last_day=date(2026, 12, 1))
    assert textback("business", "closures", "remove", "acme", "--id", str(theirs.pk)).code == 2
    assert Closure.objects.filter(pk=theirs.pk).exists()


def test_a_line_gets_its_own_hours_and_situation_texts(textback, line):
    result = textback("line", "set", "+15125550100", "--own-hours", "Mon-Fri 07:00-15:00; Sat 08:00-12:00",
                      "--after-hours-template", "{business}: back {next_open}?", "--emergency-triage")  # fmt: skip
    assert result.code == 0, result.output
    line.refresh_from_db()
    assert line.own_hours and line.hours[0] == [0, "07:00", "15:00"] and len(line.hours) == 6
    assert line.after_hours_template == "{business}: back {next_open}?" and line.emergency_triage
    shown = textback("line", "show", "+15125550100").out
    assert "own-hours:" in shown and "Sat 08:00-12:00" in shown
    assert textback("line", "set", "+15125550100", "--business-hours").code == 0
    line.refresh_from_db()
    assert not line.own_hours


def test_own_hours_that_cannot_be_read_are_refused(textback, line):
    result = textback("line", "set", "+15125550100", "--own-hours", "weekdays 9-5")
    assert result.code == 2 and "--own-hours:" in result.output and "is not a day" in result.output


def test_a_situation_text_with_an_unknown_field_is_refused(textback, line):
    result = textback("line", "set", "+15125550100", "--holiday-template", "{nope}")
    assert result.code == 2 and "unknown field {nope}" in result.output


def test_the_help_documents_the_new_flags(textback, capsys):
    for verb, flags in [("business set", ["--holidays", "--holiday-country", "--holiday-region"]),
                        ("line set", ["--after-hours-template", "--emergency-triage", "--own-hours"])]:  # fmt: skip
        with pytest.raises(SystemExit):  # argparse prints the help and exits
            textback(*verb.split(), "--help")
        out = capsys.readouterr().out
        assert all(flag in out for flag in flags), verb


def test_the_weekly_hours_are_set_and_removed(textback, acme):
    result = textback("business", "set", "acme", "--hours", "Mon-Fri 08:00-17:00; Sat 09:00-12:00")
    assert result.code == 0 and "Mon 08:00-17:00" in result.out
    assert acme.opening_hours.count() == 6
    assert textback("business", "set", "acme", "--always-open").code == 0
    assert acme.opening_hours.count() == 0


@pytest.mark.parametrize(
    "spans, message",
    [("Mon 08:00-08:00", "Opens and closes at the same time"), ("Mon 08:00-12:00; Mon 11:00-13:00", "Overlaps")],
)
def test_hours_that_cannot_be_saved_are_refused(textback, acme, spans, message):
    result = textback("business", "set", "acme", "--hours", spans)
    assert result.code == 2 and message in result.output
    assert acme.opening_hours.count() == 0
