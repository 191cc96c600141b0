"""The settings pages: what an owner (or a manager, where allowed) can change, and what each mistake says."""

from datetime import UTC, datetime, time

import pytest
from django.forms.models import model_to_dict

from textback.accounts.hours import Span
from textback.accounts.models import Business, OpeningHours
from textback.accounts.settings_actions import check_opening_hours
from textback.inbox.setup import SECTIONS, opening_summary
from textback.messaging.models import CannedReply, ExcludedNumber
from textback.providers.models import SANDBOX, Line
from textback.testing import ALPHA_CELL, ALPHA_NUMBER, BETA_NUMBER, flashed, page_text, signed_in

pytestmark = pytest.mark.django_db


# --- the hub ---------------------------------------------------------------------------------------


def test_the_settings_hub_links_every_section_for_an_owner(client, alice):
    page = page_text(signed_in(client, alice).get("/b/alpha/settings/"))

    for section in SECTIONS:
        assert section.title in page
    assert 'href="/b/alpha/settings/lines/"' in page
    assert "Needs the" not in page


def test_an_agent_sees_which_sections_need_a_higher_role(client, bob):
    page = page_text(signed_in(client, bob).get("/b/alpha/settings/"))

    assert "Needs the owner role" in page and "Needs the manager role" in page
    assert 'href="/b/alpha/settings/lines/"' not in page


def test_every_page_has_the_settings_and_contacts_links(client, bob):
    page = page_text(signed_in(client, bob).get("/b/alpha/"))

    assert 'href="/b/alpha/settings/"' in page and 'href="/b/alpha/contacts/"' in page


# --- business profile ------------------------------------------------------------------------------


def profile(**changes) -> dict:
    data = {
        "name": "Alpha Plumbing & Drains",
        "time_zone": "America/Denver",
        "country": "US",
        "help_contact": "call (512) 555-0100",
        "textback_outcomes": ["no_answer", "voicemail"],
        "allowed_countries": "us, ca, us",
        "cooldown_hours": "12",
        "staleness_minutes": "10",
        "sla_amber_minutes": "3",
        "sla_red_minutes": "10",
        "escalate_after_minutes": "8",
        "texts_per_hour": "200",
        "texts_per_day": "1000",
    }
    return {**data, **changes}


def business_row(business) -> dict:
    return model_to_dict(Business.objects.get(pk=business.pk))


def test_an_owner_changes_the_business_profile(client, alice, alpha):
    response = signed_in(client, alice).post("/b/alpha/settings/profile", profile(), follow=True)

    assert "Saved the business profile." in flashed(response)
    alpha.refresh_from_db()
    assert (alpha.name, alpha.time_zone, alpha.textback_outcomes) == (
        "Alpha Plumbing & Drains",
        "America/Denver",
        "no_answer,voicemail",
    )
    assert (alpha.allowed_countries, alpha.cooldown_hours, alpha.staleness_minutes) == ("US,CA", 12, 10)
    assert (alpha.sla_amber_minutes, alpha.sla_red_minutes, alpha.escalate_after_minutes) == (3, 10, 8)


def test_an_owner_switches_escalation_off_with_0(client, alice, alpha):
    page = page_text(signed_in(client, alice).get("/b/alpha/settings/profile"))
    assert "0: never alert anyone" in page

    response = signed_in(client, alice).post("/b/alpha/settings/profile", profile(escalate_after_minutes="0"))

    assert response.status_code == 302
    alpha.refresh_from_db()
    assert alpha.escalate_after_minutes == 0


def test_an_owner_sees_and_sets_the_caps_on_automatic_texts(client, alice, alpha):
    page = page_text(signed_in(client, alice).get("/b/alpha/settings/profile"))
    assert "Caps on automatic texts" in page and "Default 200" in page and "Default 1000" in page
    assert 'name="texts_per_hour" value="200"' in page

    response = signed_in(client, alice).post(
        "/b/alpha/settings/profile", profile(texts_per_hour="50", texts_per_day="0")
    )

    assert response.status_code == 302
    alpha.refresh_from_db()
    assert (alpha.texts_per_hour, alpha.texts_per_day) == (50, 0)


@pytest.mark.parametrize("typed", ["-1", "lots", "", "100001"])
def test_a_cap_that_is_not_a_count_is_refused_next_to_the_field(client, alice, alpha, typed):
    response = signed_in(client, alice).post("/b/alpha/settings/profile", profile(texts_per_hour=typed))

    assert response.status_code == 200
    assert "Give a whole number of texts per hour, from 0 (no cap) to 100,000." in page_text(response)
    alpha.refresh_from_db()
    assert alpha.texts_per_hour == 200


def test_the_profile_form_shows_what_is_saved(client, alice, alpha):
    page = page_text(signed_in(client, alice).get("/b/alpha/settings/profile"))

    assert 'value="AlphaPlumbing"' in page
    assert '<option value="America/Chicago" selected>' in page
    assert 'value="voicemail" id="id_textback_outcomes_6" checked' in page


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"sla_amber_minutes": "15", "sla_red_minutes": "10"}, "Red must come after amber"),
        ({"sla_amber_minutes": "10", "sla_red_minutes": "10"}, "Red must come after amber"),
        ({"time_zone": "Mars/Olympus_Mons"}, "Choose your time zone from the list, e.g. America/Chicago."),
        ({"allowed_countries": "US, Canada"}, "“CANADA” is not a two-letter country code"),
        ({"allowed_countries": " , "}, "Give at least one country"),
        ({"textback_outcomes": []}, "Tick at least one"),
        ({"cooldown_hours": "a day"}, "Give a whole number of hours from 0 to 720."),
        ({"staleness_minutes": "0"}, "Give a whole number of minutes from 1 to 1440."),
        ({"escalate_after_minutes": "-5"}, "Give a whole number of minutes from 0 to 1440."),
        ({"escalate_after_minutes": "1441"}, "Give a whole number of minutes from 0 to 1440."),
        ({"name": "  "}, "Give the business’s name, as callers know it."),
    ],
)
def test_bad_profile_input_says_what_to_fix_and_saves_nothing(client, alice, alpha, changes, message):
    before = business_row(alpha)

    response = signed_in(client, alice).post("/b/alpha/settings/profile", profile(**changes))

    assert response.status_code == 200
    assert message in page_text(response)
    assert business_row(alpha) == before


def test_an_agent_gets_403_with_a_reason_on_the_profile(client, bob):
    response = signed_in(client, bob).get("/b/alpha/settings/profile")

    assert response.status_code == 403
    assert "needs the owner role" in page_text(response).lower()


def test_a_manager_cannot_change_the_profile(client, mary, alpha):
    before = business_row(alpha)

    response = signed_in(client, mary).post("/b/alpha/settings/profile", profile())

    assert response.status_code == 403
    assert business_row(alpha) == before


# --- opening hours ---------------------------------------------------------------------------------

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def week(days: dict[int, list[tuple[str, str]]], *, mode: str = "weekly") -> dict:
    """Form data: the listed days open in those spans, every other day ticked Closed."""
    data = {"mode": mode}
    for day in range(7):
        if day not in days:
            data[f"d{day}_closed"] = "on"
        for i, (opens, closes) in enumerate(days.get(day, [])):
            data[f"d{day}_opens_{i}"], data[f"d{day}_closes_{i}"] = opens, closes
    return data


def saved_hours(business) -> list[tuple[int, str, str]]:
    return [
        (h.weekday, f"{h.opens:%H:%M}", f"{h.closes:%H:%M}")
        for h in OpeningHours.objects.filter(business=business).order_by("weekday", "opens")
    ]


WEEKDAYS_8_TO_5 = {day: [("08:00", "17:00")] for day in (MON, TUE, WED, THU, FRI)}


def test_an_owner_sets_opening_hours_day_by_day(client, alice, alpha):
    days = {**WEEKDAYS_8_TO_5, SAT: [("9:00 AM", "12:00 PM"), ("13:00", "4 PM")]}

    response = signed_in(client, alice).post("/b/alpha/settings/hours", week(days), follow=True)

    assert "Saved the opening hours." in flashed(response)
    assert saved_hours(alpha) == [(d, "08:00", "17:00") for d in range(5)] + [
        (SAT, "09:00", "12:00"),
        (SAT, "13:00", "16:00"),
    ]
    page = page_text(response)
    assert 'name="d5_opens_1" value="13:00"' in page
    assert 'name="d6_closed" id="id_d6_closed" checked' in page


def test_a_span_past_midnight_is_saved_as_it_was_typed(client, alice, alpha):
    signed_in(client, alice).post(
        "/b/alpha/settings/hours", week({FRI: [("20:00", "02:00")], SAT: [("08:00", "12:00")]})
    )

    assert saved_hours(alpha) == [(FRI, "20:00", "02:00"), (SAT, "08:00", "12:00")]


def test_always_open_removes_every_span(client, alice, alpha):
    OpeningHours.objects.create(business=alpha, weekday=MON, opens=time(8), closes=time(17))

    response = signed_in(client, alice).post("/b/alpha/settings/hours", {"mode": "always"}, follow=True)

    assert saved_hours(alpha) == []
    assert "No opening hours set: textback counts you as always open." in page_text(response)


@pytest.mark.parametrize(
    "days, message",
    [
        ({MON: [("08:00", "08:00")]}, "Opens and closes at the same time"),
        ({MON: [("08:00", "12:00"), ("11:00", "17:00")]}, "Overlaps Monday 8:00 AM–12:00 PM"),
        ({FRI: [("20:00", "02:00")], SAT: [("01:00", "05:00")]}, "Overlaps Friday 8:00 PM–2:00 AM"),
        ({SUN: [("22:00", "03:00")], MON: [("02:00", "09:00")]}, "Overlaps"),
        ({MON: [("25:99", "17:00")]}, "Type a time such as 8:00 AM or 17:30."),
        ({MON: [("eight", "17:00")]}, "Type a time such as 8:00 AM or 17:30."),
        ({MON: [("08:00", "")]}, "Give both the opening and the closing time."),
        ({}, "Every day is closed."),
    ],
)
def test_bad_hours_say_what_to_fix_and_save_nothing(client, alice, alpha, days, message):
    OpeningHours.objects.create(business=alpha, weekday=WED, opens=time(7), closes=time(15))

    response = signed_in(client, alice).post("/b/alpha/settings/hours", week(days))

    assert response.status_code == 200
    assert message in page_text(response)
    assert saved_hours(alpha) == [(WED, "07:00", "15:00")]


def test_a_day_neither_closed_nor_given_hours_is_pointed_out(client, alice, alpha):
    data = week(WEEKDAYS_8_TO_5)
    del data[f"d{SAT}_closed"]

    response = signed_in(client, alice).post("/b/alpha/settings/hours", data)

    assert "Tick “Closed” or give the hours Saturday opens." in page_text(response)
    assert saved_hours(alpha) == []


def test_the_error_sits_next_to_the_span_that_caused_it(client, alice, alpha):
    response = signed_in(client, alice).post(
        "/b/alpha/settings/hours", week({TUE: [("08:00", "12:00"), ("11:00", "17:00")]})
    )

    form = response.context["form"]
    assert list(form.errors) == [f"d{TUE}_closes_1"]


def test_an_agent_cannot_change_the_hours(client, bob, alpha):
    response = signed_in(client, bob).post("/b/alpha/settings/hours", week(WEEKDAYS_8_TO_5))

    assert response.status_code == 403
    assert saved_hours(alpha) == []


CHICAGO_8_TO_5 = [Span(day, time(8), time(17)) for day in (MON, TUE, WED, THU, FRI)]


@pytest.mark.parametrize(
    "at, summary",
    [
        (datetime(2025, 3, 3, 15, 0, tzinfo=UTC), "Open now."),  # Monday 9:00 in Chicago
        (datetime(2025, 3, 3, 12, 0, tzinfo=UTC), "Closed now. Opens today at 8:00 AM."),  # Monday 6:00
        (datetime(2025, 3, 4, 0, 0, tzinfo=UTC), "Closed now. Opens tomorrow at 8:00 AM."),  # Monday 18:00
        (datetime(2025, 3, 8, 18, 0, tzinfo=UTC), "Closed now. Opens Monday at 8:00 AM."),  # Saturday noon
        (datetime(2025, 3, 9, 18, 0, tzinfo=UTC), "Closed now. Opens tomorrow at 8:00 AM."),  # DST Sunday noon
    ],
)
def test_the_preview_says_whether_the_business_is_open_and_when_it_opens(at, summary):
    assert opening_summary(CHICAGO_8_TO_5, "America/Chicago", at) == summary


def test_the_hours_page_shows_the_preview_line(client, alice, alpha):
    for day in range(7):
        OpeningHours.objects.create(business=alpha, weekday=day, opens=time(0), closes=time(23, 59))

    page = page_text(signed_in(client, alice).get("/b/alpha/settings/hours"))

    assert "Open now." in page


def test_spans_that_only_touch_do_not_overlap():
    days = {MON: [Span(MON, time(8), time(12)), Span(MON, time(12), time(17))], TUE: [Span(TUE, time(17), time(8))]}

    assert check_opening_hours(days) == []


# --- lines -----------------------------------------------------------------------------------------


def line_data(line: Line, **changes) -> dict:
    data = {
        "number": line.number,
        "label": line.label,
        "active": "on" if line.active else "",
        "call_mode": line.call_mode,
        "forward_to": "\n".join(line.forward_to),
        "ring_seconds": str(line.ring_seconds),
        "delay_seconds": str(line.delay_seconds),
        "staff_name": line.staff_name,
        "textback_enabled": "on" if line.textback_enabled else "",
        "textback_template": line.textback_template,
        "voicemail_template": line.voicemail_template,
        "record_voicemail": "on" if line.record_voicemail else "",
        "greeting": line.greeting,
        "keyword_replies": line.keyword_replies,
    }
    data.update(changes)
    checkboxes = ("active", "textback_enabled", "record_voicemail")
    return {k: v for k, v in data.items() if not (k in checkboxes and v == "")}  # unticked boxes are not sent


def line_row(line: Line) -> dict:
    return model_to_dict(Line.objects.get(pk=line.pk))


def test_the_lines_page_lists_the_business_lines_only(client, alice, alpha_line, alpha_sandbox_line, beta_line):
    page = page_text(signed_in(client, alice).get("/b/alpha/settings/lines/"))

    assert "(512) 555-0100" in page and "(737) 555-0100" in page
    assert "(214) 555-0100" not in page


def test_an_owner_edits_every_setting_of_a_line(client, alice, alpha_line):
    changes = {
        "label": "Austin office",
        "forward_to": "(512) 555-0198\n+1 512 555 0197\n512-555-0198",
        "ring_seconds": "25",
        "delay_seconds": "30",
        "staff_name": "Dana",
        "textback_enabled": "",
        "textback_template": "Hi {first_name|there}, {staff} here at {business}. How can we help?",
        "voicemail_template": "",
        "record_voicemail": "",
        "greeting": "Leave a message, please.",
        "keyword_replies": Line.OURS,
        "active": "",
    }

    response = signed_in(client, alice).post(
        f"/b/alpha/settings/lines/{alpha_line.pk}", line_data(alpha_line, **changes), follow=True
    )

    assert "Saved the line (512) 555-0100." in flashed(response)
    alpha_line.refresh_from_db()
    assert alpha_line.forward_to == ["+15125550198", "+15125550197"]
    assert (alpha_line.label, alpha_line.ring_seconds, alpha_line.delay_seconds) == ("Austin office", 25, 30)
    assert (alpha_line.textback_enabled, alpha_line.record_voicemail, alpha_line.active) == (False, False, False)
    assert alpha_line.textback_template.startswith("Hi {first_name|there}, {staff} here")
    assert (alpha_line.voicemail_template, alpha_line.keyword_replies) == ("", Line.OURS)


def test_a_number_typed_the_local_way_is_saved_in_e164_with_a_reminder_for_twilio(client, alice, alpha_line):
    response = signed_in(client, alice).post(
        f"/b/alpha/settings/lines/{alpha_line.pk}", line_data(alpha_line, number="(512) 555-0111"), follow=True
    )

    alpha_line.refresh_from_db()
    assert alpha_line.number == "+15125550111"
    assert "textback line set +15125550111 --configure-provider" in flashed(response)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"number": "555"}, "“555” is not a phone number. Type it as (512) 555-0147"),
        ({"number": "(737) 555-0100"}, "is already your line"),
        ({"number": BETA_NUMBER}, "is already a line in textback; a number can be one line only."),
        ({"forward_to": f"{ALPHA_CELL}\nbanana"}, "Line 2: “banana” is not a phone number."),
        ({"forward_to": ALPHA_NUMBER}, "this line&#x27;s own number"),
        ({"forward_to": "\n".join(f"+1512555{n:04d}" for n in range(200, 211))}, "Ring at most 10 phones at once"),
        ({"forward_to": "", "call_mode": Line.FORWARD_SCREEN}, "rings staff phones, so give at least one"),
        ({"ring_seconds": "5"}, "Give 10 to 600 seconds"),
        ({"ring_seconds": "twenty"}, "Give a whole number of seconds from 10 to 600."),
        ({"delay_seconds": "7200"}, "Give a whole number of seconds from 0 to 3600."),
        ({"textback_template": "Hi {firstname}"}, "Unknown field {firstname}"),
        ({"textback_template": "Hi {first_name"}, "Unmatched"),
        ({"voicemail_template": "Got it {"}, "Unmatched"),
        ({"call_mode": "telepathy"}, "Choose how calls reach this line: one of the four call modes."),
    ],
)
def test_bad_line_input_says_what_to_fix_and_saves_nothing(
    client, alice, alpha_line, alpha_sandbox_line, beta_line, changes, message
):
    before = line_row(alpha_line)

    response = signed_in(client, alice).post(
        f"/b/alpha/settings/lines/{alpha_line.pk}", line_data(alpha_line, **changes)
    )

    assert response.status_code == 200
    assert message in page_text(response)
    assert line_row(alpha_line) == before


LONG_FIELDS = "{first_name} {staff} {business} "  # each can be 60 characters filled in


@pytest.mark.parametrize("field", ["textback_template", "voicemail_template"])
def test_a_template_that_could_come_out_longer_than_a_text_is_refused(client, alice, alpha_line, field):
    """1,480 characters typed: its 3 fields filled in at 60 characters each make 1,631, and a first text's
    "AlphaPlumbing: " and " Reply STOP to opt out." make 1,669."""
    template = LONG_FIELDS + "x" * (1480 - len(LONG_FIELDS))
    before = line_row(alpha_line)

    response = signed_in(client, alice).post(
        f"/b/alpha/settings/lines/{alpha_line.pk}", line_data(alpha_line, **{field: template})
    )

    page = page_text(response)
    assert "Filled in, this text can run to 1,669 characters" in page
    assert "A text can be at most 1,600 characters: shorten it by at least 69." in page
    assert line_row(alpha_line) == before


def test_a_template_of_more_than_three_segments_is_saved_with_a_warning_that_counts_them(client, alice, alpha_line):
    template = "Hi {first_name|there}, " + "we will call you back shortly. " * 15  # 490 characters typed

    response = signed_in(client, alice).post(
        f"/b/alpha/settings/lines/{alpha_line.pk}", line_data(alpha_line, textback_template=template), follow=True
    )

    assert Line.objects.get(pk=alpha_line.pk).textback_template == template.strip()
    assert "Text-back: With long names filled in, this text can take 4 segments (153 characters each)." in flashed(
        response
    )
    assert "keep it to 3 segments (459 characters) or fewer" in flashed(response)


def test_a_template_of_three_segments_gets_no_warning(client, alice, alpha_line):
    template = "Hi {first_name|there}, we missed your call. " + "x" * 300

    response = signed_in(client, alice).post(
        f"/b/alpha/settings/lines/{alpha_line.pk}", line_data(alpha_line, textback_template=template), follow=True
    )

    assert "segments" not in flashed(response)


def test_the_live_preview_warns_of_a_long_text_and_refuses_one_too_long(client, alice, alpha_line):
    url = f"/b/alpha/settings/lines/{alpha_line.pk}/preview"
    as_alice = signed_in(client, alice)

    long = page_text(as_alice.post(url, {"textback_template": "y" * 700, "staff_name": "Mike"}))
    too_long = page_text(as_alice.post(url, {"textback_template": LONG_FIELDS + "y" * 1500, "staff_name": "Mike"}))

    assert "With long names filled in, this text can take 5 segments" in long
    assert "Filled in, this text can run to" in too_long and "shorten it by at least" in too_long


def test_the_line_page_shows_the_text_back_as_a_caller_reads_it_with_its_cost(client, alice, alpha_line):
    page = page_text(signed_in(client, alice).get(f"/b/alpha/settings/lines/{alpha_line.pk}"))

    assert "Hi Jane, Mike at AlphaPlumbing here, sorry we missed your call." in page
    assert "GSM-7: " in page and "1 segment (up to 160 characters in one)" in page


def test_the_live_preview_counts_an_emoji_as_ucs2_and_names_it(client, alice, alpha_line):
    response = signed_in(client, alice).post(
        f"/b/alpha/settings/lines/{alpha_line.pk}/preview",
        {"textback_template": "Hi {first_name} 🔧 " + "x" * 70, "voicemail_template": "", "staff_name": "Mike"},
    )

    page = page_text(response)
    assert response.status_code == 200 and 'id="previews"' in page
    assert "UCS-2: " in page and "2 segments (67 characters each)" in page
    assert "<code>🔧</code>" in page
    assert "Blank: the text-back above is sent after a voicemail too." in page
    assert Line.objects.get(pk=alpha_line.pk).textback_template == alpha_line.textback_template


def test_the_live_preview_explains_a_template_that_cannot_be_sent(client, alice, alpha_line):
    page = page_text(
        signed_in(client, alice).post(
            f"/b/alpha/settings/lines/{alpha_line.pk}/preview", {"textback_template": "Hi {nme}", "staff_name": ""}
        )
    )

    assert "This cannot be sent: unknown field {nme}" in page


def test_the_template_fields_carry_the_live_preview(client, alice, alpha_line):
    page = page_text(signed_in(client, alice).get(f"/b/alpha/settings/lines/{alpha_line.pk}"))

    assert f'hx-post="/b/alpha/settings/lines/{alpha_line.pk}/preview"' in page


def test_a_manager_cannot_edit_lines(client, mary, alpha_line):
    before = line_row(alpha_line)
    as_mary = signed_in(client, mary)

    assert as_mary.get(f"/b/alpha/settings/lines/{alpha_line.pk}").status_code == 403
    response = as_mary.post(f"/b/alpha/settings/lines/{alpha_line.pk}", line_data(alpha_line, label="Mary's"))
    assert response.status_code == 403
    assert "needs the owner role" in page_text(response).lower()
    assert line_row(alpha_line) == before


def test_an_owner_adds_a_sandbox_line_from_the_page(client, alice, alpha):
    response = signed_in(client, alice).post(
        "/b/alpha/settings/lines/new", {"number": "(737) 555-0142", "label": "Test line"}, follow=True
    )

    line = Line.objects.get(number="+17375550142")
    assert (line.business, line.account.provider, line.call_mode, line.label) == (
        alpha,
        SANDBOX,
        Line.CARRIER_FORWARD,
        "Test line",
    )
    assert response.redirect_chain[-1][0] == f"/b/alpha/settings/lines/{line.pk}"
    assert "Added the sandbox line (737) 555-0142." in flashed(response)


def test_a_sandbox_line_with_phones_to_ring_screens_calls(client, alice, alpha_sandbox_line):
    signed_in(client, alice).post(
        "/b/alpha/settings/lines/new", {"number": "+17375550143", "forward_to": "(737) 555-0199"}
    )

    line = Line.objects.get(number="+17375550143")
    assert (line.call_mode, line.forward_to, line.account) == (
        Line.FORWARD_SCREEN,
        ["+17375550199"],
        alpha_sandbox_line.account,
    )


@pytest.mark.parametrize(
    "data, message",
    [
        ({"number": "hello"}, "“hello” is not a phone number."),
        ({"number": ALPHA_NUMBER}, "is already your line"),
        ({"number": "+17375550144", "forward_to": "+17375550144"}, "That is the line&#x27;s own number"),
    ],
)
def test_a_bad_new_line_says_what_to_fix_and_adds_nothing(client, alice, alpha_line, data, message):
    response = signed_in(client, alice).post("/b/alpha/settings/lines/new", data)

    assert message in page_text(response)
    assert Line.objects.count() == 1


def test_the_add_line_page_sends_twilio_numbers_to_the_cli(client, alice, alpha_line):
    page = page_text(signed_in(client, alice).get("/b/alpha/settings/lines/new"))

    assert f"--account {alpha_line.account.pk} --configure-provider" in page


# --- excluded numbers ------------------------------------------------------------------------------


def test_a_manager_excludes_a_number_typed_any_way(client, mary, alpha):
    response = signed_in(client, mary).post(
        "/b/alpha/settings/excluded/", {"number": "(512) 555-0123", "label": "Mike's cell"}, follow=True
    )

    assert list(ExcludedNumber.objects.values_list("business", "number", "label")) == [
        (alpha.pk, "+15125550123", "Mike's cell")
    ]
    assert "(512) 555-0123 will not get automatic texts." in flashed(response)
    assert "Mike&#x27;s cell" in page_text(response)


def test_excluding_a_number_twice_keeps_one_entry(client, mary, alpha):
    ExcludedNumber.objects.create(business=alpha, number="+15125550123", label="old")

    response = signed_in(client, mary).post("/b/alpha/settings/excluded/", {"number": "512 555 0123"}, follow=True)

    assert list(ExcludedNumber.objects.values_list("label", flat=True)) == ["old"]
    assert "was excluded already" in flashed(response)


@pytest.mark.parametrize(
    "number, message",
    [("call mike", "“call mike” is not a phone number."), ("", "Type the number to exclude."), ("555", "“555”")],
)
def test_a_non_number_cannot_be_excluded(client, mary, alpha, number, message):
    response = signed_in(client, mary).post("/b/alpha/settings/excluded/", {"number": number, "label": "x"})

    assert message in page_text(response)
    assert ExcludedNumber.objects.count() == 0


def test_a_manager_removes_an_exclusion(client, mary, alpha):
    entry = ExcludedNumber.objects.create(business=alpha, number="+15125550123")

    response = signed_in(client, mary).post(f"/b/alpha/settings/excluded/{entry.pk}/remove", follow=True)

    assert ExcludedNumber.objects.count() == 0
    assert "may get automatic texts again" in flashed(response)


def test_removing_an_exclusion_takes_a_post(client, mary, alpha):
    entry = ExcludedNumber.objects.create(business=alpha, number="+15125550123")

    assert signed_in(client, mary).get(f"/b/alpha/settings/excluded/{entry.pk}/remove").status_code == 405
    assert ExcludedNumber.objects.count() == 1


def test_an_agent_cannot_exclude_numbers(client, bob, alpha):
    response = signed_in(client, bob).post("/b/alpha/settings/excluded/", {"number": "+15125550123"})

    assert response.status_code == 403
    assert "needs the manager role" in page_text(response).lower()
    assert ExcludedNumber.objects.count() == 0


# --- canned replies --------------------------------------------------------------------------------


def canned_rows() -> list[tuple[str, str]]:
    return list(CannedReply.objects.order_by("title").values_list("title", "body"))


def test_a_manager_adds_edits_and_deletes_a_canned_reply(client, mary, alpha):
    as_mary = signed_in(client, mary)

    response = as_mary.post(
        "/b/alpha/settings/canned/",
        {"title": "  Running   late ", "body": "Hi {first_name|there}, running 10 min late."},
    )
    assert response.status_code == 302
    assert canned_rows() == [("Running late", "Hi {first_name|there}, running 10 min late.")]

    reply = CannedReply.objects.get()
    as_mary.post(f"/b/alpha/settings/canned/{reply.pk}", {"title": "Running late", "body": "On our way!"})
    assert canned_rows() == [("Running late", "On our way!")]

    response = as_mary.post(f"/b/alpha/settings/canned/{reply.pk}/delete", follow=True)
    assert canned_rows() == []
    assert "Deleted the canned reply “Running late”." in flashed(response)


def test_the_canned_replies_page_shows_each_replys_segments(client, mary, alpha):
    CannedReply.objects.create(business=alpha, title="Long", body="x" * 161)

    page = page_text(signed_in(client, mary).get("/b/alpha/settings/canned/"))

    assert "GSM-7, 2 segments" in page


@pytest.mark.parametrize(
    "data, message",
    [
        ({"title": "running LATE", "body": "Again"}, "There is a canned reply titled “running LATE” already"),
        ({"title": "", "body": "Hi"}, "Give the reply a title, e.g. “Running late”."),
        ({"title": "x" * 61, "body": "Hi"}, "Keep the title to 60 characters or fewer."),
        ({"title": "Long", "body": "x" * 1601}, "The text is 1601 characters; a text message can be at most 1600."),
        (
            {"title": "Names", "body": "{first_name} " + "x" * 1550},
            "The text cannot be used: with the longest names filled in",
        ),
        ({"title": "Typo", "body": "Hi {frist_name}"}, "The text cannot be used: unknown field {frist_name}"),
        ({"title": "Brace", "body": "Price: {50"}, "The text cannot be used: unmatched"),
        ({"title": "Blank", "body": "   "}, "Write the reply’s text."),
    ],
)
def test_a_bad_canned_reply_says_what_to_fix_and_saves_nothing(client, mary, alpha, data, message):
    CannedReply.objects.create(business=alpha, title="Running late", body="On our way")

    response = signed_in(client, mary).post("/b/alpha/settings/canned/", data)

    assert message in page_text(response)
    assert canned_rows() == [("Running late", "On our way")]


def test_a_long_canned_reply_is_saved_with_a_warning_that_counts_its_segments(client, mary, alpha):
    response = signed_in(client, mary).post(
        "/b/alpha/settings/canned/", {"title": "Estimate", "body": "Hi {first_name}, " + "z" * 600}, follow=True
    )

    assert canned_rows() == [("Estimate", "Hi {first_name}, " + "z" * 600)]
    assert "this text can take 5 segments" in flashed(response)


def test_editing_a_canned_reply_to_a_taken_title_is_refused(client, mary, alpha):
    CannedReply.objects.create(business=alpha, title="Running late", body="On our way")
    other = CannedReply.objects.create(business=alpha, title="Booked", body="See you then")

    response = signed_in(client, mary).post(
        f"/b/alpha/settings/canned/{other.pk}", {"title": "Running Late", "body": "x"}
    )

    assert "already" in page_text(response)
    assert canned_rows() == [("Booked", "See you then"), ("Running late", "On our way")]


def test_an_agent_cannot_manage_canned_replies(client, bob, alpha):
    reply = CannedReply.objects.create(business=alpha, title="Running late", body="On our way")
    as_bob = signed_in(client, bob)

    assert as_bob.get("/b/alpha/settings/canned/").status_code == 403
    assert as_bob.post("/b/alpha/settings/canned/", {"title": "Mine", "body": "x"}).status_code == 403
    assert as_bob.post(f"/b/alpha/settings/canned/{reply.pk}/delete").status_code == 403
    assert canned_rows() == [("Running late", "On our way")]
