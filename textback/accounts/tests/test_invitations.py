"""An owner invites people by email; the mailed link makes their account and membership, once, for 7 days."""

import html
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from textback.accounts import invitations
from textback.accounts.models import Invitation, Membership
from textback.accounts.tests.conftest import link_in
from textback.outbox.models import OutboxItem

pytestmark = pytest.mark.django_db
User = get_user_model()


def invite(client, email="newbie@alpha.example", role="agent", slug="alpha"):
    return client.post(reverse("staff-invite", args=[slug]), {"email": email, "role": role})


def accept(client, path, name="Nina Newbie", password="a-long-passphrase-9"):
    return client.post(path, {"name": name, "password1": password, "password2": password})


def test_an_invitation_mail_lands_in_the_sandbox_mailbox_and_its_link_makes_the_account(
    client, alice, alpha, delivered
):
    client.force_login(alice)
    response = invite(client, "Newbie@Alpha.example", "manager")
    assert response.status_code == 302
    (mail,) = delivered()
    assert mail.business == alpha and mail.to == ["newbie@alpha.example"]
    assert "AlphaPlumbing" in mail.subject and "as manager" in mail.body

    mailbox = client.get(reverse("mailbox", args=["alpha"]))
    assert html.escape(mail.subject) in mailbox.content.decode()
    path = link_in(mail)
    assert f'href="https://textback.example.com{path}"' in mailbox.content.decode()  # a link one can follow

    client.logout()
    page = client.get(path)
    assert page.status_code == 200 and "Join AlphaPlumbing" in page.content.decode()
    response = accept(client, path)
    assert response.status_code == 302 and response.url == reverse("business", args=["alpha"])
    user = User.objects.get(username="newbie@alpha.example")
    assert (user.first_name, user.last_name, user.email) == ("Nina", "Newbie", "newbie@alpha.example")
    assert user.check_password("a-long-passphrase-9")
    assert Membership.objects.get(user=user, business=alpha).role == Membership.MANAGER
    assert client.get(reverse("business", args=["alpha"])).status_code == 200  # signed in as the new person


def test_only_a_hash_of_the_token_is_stored(client, alice, delivered):
    client.force_login(alice)
    invite(client)
    token = link_in(delivered()[0]).rsplit("/", 1)[1]
    stored = Invitation.objects.get()
    assert len(token) >= 43 and token not in stored.token_hash
    assert stored.token_hash == invitations.token_hash(token)


def test_the_link_cannot_be_used_twice(client, alice, delivered):
    client.force_login(alice)
    invite(client)
    path = link_in(delivered()[0])
    client.logout()
    accept(client, path)
    client.logout()
    again = client.get(path)
    assert again.status_code == 410 and "used already" in again.content.decode()
    second = accept(client, path, name="Mallory", password="another-passphrase-1")
    assert second.status_code == 410
    assert User.objects.filter(username="newbie@alpha.example").count() == 1
    assert not User.objects.filter(first_name="Mallory").exists()


def test_an_expired_link_is_refused_with_a_clear_page(client, alice, delivered):
    client.force_login(alice)
    invite(client)
    path = link_in(delivered()[0])
    client.logout()
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        page = client.get(path)
        assert page.status_code == 410 and "expired" in page.content.decode()
        assert accept(client, path).status_code == 410
    assert not User.objects.filter(username="newbie@alpha.example").exists()


def test_a_made_up_link_is_refused_with_a_clear_page(client, db):
    page = client.get(reverse("account:invite", args=["not-a-real-token"]))
    assert page.status_code == 410 and "not valid" in page.content.decode()


def test_a_weak_or_mistyped_password_is_explained_and_nothing_is_made(client, alice, delivered):
    client.force_login(alice)
    invite(client)
    path = link_in(delivered()[0])
    client.logout()
    weak = accept(client, path, password="password")
    assert weak.status_code == 400 and "too common" in weak.content.decode()
    mismatch = client.post(path, {"name": "Nina", "password1": "a-long-passphrase-9", "password2": "a-long-passphrase"})
    assert "not the same" in mismatch.content.decode()
    assert not User.objects.filter(username="newbie@alpha.example").exists()
    assert Invitation.objects.get().accepted_at is None  # the link still works


def test_someone_with_an_account_logs_in_and_accepts(client, alice, charlie, beta, delivered):
    """An agency: charlie works for beta, and joins alpha too with the same account."""
    client.force_login(alice)
    invite(client, "charlie@beta.example", "agent")
    path = link_in(delivered()[0])
    client.logout()
    page = client.get(path)
    assert "Log in to accept" in page.content.decode()
    assert client.post(path).status_code == 400  # not signed in: nothing accepted
    client.force_login(charlie)
    assert client.post(path).status_code == 302
    assert set(charlie.memberships.values_list("business__slug", "role")) == {("beta", "owner"), ("alpha", "agent")}
    assert client.get(path).status_code == 410


def test_an_invitation_cannot_be_accepted_by_someone_else_signed_in(client, alice, charlie, delivered, bob):
    client.force_login(alice)
    invite(client, "charlie@beta.example")
    path = link_in(delivered()[0])
    client.force_login(bob)
    response = client.post(path)
    assert response.status_code == 400 and "This invitation is for charlie@beta.example" in response.content.decode()
    assert not charlie.memberships.filter(business__slug="alpha").exists()


def test_inviting_a_member_says_they_are_one_already(client, alice, bob):
    client.force_login(alice)
    response = invite(client, "BOB@alpha.example")
    assert response.status_code == 400
    assert "bob@alpha.example is already a member of AlphaPlumbing, as agent" in response.content.decode()
    assert not Invitation.objects.exists() and not OutboxItem.objects.exists()


def test_a_bad_address_is_explained(client, alice):
    client.force_login(alice)
    response = invite(client, "mike at home")
    assert response.status_code == 400 and "is not an email address" in response.content.decode()
    assert not Invitation.objects.exists()


def test_resending_makes_a_new_link_and_the_old_one_stops_working(client, alice, delivered):
    client.force_login(alice)
    invite(client)
    old = link_in(delivered()[0])
    invitation = Invitation.objects.get()
    response = client.post(reverse("invitation-resend", args=["alpha", invitation.pk]))
    assert response.status_code == 302
    new = link_in(delivered()[1])
    assert new != old
    client.logout()
    assert client.get(old).status_code == 410
    assert client.get(new).status_code == 200


def test_a_revoked_invitation_cannot_be_used(client, alice, delivered):
    client.force_login(alice)
    invite(client)
    path = link_in(delivered()[0])
    client.post(reverse("invitation-revoke", args=["alpha", Invitation.objects.get().pk]))
    client.logout()
    page = client.get(path)
    assert page.status_code == 410 and "withdrawn" in page.content.decode()
    assert accept(client, path).status_code == 410
    assert not User.objects.filter(username="newbie@alpha.example").exists()


def test_the_staff_page_lists_waiting_invitations(client, alice):
    client.force_login(alice)
    invite(client, "newbie@alpha.example", "manager")
    page = client.get(reverse("staff", args=["alpha"])).content.decode()
    assert "newbie@alpha.example" in page and "as manager" in page and "Send again" in page


def test_inviting_again_withdraws_the_earlier_link(client, alice, delivered):
    client.force_login(alice)
    invite(client)
    first = link_in(delivered()[0])
    invite(client, role="manager")
    second = link_in(delivered()[1])
    client.logout()
    assert client.get(first).status_code == 410
    accept(client, second)
    assert Membership.objects.get(user__username="newbie@alpha.example").role == Membership.MANAGER


@pytest.mark.parametrize("who", ["bob", "mary"])
def test_an_agent_or_a_manager_cannot_invite(client, who, request, alice):
    client.force_login(request.getfixturevalue(who))
    assert invite(client).status_code == 403
    assert client.get(reverse("staff", args=["alpha"])).status_code == 403
    assert not Invitation.objects.exists()


def test_an_invitation_and_its_mail_are_written_together(alice, alpha, monkeypatch):
    """A mail that cannot be queued leaves no invitation behind."""
    from django.db import transaction

    def broken(**kwargs):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(invitations, "queue_email", broken)
    with pytest.raises(RuntimeError), transaction.atomic():
        invitations.do_invite(alpha, "x@alpha.example", "agent", alice)
    assert not Invitation.objects.exists()


def test_names_are_escaped_on_the_acceptance_page(client, alpha, django_user_model, delivered):
    owner = django_user_model.objects.create_user("o@alpha.example", "o@alpha.example", "pw", first_name="<b>Al</b>")
    Membership.objects.create(user=owner, business=alpha, role=Membership.OWNER)
    client.force_login(owner)
    invite(client)
    path = link_in(delivered()[0])
    client.logout()
    page = client.get(path).content.decode()
    assert "&lt;b&gt;Al&lt;/b&gt;" in page and "<b>Al</b>" not in page
