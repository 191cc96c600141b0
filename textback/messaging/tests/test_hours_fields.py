"""The merge fields about time and booking: {booking_link}, {hours_today}, {next_open}, {call_time}."""

from datetime import UTC, datetime, time

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from textback.accounts.models import OpeningHours
from textback.messaging.models import Message
from textback.messaging.templating import fields_used, render
from textback.testing import a_missed_call

TUESDAY_7AM_CHICAGO = datetime(2026, 12, 8, 13, tzinfo=UTC)


def test_an_empty_field_says_its_built_in_fallback_unless_the_template_gives_one():
    assert render("Book {booking_link}.", {}) == "Book by replying here."
    assert render("Book at {booking_link|our site}.", {}) == "Book at our site."
    assert render("Open {next_open}, {hours_today}, you called {call_time}.", {}) == (
        "Open soon, closed, you called earlier."
    )


def test_a_booking_link_is_never_cut_short():
    link = "https://book.example.com/" + "a" * 100
    assert render("{booking_link}", {"booking_link": link}) == link


def test_a_field_s_value_is_worked_out_only_when_the_template_uses_it():
    asked = []
    values = {"next_open": lambda: asked.append("next_open") or "at 8 AM"}
    assert render("Hi {business}", {**values, "business": "Alpha"}) == "Hi Alpha"
    assert asked == []
    assert render("Open {next_open}", values) == "Open at 8 AM" and asked == ["next_open"]


def test_fields_used_lists_the_merge_fields():
    assert fields_used("{business} opens {next_open|soon}") == {"business", "next_open"}


def test_a_text_back_fills_in_the_hours_and_the_time_of_the_call(alpha, alpha_sandbox_line):
    OpeningHours.objects.bulk_create(
        OpeningHours(business=alpha, weekday=d, opens=time(8), closes=time(17)) for d in range(5)
    )
    alpha.booking_link = "https://alpha.example/book"
    alpha.save()
    alpha_sandbox_line.after_hours_template = (
        "{business}: you called {call_time}; today {hours_today}, open {next_open}. Book: {booking_link}. "
        "What's up? Reply STOP to opt out."
    )
    alpha_sandbox_line.save()
    with time_machine.travel(TUESDAY_7AM_CHICAGO, tick=False):
        a_missed_call(alpha_sandbox_line)
    assert Message.objects.get(purpose=Message.TEXTBACK).body.startswith(
        "AlphaPlumbing: you called this morning; today 8 AM-5 PM, open at 8 AM. Book: https://alpha.example/book."
    )


def test_a_line_whose_texts_never_mention_hours_reads_no_hours_for_a_call(alpha_sandbox_line):
    for name in ("after_hours_template", "holiday_template"):
        setattr(alpha_sandbox_line, name, "")
    alpha_sandbox_line.save()
    with CaptureQueriesContext(connection) as queries:
        a_missed_call(alpha_sandbox_line)
    assert not [q for q in queries if "openinghours" in q["sql"] or "rules_closure" in q["sql"]]
    assert Message.objects.filter(purpose=Message.TEXTBACK).count() == 1
