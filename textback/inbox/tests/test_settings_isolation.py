"""Settings and contact pages: another business's objects are 404 by every method, forms need their CSRF
token, and text people typed is shown as text."""

from datetime import time

import pytest
from django.forms.models import model_to_dict
from django.test import Client

from textback.accounts.models import Business, OpeningHours
from textback.messaging.models import CannedReply, Contact, ExcludedNumber
from textback.providers.models import Line, ProviderAccount

pytestmark = pytest.mark.django_db


@pytest.fixture
def beta_things(beta, beta_line):
    """One of each object the settings and contact pages change, all BetaHVAC's."""
    OpeningHours.objects.create(business=beta, weekday=0, opens=time(8), closes=time(17))
    return {
        "line": beta_line,
        "exclusion": ExcludedNumber.objects.create(business=beta, number="+12145550123", label="beta's"),
        "canned": CannedReply.objects.create(business=beta, title="Beta only", body="Private to beta"),
        "contact": Contact.objects.create(business=beta, number="+12145550147", name="Beta Customer"),
    }


def everything() -> dict:
    """Every row the settings and contact pages could write, as plain values."""
    tables = [Business, OpeningHours, Line, ProviderAccount, ExcludedNumber, CannedReply, Contact]
    return {
        model.__name__: sorted((model_to_dict(row) for row in model.objects.all()), key=lambda row: row["id"])
        for model in tables
    }


def assert_not_found(client, path: str, *posts: dict) -> None:
    before = everything()
    assert client.get(path).status_code == 404, path
    for data in posts:
        assert client.post(path, data).status_code == 404, (path, data)
    assert everything() == before


def assert_not_found_under_both_slugs(client, path: str, *posts: dict) -> None:
    """B's object through B's slug (not a member) and through A's own slug (not A's object)."""
    assert_not_found(client, f"/b/beta/{path}", *posts)
    assert_not_found(client, f"/b/alpha/{path}", *posts)


LINE_POST = {"number": "+12145550100", "label": "hijacked", "call_mode": "carrier_forward", "ring_seconds": "20",
             "delay_seconds": "0", "textback_template": "Hi", "greeting": ""}  # fmt: skip


@pytest.mark.cross_tenant("settings")
def test_another_business_settings_hub_is_not_found(as_alice, beta_things):
    assert_not_found(as_alice, "/b/beta/settings/")


@pytest.mark.cross_tenant("settings-profile")
def test_another_business_profile_cannot_be_seen_or_changed(as_alice, beta_things):
    assert_not_found(
        as_alice,
        "/b/beta/settings/profile",
        {"name": "Hijacked", "time_zone": "UTC", "country": "US", "textback_outcomes": ["no_answer"],
         "allowed_countries": "US", "cooldown_hours": "1", "staleness_minutes": "1", "sla_amber_minutes": "1",
         "sla_red_minutes": "2", "escalate_after_minutes": "1"},
    )  # fmt: skip


@pytest.mark.cross_tenant("settings-hours")
def test_another_business_hours_cannot_be_seen_or_changed(as_alice, beta_things):
    assert_not_found(as_alice, "/b/beta/settings/hours", {"mode": "always"})


@pytest.mark.cross_tenant("settings-lines")
def test_another_business_lines_are_not_listed(as_alice, beta_things):
    assert_not_found(as_alice, "/b/beta/settings/lines/")


@pytest.mark.cross_tenant("settings-line-new")
def test_no_line_can_be_added_to_another_business(as_alice, beta_things):
    assert_not_found(as_alice, "/b/beta/settings/lines/new", {"number": "+12145550111", "label": "planted"})


@pytest.mark.cross_tenant("settings-line")
def test_another_business_line_cannot_be_seen_or_changed(as_alice, alpha_line, beta_things):
    page = as_alice.get(f"/b/alpha/settings/lines/{beta_things['line'].pk}")
    assert b"214" not in page.content
    assert_not_found_under_both_slugs(as_alice, f"settings/lines/{beta_things['line'].pk}", LINE_POST)


@pytest.mark.cross_tenant("settings-line-preview")
def test_another_business_line_cannot_be_previewed(as_alice, alpha_line, beta_things):
    assert_not_found_under_both_slugs(
        as_alice, f"settings/lines/{beta_things['line'].pk}/preview", {"textback_template": "Hi {business}"}
    )


@pytest.mark.cross_tenant("settings-excluded")
def test_another_business_excluded_numbers_cannot_be_seen_or_added_to(as_alice, beta_things):
    assert_not_found(as_alice, "/b/beta/settings/excluded/", {"number": "+12145550124", "label": "planted"})


@pytest.mark.cross_tenant("settings-excluded-remove")
def test_another_business_exclusion_cannot_be_removed(as_alice, beta_things):
    assert_not_found_under_both_slugs(as_alice, f"settings/excluded/{beta_things['exclusion'].pk}/remove", {})


@pytest.mark.cross_tenant("settings-canned")
def test_another_business_canned_replies_cannot_be_seen_or_added_to(as_alice, beta_things):
    assert_not_found(as_alice, "/b/beta/settings/canned/", {"title": "Planted", "body": "x"})


@pytest.mark.cross_tenant("settings-canned-edit")
def test_another_business_canned_reply_cannot_be_seen_or_edited(as_alice, beta_things):
    assert_not_found_under_both_slugs(
        as_alice, f"settings/canned/{beta_things['canned'].pk}", {"title": "Hijacked", "body": "x"}
    )


@pytest.mark.cross_tenant("settings-canned-delete")
def test_another_business_canned_reply_cannot_be_deleted(as_alice, beta_things):
    assert_not_found_under_both_slugs(as_alice, f"settings/canned/{beta_things['canned'].pk}/delete", {})


@pytest.mark.cross_tenant("contacts")
def test_another_business_contacts_are_not_listed(as_alice, beta_things):
    assert_not_found(as_alice, "/b/beta/contacts/")
    assert b"Beta Customer" not in as_alice.get("/b/alpha/contacts/", {"q": "Beta"}).content


@pytest.mark.cross_tenant("contact")
def test_another_business_contact_cannot_be_seen_or_edited(as_alice, alice, beta_things):
    assert_not_found_under_both_slugs(
        as_alice, f"contacts/{beta_things['contact'].pk}", {"name": "Hijacked", "owner": alice.pk, "tags": "x"}
    )


@pytest.mark.cross_tenant("contact-exclusion")
def test_another_business_contact_cannot_be_excluded_or_included(as_alice, beta_things):
    path = f"contacts/{beta_things['contact'].pk}/exclusion"
    assert_not_found_under_both_slugs(as_alice, path, {"do": "exclude"}, {"do": "include"})


# --- CSRF ------------------------------------------------------------------------------------------


@pytest.fixture
def alpha_things(alpha, alpha_line):
    return {
        "line": alpha_line,
        "exclusion": ExcludedNumber.objects.create(business=alpha, number="+15125550123"),
        "canned": CannedReply.objects.create(business=alpha, title="Running late", body="On our way"),
        "contact": Contact.objects.create(business=alpha, number="+15125550147", name="Jane"),
    }


FORMS = [
    ("settings/profile", {"name": "No token"}),
    ("settings/hours", {"mode": "always"}),
    ("settings/lines/new", {"number": "+17375550142"}),
    ("settings/lines/{line}", LINE_POST),
    ("settings/lines/{line}/preview", {"textback_template": "Hi"}),
    ("settings/excluded/", {"number": "+15125550124"}),
    ("settings/excluded/{exclusion}/remove", {}),
    ("settings/canned/", {"title": "New", "body": "x"}),
    ("settings/canned/{canned}", {"title": "Changed", "body": "x"}),
    ("settings/canned/{canned}/delete", {}),
    ("contacts/{contact}", {"name": "Changed"}),
    ("contacts/{contact}/exclusion", {"do": "exclude"}),
]


@pytest.mark.parametrize("path, data", FORMS, ids=[path for path, _ in FORMS])
def test_every_settings_form_needs_its_csrf_token(alice, alpha_things, path, data):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    before = everything()

    response = client.post("/b/alpha/" + path.format(**{k: v.pk for k, v in alpha_things.items()}), data)

    assert response.status_code == 403
    assert everything() == before


def test_the_forms_carry_their_csrf_token(alice, alpha_things):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    page = client.get("/b/alpha/settings/canned/")
    token = page.cookies["csrftoken"].value

    response = client.post("/b/alpha/settings/canned/", {"title": "New", "body": "x", "csrfmiddlewaretoken": token})

    assert response.status_code == 302
    assert b'name="csrfmiddlewaretoken"' in page.content


# --- escaping --------------------------------------------------------------------------------------

MARKUP = '<img src=x onerror="alert(1)">'


def test_markup_people_typed_is_shown_as_text(as_alice, alpha, alpha_line, alpha_things):
    Business.objects.filter(pk=alpha.pk).update(name=MARKUP, help_contact=MARKUP)
    Line.objects.filter(pk=alpha_line.pk).update(label=MARKUP, staff_name=MARKUP)
    ExcludedNumber.objects.filter(pk=alpha_things["exclusion"].pk).update(label=MARKUP)
    CannedReply.objects.filter(pk=alpha_things["canned"].pk).update(title=MARKUP, body=MARKUP)
    Contact.objects.filter(pk=alpha_things["contact"].pk).update(name=MARKUP, tags=[MARKUP])

    for path in [
        "settings/",
        "settings/profile",
        "settings/lines/",
        f"settings/lines/{alpha_line.pk}",
        "settings/excluded/",
        "settings/canned/",
        f"settings/canned/{alpha_things['canned'].pk}",
        "contacts/",
        f"contacts/{alpha_things['contact'].pk}",
    ]:
        page = as_alice.get(f"/b/alpha/{path}").content.decode()
        assert "<img" not in page, path
        assert "&lt;img src=x" in page, path


def test_a_previewed_template_is_shown_as_text(as_alice, alpha_line):
    response = as_alice.post(
        f"/b/alpha/settings/lines/{alpha_line.pk}/preview", {"textback_template": "Hi <b>{first_name}</b>"}
    )

    assert b"<b>" not in response.content
    assert b"Hi &lt;b&gt;Jane&lt;/b&gt;" in response.content
