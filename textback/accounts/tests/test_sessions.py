"""Log out of all sessions: the button on my account page ends every other browser's session, not this one."""

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def signed_in(client) -> bool:
    return client.get(reverse("account:home")).status_code == 200


def test_logging_out_of_all_other_sessions_ends_another_clients_session(alice, bob):
    phone, desk, colleague = Client(), Client(), Client()
    for client, user, password in [(phone, alice, "pw-alice-123"), (desk, alice, "pw-alice-123"),
                                   (colleague, bob, "pw-bob-123")]:  # fmt: skip
        client.post(reverse("login"), {"username": user.username, "password": password})
        assert signed_in(client)
    response = desk.post(reverse("account:log-out-others"), follow=True)
    assert "Logged out of 1 other session" in response.content.decode()
    assert signed_in(desk)  # this one stays
    assert not signed_in(phone)
    assert signed_in(colleague)  # someone else's sessions are theirs


def test_with_no_other_session_it_says_so(client, alice):
    client.force_login(alice)
    response = client.post(reverse("account:log-out-others"), follow=True)
    assert "not logged in anywhere else" in response.content.decode()
    assert signed_in(client)


def test_the_button_needs_a_post(client, alice):
    client.force_login(alice)
    assert client.get(reverse("account:log-out-others")).status_code == 405
