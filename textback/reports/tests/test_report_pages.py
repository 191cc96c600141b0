"""The recovery report's pages: who may open them, what a bad period says, the honest miss rate, the agency
page across businesses, the report as the owner's front page, and the queries they make (pinned)."""

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
import time_machine

from textback.accounts.models import Business, Membership
from textback.messaging.models import Conversation, Message
from textback.providers.models import Line
from textback.testing import a_missed_call, an_inbound_text, delivery_reports

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)  # noon in Chicago


@pytest.fixture(autouse=True)
def _the_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def history(line, days: int, per_day: int = 2, exchange: int = 430) -> None:
    """`per_day` missed calls a day over the last `days` days, from different callers, each texted back 3 s later
    and delivered; every other caller replied (and nobody answered them)."""
    for n in range(days):
        for k in range(per_day):
            moment = NOW - timedelta(days=n, hours=k + 1)
            with time_machine.travel(moment, tick=False):
                caller = f"+1512{exchange}{n:02d}{k:02d}"
                call = a_missed_call(line, caller)
                textback = Message.objects.get(call=call, purpose=Message.TEXTBACK)
                Message.objects.filter(pk=textback.pk).update(status="queued", sent_at=moment + timedelta(seconds=3))
                delivery_reports(textback, "delivered")
            if k % 2 == 0:
                with time_machine.travel(moment + timedelta(minutes=2), tick=False):
                    an_inbound_text(line, "Can you come today?", caller)


def words(response) -> str:
    """The page's text as a reader sees it: no tags, entities read, runs of white space as one space."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


# --- access --------------------------------------------------------------------------------------------------


def test_an_owner_and_a_manager_see_the_report(as_alice, alpha_line, mary, client):
    assert as_alice.get("/b/alpha/reports/").status_code == 200
    client.force_login(mary)
    assert client.get("/b/alpha/reports/").status_code == 200


def test_an_agent_is_refused_the_report(as_bob, alpha_line):
    response = as_bob.get("/b/alpha/reports/")

    assert response.status_code == 403


@pytest.mark.cross_tenant("reports")
def test_another_business_report_is_not_found(as_alice, beta_line):
    a_missed_call(beta_line, "+12145550147")

    response = as_alice.get("/b/beta/reports/")

    assert response.status_code == 404 and b"BetaHVAC" not in response.content


@pytest.mark.parametrize(
    "params, says",
    [
        ({"period": "12d"}, "period must be one of 7d, 30d, 90d, 365d"),
        ({"period": "custom", "from": "2026-11-01"}, "give both from and to"),
        ({"period": "custom"}, "a custom period needs both from and to dates"),
        ({"period": "custom", "from": "2026-11-30", "to": "2026-11-01"}, "the period ends before it starts"),
        ({"period": "custom", "from": "30/11/2026", "to": "2026-12-01"}, "must be dates written YYYY-MM-DD"),
        ({"period": "custom", "from": "2020-01-01", "to": "2026-11-01"}, "a period is at most 1098 days"),
        ({"line": "99999"}, "line must be one of this business"),
    ],
)
def test_a_bad_period_or_line_says_what_to_fix(as_alice, alpha_line, params, says):
    response = as_alice.get("/b/alpha/reports/", params)

    assert response.status_code == 400
    assert says in words(response)


def test_a_preset_wins_over_dates_left_in_the_form(as_alice, alpha_line):
    response = as_alice.get("/b/alpha/reports/", {"period": "7d", "from": "2026-01-01", "to": "bad"})

    assert response.status_code == 200 and "Nov 24, 2026 – Nov 30, 2026" in words(response)


# --- what it shows -------------------------------------------------------------------------------------------


def test_it_shows_the_funnel_with_rates_and_definitions(as_alice, alpha_line):
    history(alpha_line, days=3)

    text = words(as_alice.get("/b/alpha/reports/", {"period": "7d"}))

    assert "Inbound calls" in text and "Calls nobody answered, by how they ended." in text
    assert "Recovery rate 50% (3 of 6 texted)" in text
    assert "Miss rate 100% (6 of 6 calls)" in text


def test_it_says_the_miss_rate_is_not_measured_on_a_carrier_forwarding_line(as_alice, alpha_line):
    Line.objects.filter(pk=alpha_line.pk).update(call_mode=Line.CARRIER_FORWARD)
    history(alpha_line, days=2)

    text = words(as_alice.get("/b/alpha/reports/"))

    assert "miss rate not measured in this mode" in text.lower()
    assert "100%" not in text.split("Missed")[1].split("Texted back")[0]


def test_with_mixed_lines_it_names_the_lines_the_miss_rate_covers(as_alice, alpha_line, alpha_sandbox_line):
    Line.objects.filter(pk=alpha_sandbox_line.pk).update(call_mode=Line.CARRIER_FORWARD, label="Van")
    Line.objects.filter(pk=alpha_line.pk).update(label="Shop")
    history(alpha_line, days=1, per_day=1)
    history(alpha_sandbox_line, days=1, per_day=1, exchange=431)

    text = words(as_alice.get("/b/alpha/reports/"))

    assert "The miss rate covers Shop only" in text


def test_one_line_can_be_chosen(as_alice, alpha_line, alpha_sandbox_line):
    history(alpha_line, days=1, per_day=2)
    history(alpha_sandbox_line, days=1, per_day=1, exchange=431)

    every = as_alice.get("/b/alpha/reports/").context["board"].total
    one = as_alice.get("/b/alpha/reports/", {"line": alpha_sandbox_line.pk}).context["board"].total

    assert (every.calls, one.calls) == (3, 1)


def test_it_draws_its_charts_with_their_numbers_as_tables(as_alice, alpha_line):
    history(alpha_line, days=3)

    content = as_alice.get("/b/alpha/reports/").content.decode()

    assert content.count('<svg class="chart-svg"') == 3  # trend, heat map, text-back speed (no answers yet)
    assert content.count("<summary>The numbers</summary>") == 3
    assert "No answers in this period." in content


def test_an_empty_period_says_so(as_alice, alpha_line):
    content = words(as_alice.get("/b/alpha/reports/"))

    assert "No calls in this period." in content


def test_breaches_link_to_their_conversations(as_alice, alpha_line):
    history(alpha_line, days=1, per_day=1)  # the caller wrote at 11:00 and nobody answered

    response = as_alice.get("/b/alpha/reports/")

    conversation = Conversation.objects.get()
    assert f'href="/b/alpha/conversations/{conversation.pk}"' in response.content.decode()
    assert "not answered" in words(response)


def test_caller_text_never_reaches_the_page_unescaped(as_alice, alpha_line):
    Line.objects.filter(pk=alpha_line.pk).update(label="<script>alert(1)</script>")

    content = as_alice.get("/b/alpha/reports/").content.decode()

    assert "<script>alert(1)" not in content and "&lt;script&gt;alert(1)" in content


# --- the front page ------------------------------------------------------------------------------------------


def test_an_owner_lands_on_the_report_and_an_agent_on_the_inbox(client, alice, bob):
    client.force_login(alice)
    assert client.get("/")["Location"] == "/b/alpha/reports/"
    client.force_login(bob)
    assert client.get("/")["Location"] == "/b/alpha/"


def test_the_header_links_the_report_for_managers_only(client, alice, bob, alpha_line):
    client.force_login(alice)
    assert 'href="/b/alpha/reports/"' in client.get("/b/alpha/").content.decode()
    client.force_login(bob)
    assert 'href="/b/alpha/reports/"' not in client.get("/b/alpha/").content.decode()


def test_someone_who_manages_several_businesses_lands_on_the_agency_report(client, alice, beta):
    Membership.objects.create(user=alice, business=beta, role=Membership.MANAGER)
    client.force_login(alice)

    assert client.get("/")["Location"] == "/reports/"


# --- the agency page -----------------------------------------------------------------------------------------


@pytest.fixture
def agency(alice, beta, beta_line):
    Membership.objects.create(user=alice, business=beta, role=Membership.MANAGER)
    Business.objects.filter(pk=beta.pk).update(time_zone="America/New_York")
    beta.refresh_from_db()
    return beta


def test_the_agency_page_has_a_row_per_business_and_a_total(as_alice, alpha_line, agency, beta_line):
    history(alpha_line, days=2, per_day=1)
    history(beta_line, days=1, per_day=3)

    response = as_alice.get("/reports/", {"period": "7d"})

    rows = response.context["rows"]
    assert [(row["business"].name, row["figures"].calls) for row in rows] == [("AlphaPlumbing", 2), ("BetaHVAC", 3)]
    assert response.context["total"]["figures"].calls == 5
    assert str(response.context["total"]["recovery_rate"]) == "4 of 5"  # 2 + 2 replies
    assert 'href="/b/beta/reports/"' in response.content.decode()


def test_the_agency_page_shows_only_businesses_the_person_manages(as_alice, alpha_line, beta, charlie, gamma_as):
    rows = as_alice.get("/reports/").context["rows"]

    assert [row["business"].name for row in rows] == ["AlphaPlumbing"]  # gamma (an agent there) and beta: not


@pytest.fixture
def gamma_as(alice):
    gamma = Business.objects.create(name="GammaLocks", slug="gamma")
    Membership.objects.create(user=alice, business=gamma, role=Membership.AGENT)
    return gamma


def test_the_agency_page_is_refused_to_someone_who_manages_nothing(as_bob):
    assert as_bob.get("/reports/").status_code == 403


def test_the_agency_page_says_what_to_fix_in_a_bad_period(as_alice, alpha_line):
    response = as_alice.get("/reports/", {"period": "custom", "from": "2026-13-01", "to": "2026-12-01"})

    assert response.status_code == 400 and "YYYY-MM-DD" in words(response)


# --- query-count pins ----------------------------------------------------------------------------------------

# Sign-in (session, user), the membership, the lines, the kept days and the unsettled days' rows (calls, texts,
# keyword texts, bookings, hours) for the period and again for the previous one, the costs, the switcher. The
# agency page: per business, the kept days and the unsettled days' rows once. A change here is a change to
# look at, never one to accept blindly.
# agency: 7 fixed (session, user, memberships, costs, every business's kept days, first calls, first texts) + 9 per
# business (funnel.days over its recent days: test_review_pages.py PER_BUSINESS, + 2 for the booked episodes).
PINNED = {"dashboard": 19, "agency": 25}


@pytest.mark.parametrize("days", [3, 30])
def test_the_dashboard_makes_the_same_queries_whatever_the_history(as_alice, alpha_line, days,
                                                                   django_assert_num_queries):  # fmt: skip
    history(alpha_line, days=days)
    as_alice.get("/b/alpha/reports/")  # the settled days are figured once and kept

    with django_assert_num_queries(PINNED["dashboard"]):
        assert as_alice.get("/b/alpha/reports/").status_code == 200


@pytest.mark.parametrize("days", [3, 30])
def test_the_agency_page_makes_the_same_queries_whatever_the_history(as_alice, alpha_line, agency, beta_line,
                                                                     days, django_assert_num_queries):  # fmt: skip
    history(alpha_line, days=days)
    history(beta_line, days=days, per_day=1)
    as_alice.get("/reports/")

    with django_assert_num_queries(PINNED["agency"]):
        assert as_alice.get("/reports/").status_code == 200
