from datetime import timedelta

from django.utils import timezone

from textback.api import tokens
from textback.api.models import ApiToken


def test_it_shows_the_token_once_and_keeps_only_its_hash(alpha, alice):
    made = tokens.do_create(alpha, "Zapier", "read", alice)
    stored = ApiToken.objects.get()
    assert made.plain.startswith(f"tbk_{stored.prefix}_")
    secret = made.plain.split("_", 2)[2]
    assert secret not in str(ApiToken.objects.values_list())
    assert stored.secret_hash == tokens.secret_hash(secret)


def test_it_answers_a_request_with_a_good_token(api, alpha_read, alpha):
    response = api.get("/contacts", alpha_read)
    assert response.status_code == 200
    assert response.json() == {"items": [], "next_cursor": None}
    assert ApiToken.objects.get().last_used_at is not None


def test_it_refuses_a_request_without_a_token_as_json(api, alpha):
    response = api.get("/calls", None)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert "Authorization: Bearer" in response.json()["detail"]


def test_it_refuses_a_malformed_token(api, alpha):
    response = api.get("/calls", "hello")
    assert response.status_code == 401
    assert "not a textback API token" in response.json()["detail"]


def test_it_refuses_an_unknown_token(api, alpha_read):
    forged = alpha_read[:-4] + ("AAAA" if not alpha_read.endswith("AAAA") else "BBBB")
    response = api.get("/calls", forged)
    assert response.status_code == 401
    assert "Unknown API token" in response.json()["detail"]


def test_it_refuses_a_revoked_token(api, alpha_read):
    tokens.do_revoke(ApiToken.objects.get())
    response = api.get("/calls", alpha_read)
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_it_does_not_accept_a_session_cookie(as_alice, alpha):
    response = as_alice.get("/api/v1/calls")
    assert response.status_code == 401


def test_it_refuses_a_read_token_on_a_write_endpoint(api, alpha_read, alpha_line):
    from textback.testing import a_missed_call

    call = a_missed_call(alpha_line)
    conversation = call.messages.first().conversation if call.messages.exists() else None
    pk = conversation.pk if conversation else 1
    response = api.post(f"/conversations/{pk}/messages", alpha_read, {"body": "hi"})
    assert response.status_code == 403
    assert "read-write token" in response.json()["detail"]


def test_it_enforces_the_rate_limit_per_token_with_retry_after(api, alpha_read, alpha_write, settings):
    settings.API_RATE_PER_MINUTE = 3
    answers = [api.get("/contacts", alpha_read).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    refused = api.get("/contacts", alpha_read)
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "at most 3 requests a minute" in refused.json()["detail"]
    assert api.get("/contacts", alpha_write).status_code == 200  # another token has its own count


def test_it_starts_a_new_window_after_a_minute(alpha_read, settings):
    settings.API_RATE_PER_MINUTE = 1
    token = ApiToken.objects.get()
    now = timezone.now()
    assert tokens.do_count(token, now) == 0
    assert tokens.do_count(token, now + timedelta(seconds=30)) == 30
    assert tokens.do_count(token, now + timedelta(seconds=61)) == 0
