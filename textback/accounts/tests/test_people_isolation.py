"""A member of one business never reaches another's staff, invitations, settings or mail; every form needs CSRF."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from textback.accounts import invitations
from textback.accounts.models import Invitation, Membership
from textback.alerts.models import Alert, PhoneCode
from textback.lib.keyset import Cursor
from textback.providers.sandbox.models import SandboxEmail

pytestmark = pytest.mark.django_db


@pytest.fixture
def beta_invitation(beta, charlie):
    now = timezone.now()
    return Invitation.objects.create(business=beta, email="new@beta.example", role="agent", invited_by=charlie,
                                     token_hash=invitations.token_hash("beta-token"), created_at=now,
                                     expires_at=now + timedelta(days=7))  # fmt: skip


@pytest.fixture
def beta_mail(beta):
    return SandboxEmail.objects.create(business=beta, from_email="t@example.com", to=["charlie@beta.example"],
                                       subject="BetaHVAC secret", body="beta only", sent_at=timezone.now())  # fmt: skip


def charlie_at_beta(charlie) -> Membership:
    return Membership.objects.get(user=charlie, business__slug="beta")


@pytest.mark.cross_tenant("mailbox", "mail")
def test_a_member_of_alpha_never_sees_betas_mail(client, alice, beta_mail, sandbox_mail):
    client.force_login(alice)
    assert client.get(reverse("mailbox", args=["beta"])).status_code == 404
    assert "BetaHVAC secret" not in client.get(reverse("mailbox", args=["alpha"])).content.decode()
    assert client.get(reverse("mail", args=["alpha", beta_mail.pk])).status_code == 404
    assert client.get(reverse("mail", args=["beta", beta_mail.pk])).status_code == 404


@pytest.mark.cross_tenant("mailbox")
def test_a_page_link_never_reaches_another_businesss_mail(client, alice, alpha, beta_mail, sandbox_mail):
    """The `before` cursor only says where a page starts; which mails are listed is still the business's and mine."""
    just_above_beta = Cursor(beta_mail.sent_at + timedelta(seconds=1), beta_mail.pk + 1).encode()
    client.force_login(alice)
    assert client.get(reverse("mailbox", args=["beta"]), {"before": just_above_beta}).status_code == 404
    page = client.get(reverse("mailbox", args=["alpha"]), {"before": just_above_beta})
    assert page.status_code == 200 and "BetaHVAC secret" not in page.content.decode()


@pytest.mark.cross_tenant("staff", "staff-invite")
def test_an_owner_of_alpha_cannot_see_or_invite_to_betas_staff(client, alice, charlie):
    client.force_login(alice)
    assert client.get(reverse("staff", args=["beta"])).status_code == 404
    response = client.post(reverse("staff-invite", args=["beta"]), {"email": "spy@alpha.example", "role": "owner"})
    assert response.status_code == 404
    assert not Invitation.objects.exists()


@pytest.mark.cross_tenant("invitation-resend", "invitation-revoke")
def test_an_owner_of_alpha_cannot_resend_or_withdraw_betas_invitations(client, alice, beta_invitation):
    client.force_login(alice)
    for name in ("invitation-resend", "invitation-revoke"):
        for slug in ("alpha", "beta"):
            assert client.post(reverse(name, args=[slug, beta_invitation.pk])).status_code == 404
    beta_invitation.refresh_from_db()
    assert beta_invitation.revoked_at is None and beta_invitation.token_hash == invitations.token_hash("beta-token")
    assert not SandboxEmail.objects.exists()


@pytest.mark.cross_tenant("member", "member-remove")
def test_an_owner_of_alpha_cannot_change_or_remove_betas_members(client, alice, charlie):
    client.force_login(alice)
    target = charlie_at_beta(charlie)
    for slug in ("alpha", "beta"):
        assert client.get(reverse("member", args=[slug, target.pk])).status_code == 404
        assert client.post(reverse("member", args=[slug, target.pk]), {"role": "agent"}).status_code == 404
        assert client.post(reverse("member-remove", args=[slug, target.pk])).status_code == 404
    assert charlie_at_beta(charlie).role == Membership.OWNER


@pytest.mark.cross_tenant("my-settings")
def test_a_member_of_alpha_has_no_settings_at_beta(client, bob, charlie):
    client.force_login(bob)
    assert client.get(reverse("my-settings", args=["beta"])).status_code == 404
    response = client.post(reverse("my-settings", args=["beta"]), {"phone": "+12145550177", "alert_sms": "on"})
    assert response.status_code == 404
    assert not Membership.objects.filter(phone="+12145550177").exists()
    assert not charlie_at_beta(charlie).alert_sms


@pytest.mark.cross_tenant("my-phone-code", "my-phone-verify")
def test_a_member_of_alpha_cannot_verify_or_text_codes_to_a_phone_at_beta(client, bob, charlie, beta_line):
    Membership.objects.filter(user=charlie).update(phone="+12145550177")
    client.force_login(bob)
    for route, data in (("my-phone-code", {}), ("my-phone-verify", {"code": "123456"})):  # POST only
        assert client.post(reverse(route, args=["beta"]), data).status_code == 404
    assert not PhoneCode.objects.exists() and not Alert.objects.exists()
    assert not charlie_at_beta(charlie).phone_is_verified


def test_the_forms_need_their_csrf_token(alice, bob, alpha):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    member = Membership.objects.get(user=bob)
    posts = {
        reverse("staff-invite", args=["alpha"]): {"email": "x@alpha.example", "role": "agent"},
        reverse("member", args=["alpha", member.pk]): {"role": "owner"},
        reverse("member-remove", args=["alpha", member.pk]): {},
        reverse("my-settings", args=["alpha"]): {"phone": "+15125550177"},
        reverse("my-phone-code", args=["alpha"]): {},
        reverse("my-phone-verify", args=["alpha"]): {"code": "123456"},
        reverse("account:log-out-others"): {},
        reverse("account:two-factor-start"): {},
        reverse("account:two-factor-off"): {"code": "123456"},
        reverse("account:password-reset"): {"email": "alice@alpha.example"},
        reverse("account:invite", args=["some-token"]): {"name": "x"},
        reverse("account:login-code"): {"code": "123456"},
    }
    for url, data in posts.items():
        assert client.post(url, data).status_code == 403, url
    assert not Invitation.objects.exists()
    assert Membership.objects.get(user=bob).role == Membership.AGENT
    assert Membership.objects.get(user=alice).phone == ""
    assert not PhoneCode.objects.exists()
