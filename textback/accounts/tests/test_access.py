"""Who may do what: one table of actions and roles, and 404 for anyone outside the business."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import RequestFactory

from textback.accounts.access import ACTIONS, business_or_404

pytestmark = pytest.mark.django_db


def request_by(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def test_a_user_of_another_business_gets_404_not_403(alpha, charlie):
    with pytest.raises(Http404):
        business_or_404(request_by(charlie), alpha.slug)


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_each_action_is_allowed_from_its_role_up(action, alpha, alice, mary, bob):
    needed = ACTIONS[action]
    for user, role in ((bob, "agent"), (mary, "manager"), (alice, "owner")):
        allowed = ["agent", "manager", "owner"].index(role) >= ["agent", "manager", "owner"].index(needed)
        if allowed:
            assert business_or_404(request_by(user), alpha.slug, action) == alpha
        else:
            with pytest.raises(PermissionDenied, match=f"needs the {needed} role"):
                business_or_404(request_by(user), alpha.slug, action)


def test_agents_answer_managers_assign_owners_manage_staff():
    assert (ACTIONS["reply"], ACTIONS["assign"], ACTIONS["manage_staff"]) == ("agent", "manager", "owner")
