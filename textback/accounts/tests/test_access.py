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


# The product decision, written out by hand rather than read from ACTIONS: who may do what. A change to
# access.ACTIONS that moves an action to another role fails here until this table is changed with it.
AGENT, MANAGER, OWNER = "agent", "manager", "owner"
WHO_MAY = {
    "view": {AGENT, MANAGER, OWNER},
    "reply": {AGENT, MANAGER, OWNER},
    "note": {AGENT, MANAGER, OWNER},
    "close": {AGENT, MANAGER, OWNER},  # and reopen
    "edit_contact": {AGENT, MANAGER, OWNER},
    "assign": {MANAGER, OWNER},
    "set_outcome": {MANAGER, OWNER},
    "see_all_lines": {MANAGER, OWNER},
    "exclude_number": {MANAGER, OWNER},
    "canned_replies": {MANAGER, OWNER},
    "receive_escalations": {MANAGER, OWNER},  # alerted to callers left waiting
    "export_records": {MANAGER, OWNER},  # the consent ledger, a contact's data
    "erase_contact": {MANAGER, OWNER},
    "manage_on_call": {MANAGER, OWNER},
    "view_reports": {MANAGER, OWNER},
    "manage_staff": {OWNER},
    "manage_lines": {OWNER},
    "manage_settings": {OWNER},
    "manage_webhooks": {OWNER},
    "manage_api_tokens": {OWNER},
}


def test_the_table_names_every_action_there_is():
    assert set(WHO_MAY) == set(ACTIONS)


@pytest.mark.parametrize("action", sorted(WHO_MAY))
def test_each_action_is_allowed_to_exactly_the_roles_the_product_says(action, alpha, alice, mary, bob):
    for user, role in ((bob, AGENT), (mary, MANAGER), (alice, OWNER)):
        if role in WHO_MAY[action]:
            assert business_or_404(request_by(user), alpha.slug, action) == alpha, (action, role)
        else:
            lowest = next(r for r in (AGENT, MANAGER, OWNER) if r in WHO_MAY[action])
            with pytest.raises(PermissionDenied, match=f"This needs the {lowest} role or higher"):
                business_or_404(request_by(user), alpha.slug, action)
