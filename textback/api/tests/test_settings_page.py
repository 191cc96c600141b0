import pytest

from textback.api import tokens
from textback.api.models import ApiToken
from textback.testing import flashed, page_text, signed_in

URL = "/b/alpha/settings/api-tokens"


def test_the_owner_makes_a_token_and_sees_it_once(as_alice, alpha, alice):
    made = as_alice.post(URL, {"name": "Zapier <script>", "scope": "read_write"})
    assert made.status_code == 200
    token = ApiToken.objects.get()
    assert (token.name, token.scope, token.created_by) == ("Zapier <script>", "read_write", alice)
    shown = page_text(made)
    assert f"tbk_{token.prefix}_" in shown and "shown only this once" in shown
    assert "Zapier &lt;script&gt;" in shown and "<script>" not in shown.split("</head>")[1]
    assert made["Cache-Control"] == "no-store"
    later = page_text(as_alice.get(URL))
    assert token.prefix in later and "shown only this once" not in later
    assert tokens.authenticate(shown.split('token-plain">')[1].split("<")[0]) == token


def test_it_refuses_a_token_without_a_name(as_alice, alpha):
    response = as_alice.post(URL, {"name": " ", "scope": "read"})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_the_owner_revokes_a_token(as_alice, alpha, alice):
    token = tokens.do_create(alpha, "CRM", "read", alice).token
    response = as_alice.post(f"{URL}/{token.pk}/revoke", follow=True)
    assert "it stops working at once" in flashed(response)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "Revoked" in page_text(as_alice.get(URL))


def test_revoking_takes_a_post(as_alice, alpha, alice):
    token = tokens.do_create(alpha, "CRM", "read", alice).token
    assert as_alice.get(f"{URL}/{token.pk}/revoke").status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_manager_may_not_manage_tokens(as_mary, alpha):
    assert as_mary.get(URL).status_code == 403
    assert as_mary.post(URL, {"name": "Mine", "scope": "read"}).status_code == 403


def test_the_settings_hub_links_the_page(as_alice, alpha):
    assert URL in page_text(as_alice.get("/b/alpha/settings/"))


@pytest.mark.cross_tenant("api-tokens", "api-token-revoke")
def test_another_business_gets_404(client, alpha, alice, charlie, beta):
    token = tokens.do_create(alpha, "CRM", "read", alice).token
    signed_in(client, charlie)
    assert client.get(URL).status_code == 404
    assert client.post(URL, {"name": "x", "scope": "read"}).status_code == 404
    assert client.post(f"{URL}/{token.pk}/revoke").status_code == 404
    assert client.post(f"/b/beta/settings/api-tokens/{token.pk}/revoke").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None and ApiToken.objects.count() == 1


def test_the_forms_need_a_csrf_token(client, alice, alpha):
    from django.test import Client

    strict = signed_in(Client(enforce_csrf_checks=True), alice)
    assert strict.post(URL, {"name": "x", "scope": "read"}).status_code == 403
    assert not ApiToken.objects.exists()


def test_the_page_says_a_tokens_writes_need_its_maker_still_in_that_role(as_alice, alpha):
    text = page_text(as_alice.get(URL))

    assert "it keeps reading after that person leaves or changes role, until an owner revokes it" in text
    assert "setting an outcome needs them still a manager or owner" in text
