"""The staff page: an owner sees the members, changes roles and lines, and removes people; a business keeps an owner."""

import pytest
from django.urls import reverse

from textback.accounts.models import Membership
from textback.messaging.models import Conversation
from textback.testing import a_missed_call

pytestmark = pytest.mark.django_db


def membership(user, slug="alpha") -> Membership:
    return Membership.objects.get(user=user, business__slug=slug)


def save_member(client, member, role, lines=()):
    return client.post(
        reverse("member", args=[member.business.slug, member.pk]), {"role": role, "lines": [line.pk for line in lines]}
    )


def test_the_staff_page_lists_members_with_role_lines_and_phone(client, alice, bob, mary, alpha_line):
    bob_at_alpha = membership(bob)
    bob_at_alpha.lines.set([alpha_line])
    bob_at_alpha.phone = "+15125550188"
    bob_at_alpha.save()
    client.force_login(alice)
    page = client.get(reverse("staff", args=["alpha"])).content.decode()
    for text in ("alice@alpha.example", "bob@alpha.example", "mary@alpha.example", "Owner", "Manager", "Agent"):
        assert text in page
    assert "(512) 555-0100" in page and "(512) 555-0188" in page and "every line" in page


def test_an_owner_changes_a_role_and_the_lines_served(client, alice, bob, alpha_line, alpha_sandbox_line):
    client.force_login(alice)
    response = save_member(client, membership(bob), "manager", [alpha_sandbox_line])
    assert response.status_code == 302
    bob_at_alpha = membership(bob)
    assert bob_at_alpha.role == Membership.MANAGER
    assert list(bob_at_alpha.lines.all()) == [alpha_sandbox_line]


def test_the_last_owner_cannot_be_demoted(client, alice):
    client.force_login(alice)
    response = save_member(client, membership(alice), "agent")
    assert response.status_code == 400
    assert "the only owner of AlphaPlumbing" in response.content.decode()
    assert membership(alice).role == Membership.OWNER


def test_an_owner_can_step_down_once_there_is_another(client, alice, bob):
    client.force_login(alice)
    save_member(client, membership(bob), "owner")
    assert save_member(client, membership(alice), "manager").status_code == 302
    assert membership(alice).role == Membership.MANAGER


def test_the_last_owner_cannot_be_removed(client, alice):
    client.force_login(alice)
    me = membership(alice)
    response = client.post(reverse("member-remove", args=["alpha", me.pk]), follow=True)
    assert "the only owner of AlphaPlumbing" in response.content.decode()
    assert Membership.objects.filter(pk=me.pk).exists()


def test_removing_a_member_unassigns_their_conversations(client, alice, bob, alpha_line):
    call = a_missed_call(alpha_line)
    Conversation.objects.filter(contact=call.contact).update(assignee=bob)
    client.force_login(alice)
    response = client.post(reverse("member-remove", args=["alpha", membership(bob).pk]))
    assert response.status_code == 302
    assert not Membership.objects.filter(user=bob).exists()
    assert Conversation.objects.get(contact=call.contact).assignee is None
    bob.refresh_from_db()  # the account stays
    client.force_login(bob)
    assert client.get(reverse("business", args=["alpha"])).status_code == 404


def test_a_line_of_another_business_cannot_be_given(client, alice, bob, beta_line):
    client.force_login(alice)
    response = save_member(client, membership(bob), "agent", [beta_line])
    assert response.status_code == 400 and "not one of this business" in response.content.decode()
    assert not membership(bob).lines.exists()


@pytest.mark.parametrize("who", ["bob", "mary"])
def test_an_agent_or_a_manager_cannot_change_roles_or_remove_people(client, request, who, alice, bob):
    client.force_login(request.getfixturevalue(who))
    target = membership(bob)
    assert save_member(client, target, "owner").status_code == 403
    assert client.post(reverse("member-remove", args=["alpha", target.pk])).status_code == 403
    assert client.get(reverse("member", args=["alpha", target.pk])).status_code == 403
    assert membership(bob).role == Membership.AGENT


def test_names_on_the_staff_page_are_escaped(client, alice, alpha, django_user_model):
    evil = django_user_model.objects.create_user("e@alpha.example", "e@alpha.example", "pw", first_name="<script>x")
    Membership.objects.create(user=evil, business=alpha)
    client.force_login(alice)
    page = client.get(reverse("staff", args=["alpha"])).content.decode()
    assert "&lt;script&gt;x" in page and "<script>x" not in page


def test_only_owners_get_a_staff_link_in_the_settings(client, alice, bob):
    client.force_login(alice)
    assert reverse("staff", args=["alpha"]) in client.get(reverse("settings", args=["alpha"])).content.decode()
    client.force_login(bob)
    assert reverse("staff", args=["alpha"]) not in client.get(reverse("settings", args=["alpha"])).content.decode()
