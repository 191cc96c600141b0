"""The follow-ups settings page, and the follow-ups on the conversation page: shown with their time, canceled
by anyone who may reply."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils.html import escape

from textback.messaging.models import Conversation, Message, MessageStatus
from textback.rules import actions as rules
from textback.rules import followups
from textback.rules.models import FollowupPlan
from textback.testing import a_missed_call, flashed, page_text, signed_in

pytestmark = pytest.mark.django_db
MORNING = datetime(2026, 3, 4, 10, tzinfo=ZoneInfo("America/Chicago"))
FORM = {"enabled": "on", "window_start": "09:00", "window_end": "20:00", "delay_1": "90", "valid_1": "240",
        "template_1": "{business}: still need a hand?", "delay_2": "", "valid_2": "", "template_2": ""}  # fmt: skip


# --- settings ------------------------------------------------------------------------------------


def test_the_page_says_follow_ups_are_off_by_default_and_why(client, alice):
    page = page_text(signed_in(client, alice).get("/b/alpha/settings/follow-ups"))
    assert "Follow-ups are <strong>off</strong> (the default)." in page
    assert "expects consent" in page
    assert escape(followups.FIRST_TEMPLATE) in page  # the default cadence is filled in, ready to switch on


def test_an_owner_switches_follow_ups_on_with_one_step_and_a_narrower_window(client, alpha, alice):
    response = signed_in(client, alice).post("/b/alpha/settings/follow-ups", FORM, follow=True)
    assert flashed(response) == "Follow-ups are on."
    plan = FollowupPlan.objects.get(business=alpha)
    assert (plan.enabled, plan.window_start, plan.window_end) == (True, time(9), time(20))
    assert followups.steps_from(plan.steps) == (
        followups.Step(timedelta(minutes=90), "{business}: still need a hand?", timedelta(minutes=240)),
    )


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"valid_1": ""}, "Follow-up 1 needs its minutes, how late it may go, and its text."),
        ({"window_start": "06:00"}, "The window must start at 8:00 AM or later"),
        ({"template_1": "Hi {name}"}, "unknown field {name}"),
        ({"delay_2": "30", "valid_2": "60", "template_2": "Hi"}, "Each follow-up must come later than the one before."),
        ({"delay_1": "soon"}, "as a whole number"),
    ],
)
def test_a_cadence_that_cannot_work_is_refused_with_what_to_fix(client, alpha, alice, change, complaint):
    response = signed_in(client, alice).post("/b/alpha/settings/follow-ups", {**FORM, **change})
    assert response.status_code == 200
    assert escape(complaint) in page_text(response)
    assert not FollowupPlan.objects.filter(business=alpha).exists()


def test_it_refuses_to_switch_follow_ups_on_with_every_step_cleared(client, alpha, alice):
    cleared = {**FORM, "delay_1": "", "valid_1": "", "template_1": ""}
    response = signed_in(client, alice).post("/b/alpha/settings/follow-ups", cleared)
    assert response.status_code == 200
    assert escape("Follow-ups switched on need at least one follow-up") in page_text(response)
    assert not FollowupPlan.objects.filter(business=alpha).exists()  # not silently the two default steps


def test_it_refuses_on_with_no_steps_wherever_the_plan_is_saved_from(alpha):
    with pytest.raises(rules.Refused, match="at least one follow-up"):
        rules.do_save_plan(alpha, enabled=True, steps=(), start=time(9), end=time(20))
    assert not FollowupPlan.objects.filter(business=alpha).exists()


def test_an_agent_may_not_change_follow_ups(client, alpha, bob):
    assert signed_in(client, bob).post("/b/alpha/settings/follow-ups", FORM).status_code == 403
    assert not FollowupPlan.objects.filter(business=alpha).exists()


@pytest.mark.cross_tenant("settings-followups")
def test_another_business_cannot_see_or_change_these_follow_ups(client, alpha, charlie):
    signed_in(client, charlie)
    assert client.get("/b/alpha/settings/follow-ups").status_code == 404
    assert client.post("/b/alpha/settings/follow-ups", FORM).status_code == 404
    assert not FollowupPlan.objects.filter(business=alpha).exists()


def test_the_cli_switches_follow_ups_on_and_sets_the_cadence(alpha, capsys):
    from django.core.management import call_command

    call_command("business", "followups", "alpha", "--on", "--window", "09:00-20:00", "--step", "30:120:Still there?")
    out = capsys.readouterr().out
    assert "Follow-ups for alpha: on, 09:00-20:00 local." in out and "1. +30 min (up to 120 min late)" in out
    call_command("business", "followups", "alpha", "--off", "--default-steps")
    plan = FollowupPlan.objects.get(business=alpha)
    assert (plan.enabled, plan.steps) == (False, [])


def test_the_cli_refuses_a_window_outside_the_law(alpha):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="9:00 PM"):
        call_command("business", "followups", "alpha", "--window", "07:00-22:00")


# --- the conversation page ---------------------------------------------------------------------


@pytest.fixture
def waiting(alpha, alpha_sandbox_line):
    FollowupPlan.objects.create(business=alpha, enabled=True)
    with time_machine.travel(MORNING, tick=False):
        a_missed_call(alpha_sandbox_line)
    return Conversation.objects.get()


def test_the_conversation_shows_the_pending_follow_ups_in_the_business_time_zone(client, bob, waiting):
    page = page_text(signed_in(client, bob).get(f"/b/alpha/conversations/{waiting.pk}"))
    assert "Follow-ups waiting" in page
    assert "Wed Mar 4, 11:00 a.m.</time>" in page and "Thu Mar 5, 10:00 a.m.</time>" in page
    assert "(America/Chicago)" in page


def test_an_agent_cancels_the_follow_ups_and_the_timeline_says_who(client, bob, waiting):
    response = signed_in(client, bob).post(f"/b/alpha/conversations/{waiting.pk}/follow-ups/cancel", follow=True)
    assert flashed(response) == "Canceled 2 follow-up(s)."
    assert not Message.objects.filter(purpose=Message.FOLLOWUP, status=MessageStatus.SCHEDULED).exists()
    page = page_text(response)
    assert "Follow-ups waiting" not in page
    assert "canceled the pending follow-ups (2)" in page and "Canceled: canceled by staff" in page


def test_canceling_needs_a_post(client, bob, waiting):
    assert signed_in(client, bob).get(f"/b/alpha/conversations/{waiting.pk}/follow-ups/cancel").status_code == 405


@pytest.mark.cross_tenant("conversation-followups-cancel")
def test_another_business_cannot_cancel_them(client, charlie, waiting):
    response = signed_in(client, charlie).post(f"/b/alpha/conversations/{waiting.pk}/follow-ups/cancel")
    assert response.status_code == 404
    assert Message.objects.filter(purpose=Message.FOLLOWUP, status=MessageStatus.SCHEDULED).count() == 2


def test_a_skipped_follow_up_says_why_in_the_timeline(client, bob, waiting):
    message = Message.objects.filter(purpose=Message.FOLLOWUP).first()
    rules._record_skipped(message, "Quiet hours: Too late in America/Chicago")
    page = page_text(signed_in(client, bob).get(f"/b/alpha/conversations/{waiting.pk}"))
    assert "Skipped: Quiet hours: Too late in America/Chicago" in page


# --- a line's own follow-ups ---------------------------------------------------------------------


def test_an_owner_gives_a_line_its_own_follow_ups_and_takes_them_back(
    client, alpha, alice, alpha_line, alpha_sandbox_line
):
    signed_in(client, alice)
    page = page_text(client.get("/b/alpha/settings/follow-ups"))
    assert f"?line={alpha_line.pk}" in page and "follows the business" in page
    url = f"/b/alpha/settings/follow-ups?line={alpha_line.pk}"
    assert "This line follows the business's follow-ups" in page_text(client.get(url))
    response = client.post(url, {**FORM, "window_start": "10:00"}, follow=True)
    assert flashed(response) == f"Follow-ups for {alpha_line} are on."
    plan = FollowupPlan.objects.get(line=alpha_line)
    assert plan.window_start == time(10)
    assert not FollowupPlan.objects.filter(line__isnull=True).exists()  # the business's stays as it was
    response = client.post(url, {"follow_business": "1"}, follow=True)
    assert flashed(response) == f"{alpha_line} follows the business's follow-ups."
    assert not FollowupPlan.objects.exists()


@pytest.mark.parametrize("line", ["abc", "99999", "-1", "1e3"])
def test_a_line_that_is_not_there_is_not_found(client, alice, line):
    assert signed_in(client, alice).get(f"/b/alpha/settings/follow-ups?line={line}").status_code == 404


def test_another_business_line_is_not_found(client, alice, beta_line):
    response = signed_in(client, alice).post(f"/b/alpha/settings/follow-ups?line={beta_line.pk}", FORM)
    assert response.status_code == 404
    assert not FollowupPlan.objects.exists()


def test_the_cli_gives_a_line_its_own_follow_ups(alpha, alpha_line, capsys):
    from django.core.management import call_command

    call_command("business", "followups", "alpha", "--line", "(512) 555-0100", "--on", "--window", "10:00-18:00")
    assert "Follow-ups for alpha, line +15125550100: on, 10:00-18:00 local." in capsys.readouterr().out
    call_command("business", "followups", "alpha", "--line", "(512) 555-0100", "--follow-business")
    assert "line +15125550100 (follows the business): off" in capsys.readouterr().out
    assert not FollowupPlan.objects.exists()
