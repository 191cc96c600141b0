"""textback demo: a business a newcomer can try the inbox with."""

import pytest
from django.core.management import call_command

from textback.accounts.models import Business, Membership, OpeningHours
from textback.messaging.models import CannedReply

pytestmark = pytest.mark.django_db


def test_the_demo_has_an_owner_colleagues_to_assign_to_hours_and_canned_replies(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    call_command("demo", stdout=open("/dev/null", "w"))
    business = Business.objects.get(slug="alphaplumbing")
    roles = sorted(Membership.objects.filter(business=business).values_list("role", flat=True))
    assert roles == ["agent", "manager", "owner"]
    assert OpeningHours.objects.filter(business=business).count() == 5
    assert CannedReply.objects.filter(business=business).count() == 3


def test_running_the_demo_again_changes_nothing(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    for _ in range(2):
        call_command("demo", stdout=open("/dev/null", "w"))
    assert Membership.objects.count() == 3
    assert OpeningHours.objects.count() == 5
    assert (tmp_path / "demo-password").exists()
