"""Upgrading: staff phones already stored are written in E.164, and when two members of one business have one
phone the first keeps it (the others are cleared, and the migration says so) before the database makes a
phone unique per business."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("accounts", "0004_two_factor")]


@pytest.fixture
def before_verification(transactional_db):
    """The database as it was before staff phones were verified; migrated to the newest again afterwards."""
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    executor.loader.build_graph()
    yield executor.loader.project_state(BEFORE).apps
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_upgrading_normalises_staff_phones_and_keeps_a_shared_phone_with_its_first_member(before_verification, capsys):
    apps = before_verification
    Business, Membership = apps.get_model("accounts", "Business"), apps.get_model("accounts", "Membership")
    User = apps.get_model("auth", "User")
    alpha = Business.objects.create(name="AlphaPlumbing", slug="alpha", country="US")
    beta = Business.objects.create(name="BetaHVAC", slug="beta", country="US")
    phones = [("ann", alpha, "(512) 555-0188"), ("bob", alpha, "+1 512 555 0188"), ("cat", alpha, "not a phone"),
              ("dan", alpha, ""), ("eve", alpha, ""), ("ann", beta, "512.555.0188")]  # fmt: skip
    for name, business, number in phones:
        user, _ = User.objects.get_or_create(username=f"{name}@example.com")
        Membership.objects.create(user=user, business=business, phone=number)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    from textback.accounts.models import Membership as Now

    stored = {(m.user.username[:3], m.business.slug): m.phone for m in Now.objects.select_related("user", "business")}
    assert stored == {("ann", "alpha"): "+15125550188", ("bob", "alpha"): "", ("cat", "alpha"): "",
                      ("dan", "alpha"): "", ("eve", "alpha"): "", ("ann", "beta"): "+15125550188"}  # fmt: skip
    assert not Now.objects.exclude(phone_verified="").exists()
    said = capsys.readouterr().out
    assert "staff phone of ann@example.com at alpha: '(512) 555-0188' -> '+15125550188'" in said
    assert "staff phone of bob@example.com at alpha: cleared '+1 512 555 0188': already the phone of member" in said
    assert (
        "staff phone of cat@example.com at alpha: cleared 'not a phone': not a phone number textback can text" in said
    )
