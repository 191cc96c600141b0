"""The opening hours page's public holidays and closures, and a line's own hours and situation texts."""

from datetime import UTC, date, datetime, time

import pytest
from django.forms.models import model_to_dict

from textback.accounts.models import Business
from textback.providers.models import Line
from textback.rules.models import Closure
from textback.testing import flashed, page_text

pytestmark = pytest.mark.django_db
HOURS = "/b/alpha/settings/hours"


def closures() -> list[dict]:
    return [model_to_dict(c) for c in Closure.objects.order_by("pk")]


def test_the_hours_page_explains_holidays_and_closures_and_their_defaults(as_alice):
    page = page_text(as_alice.get(HOURS))
    assert "Closed on public holidays" in page and "On by default" in page
    assert "No closures coming up." in page


def test_an_owner_picks_whose_public_holidays_apply(as_alice, alpha):
    response = as_alice.post(f"{HOURS}/holidays", {"holiday_country": "CA", "holiday_subdivision": "on"})
    assert response.status_code == 302
    alpha.refresh_from_db()
    assert (alpha.public_holidays, alpha.holiday_country, alpha.holiday_subdivision) == (False, "CA", "ON")
    assert alpha.holiday_region == ("", "")  # switched off: none apply


def test_an_unknown_region_is_refused_with_a_message_not_saved(as_alice, alpha):
    response = as_alice.post(f"{HOURS}/holidays", {"public_holidays": "on", "holiday_subdivision": "ZZ"})
    assert response.status_code == 400
    assert "“ZZ” is not a region of" in page_text(response)
    alpha.refresh_from_db()
    assert alpha.holiday_subdivision == ""


def test_a_closure_is_added_for_one_line_and_listed(as_alice, alpha, alpha_line):
    response = as_alice.post(
        f"{HOURS}/closures",
        {"first_day": "2026-12-28", "last_day": "2026-12-30", "label": "Stocktake", "line": alpha_line.pk},
    )
    assert response.status_code == 302
    closure = Closure.objects.get()
    assert (closure.first_day, closure.last_day, closure.label, closure.line) == (
        date(2026, 12, 28), date(2026, 12, 30), "Stocktake", alpha_line
    )  # fmt: skip


@pytest.mark.parametrize(
    "post, message",
    [
        ({"first_day": "2026-12-30", "last_day": "2026-12-28"}, "The last day is before the first day."),
        ({"first_day": "tomorrow"}, "Give a date such as 2026-12-24."),
        ({"first_day": "2026-01-01", "last_day": "2027-06-01"}, "A closure can be at most 366 days"),
        ({"first_day": "2026-12-28", "line": "999999"}, "Choose one of your lines, or every line."),
    ],
)
def test_a_bad_closure_gets_a_message_and_nothing_is_saved(as_alice, alpha, post, message):
    response = as_alice.post(f"{HOURS}/closures", post)
    assert response.status_code == 400
    assert message in page_text(response)
    assert closures() == []


def test_a_closure_is_removed_and_a_second_remove_says_it_is_gone(as_alice, alpha):
    closure = Closure.objects.create(business=alpha, first_day=date(2026, 12, 28), last_day=date(2026, 12, 28))
    assert as_alice.post(f"{HOURS}/closures", {"remove": closure.pk}).status_code == 302
    again = as_alice.post(f"{HOURS}/closures", {"remove": closure.pk}, follow=True)
    assert "removed already" in flashed(again) or "removed already" in page_text(again)
    assert closures() == []


@pytest.mark.cross_tenant("settings-closures")
def test_another_business_closures_cannot_be_added_or_removed(as_alice, beta):
    theirs = Closure.objects.create(business=beta, first_day=date(2026, 12, 28), last_day=date(2026, 12, 28))
    before = closures()
    assert as_alice.post("/b/beta/settings/hours/closures", {"first_day": "2026-12-01"}).status_code == 404
    assert as_alice.post("/b/beta/settings/hours/closures", {"remove": theirs.pk}).status_code == 404
    as_alice.post(f"{HOURS}/closures", {"remove": theirs.pk})  # through alpha's own slug: not alpha's closure
    assert closures() == before


@pytest.mark.cross_tenant("settings-holidays")
def test_another_business_holidays_cannot_be_changed(as_alice, beta):
    assert as_alice.post("/b/beta/settings/hours/holidays", {"holiday_country": "GB"}).status_code == 404
    assert Business.objects.get(pk=beta.pk).holiday_country == ""


def test_an_agent_cannot_change_the_schedule(as_bob, alpha):
    assert as_bob.post(f"{HOURS}/closures", {"first_day": "2026-12-01"}).status_code in (403, 404)
    assert closures() == []


def test_a_get_to_the_closures_address_changes_nothing(as_alice):
    assert as_alice.get(f"{HOURS}/closures").status_code == 405


def line_post(line, **changes) -> dict:
    data = {"number": line.number, "label": "", "active": "on", "call_mode": line.call_mode,
            "forward_to": "\n".join(line.forward_to), "ring_seconds": "20", "delay_seconds": "0",
            "staff_name": "Mike", "textback_enabled": "on", "textback_template": line.textback_template,
            "voicemail_template": line.voicemail_template, "after_hours_template": line.after_hours_template,
            "holiday_template": line.holiday_template, "repeat_caller_template": line.repeat_caller_template,
            "emergency_template": line.emergency_template, "record_voicemail": "on", "greeting": "Leave a message.",
            "keyword_replies": "ours"}  # fmt: skip
    return {**data, **changes}


def test_a_line_keeps_its_own_hours_typed_as_words(as_alice, alpha_line):
    post = line_post(alpha_line, own_hours="on", hours="Mon-Fri 07:00-15:00\nsat 09:00-12:00")
    assert as_alice.post(f"/b/alpha/settings/lines/{alpha_line.pk}", post).status_code == 302
    alpha_line.refresh_from_db()
    assert alpha_line.own_hours and len(alpha_line.hours) == 6 and alpha_line.hours[5] == [5, "09:00", "12:00"]
    assert "Mon 07:00-15:00" in page_text(as_alice.get(f"/b/alpha/settings/lines/{alpha_line.pk}"))


@pytest.mark.parametrize(
    "hours, message",
    [
        ("Someday 08:00-17:00", "is not a day"),
        ("Mon 8am to 5pm", "write a day or days, then opening-closing"),
        ("Mon 25:00-26:00", "is not a time"),
        ("", "own hours, e.g. Mon-Fri 08:00-17:00, or untick"),
    ],
)
def test_a_line_s_hours_that_cannot_be_read_get_a_message(as_alice, alpha_line, hours, message):
    response = as_alice.post(
        f"/b/alpha/settings/lines/{alpha_line.pk}", line_post(alpha_line, own_hours="on", hours=hours)
    )
    assert response.status_code == 200 and message in page_text(response)
    alpha_line.refresh_from_db()
    assert not alpha_line.own_hours


def test_the_line_page_saves_the_situation_texts_and_the_emergency_switch(as_alice, alpha_line):
    post = line_post(alpha_line, after_hours_template="{business}: closed, back {next_open}?", emergency_triage="on")
    assert as_alice.post(f"/b/alpha/settings/lines/{alpha_line.pk}", post).status_code == 302
    line = Line.objects.get(pk=alpha_line.pk)
    assert line.after_hours_template == "{business}: closed, back {next_open}?" and line.emergency_triage


def test_a_situation_text_with_an_unknown_field_is_refused(as_alice, alpha_line):
    response = as_alice.post(
        f"/b/alpha/settings/lines/{alpha_line.pk}", line_post(alpha_line, holiday_template="{nope}")
    )
    assert "unknown field {nope}" in page_text(response)
    assert Line.objects.get(pk=alpha_line.pk).holiday_template == alpha_line.holiday_template


def test_the_summary_says_why_it_is_closed_today(alpha):
    from datetime import UTC, datetime, time

    from textback.inbox.setup_hours import summary
    from textback.lib.hours import Closure as Day
    from textback.lib.hours import Schedule, Span

    weekdays = tuple(Span(d, time(8), time(17)) for d in range(5))
    christmas = datetime(2026, 12, 25, 16, tzinfo=UTC)  # Friday 10 AM in Chicago
    assert summary(Schedule(weekdays, "America/Chicago", (), "US"), christmas) == (
        "Closed now (Christmas Day). Opens Monday at 8:00 AM."
    )
    training = Schedule(weekdays, "America/Chicago", (Day(date(2026, 12, 8), date(2026, 12, 8), "Training"),))
    assert (
        summary(training, datetime(2026, 12, 8, 16, tzinfo=UTC)) == "Closed now (Training). Opens tomorrow at 8:00 AM."
    )


def test_a_line_s_hours_in_the_database_are_checked_by_the_model(alpha_line):
    from django.core.exceptions import ValidationError

    alpha_line.hours = [[7, "08:00", "17:00"]]
    with pytest.raises(ValidationError, match="is not a span such as"):
        alpha_line.full_clean()
    alpha_line.hours = [[0, "08:00", "17:00"], [6, "22:00", "02:00"]]
    alpha_line.full_clean()


def test_a_region_is_checked_against_the_business_s_own_country_when_none_is_chosen(as_alice, alpha):
    alpha.country = "CA"
    alpha.save()
    assert as_alice.post(f"{HOURS}/holidays", {"public_holidays": "on", "holiday_subdivision": "ON"}).status_code == 302
    alpha.refresh_from_db()
    assert alpha.holiday_region == ("CA", "ON")


def test_a_canned_reply_fills_in_the_booking_link_and_the_hours(as_bob, alpha, alpha_conversation):
    import time_machine

    from textback.accounts.models import OpeningHours
    from textback.messaging.models import CannedReply

    OpeningHours.objects.create(business=alpha, weekday=1, opens=time(8), closes=time(17))  # Tuesdays
    alpha.booking_link = "https://alpha.example/book"
    alpha.save()
    reply = CannedReply.objects.create(business=alpha, title="Book", body="Book at {booking_link}; open {next_open}.")
    with time_machine.travel(datetime(2026, 12, 7, 18, tzinfo=UTC), tick=False):  # Monday noon in Chicago
        page = page_text(as_bob.get(f"/b/alpha/conversations/{alpha_conversation.pk}"))
    assert f'<option value="{reply.pk}" data-text="Book at https://alpha.example/book; open tomorrow at 8 AM.">' in page
