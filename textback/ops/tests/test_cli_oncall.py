"""`textback oncall …` and the route flags of `textback business set`: the on-call schedule from a shell."""

from datetime import time

import pytest
from django.contrib.auth import get_user_model

from textback.accounts.models import Membership
from textback.rules import paging, routes
from textback.rules.models import OnCallPerson, OnCallSlot


@pytest.fixture
def crew(acme):
    made = {}
    for name, role in (("mike", Membership.AGENT), ("jane", Membership.AGENT), ("olga", Membership.OWNER)):
        user = get_user_model().objects.create_user(f"{name}@acme.example", f"{name}@acme.example", "pw")
        made[name] = Membership.objects.create(user=user, business=acme, role=role)
    return made


def test_it_puts_mike_on_call_on_weeknights_past_midnight(textback, crew):
    result = textback("oncall", "add-slot", "acme", "--email", "mike@acme.example", "--days", "mon-fri",
                      "--from", "17:00", "--until", "08:00")  # fmt: skip
    assert result.code == 0 and "in 5 more slots" in result.out
    slots = OnCallSlot.objects.filter(membership=crew["mike"])
    assert sorted(s.weekday for s in slots) == [0, 1, 2, 3, 4]
    assert {(s.starts, s.ends) for s in slots} == {(time(17), time(8))}


def test_it_reads_weekends_across_sunday(textback, crew):
    textback("oncall", "add-slot", "acme", "--email", "jane@acme.example", "--days", "sat-sun", "--from", "00:00",
             "--until", "00:00")  # fmt: skip
    assert sorted(OnCallSlot.objects.values_list("weekday", flat=True)) == [5, 6]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--days", "someday", "--from", "17:00", "--until", "08:00"), "is not a day"),
        (("--days", "mon", "--from", "5pm", "--until", "08:00"), "HH:MM"),
    ],
)
def test_it_refuses_what_it_cannot_read(textback, crew, args, says):
    result = textback("oncall", "add-slot", "acme", "--email", "mike@acme.example", *args)
    assert result.code == 2 and says in result.err
    assert not OnCallSlot.objects.exists()


def test_it_sets_the_order_and_shows_who_is_paged_now(textback, crew):
    assert textback("oncall", "order", "acme", "--emails", "jane@acme.example,mike@acme.example").code == 0
    assert list(OnCallPerson.objects.values_list("membership_id", flat=True)) == [crew["jane"].pk, crew["mike"].pk]
    shown = textback("oncall", "show", "acme").out
    assert "Paged now, in order: jane@acme.example, mike@acme.example, olga@acme.example" in shown


def test_a_stranger_cannot_be_put_on_call(textback, crew):
    result = textback("oncall", "order", "acme", "--emails", "nobody@acme.example")
    assert result.code == 2 and "is not a member of acme" in result.err


def test_business_set_changes_the_routes_and_the_page_escalation(textback, acme):
    result = textback("business", "set", "acme", "--emergency-words", "emergency, no cooling", "--book-route", "off",
                      "--escalate-page-minutes", "1")  # fmt: skip
    assert result.code == 0, result.err
    assert "--emergency-words, --book-route, --escalate-page-minutes" in result.out
    page, book = routes.routes_of(acme)
    assert (page.words, book.active, book.words[0]) == (("emergency", "no cooling"), False, "book")
    assert paging.escalate_minutes(acme) == 1


def test_business_set_refuses_a_carrier_keyword_or_minutes_out_of_range(textback, acme):
    assert "carrier keyword" in textback("business", "set", "acme", "--emergency-words", "stop").err
    assert "from 1 to 120" in textback("business", "set", "acme", "--escalate-page-minutes", "0").err
    assert routes.routes_of(acme)[0].words[0] == "emergency"
