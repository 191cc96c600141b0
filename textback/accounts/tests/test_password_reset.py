"""Password reset by email: an expiring, single-use link; the same answer for an address with no account."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from textback.accounts.models import Membership
from textback.accounts.tests.conftest import link_in
from textback.outbox.models import OutboxItem

pytestmark = pytest.mark.django_db
NEW = "a-brand-new-passphrase-7"


def ask(client, email):
    return client.post(reverse("account:password-reset"), {"email": email}, follow=True)


def choose(client, path, password=NEW):
    page = client.get(path, follow=True)  # Django moves the token out of the address into the session
    return client.post(page.redirect_chain[-1][0], {"new_password1": password, "new_password2": password})


def test_a_reset_mail_is_personal_and_its_link_sets_a_new_password(client, alice, alpha, beta, delivered):
    Membership.objects.create(user=alice, business=beta, role=Membership.AGENT)
    page = ask(client, "Alice@Alpha.example")
    assert "If that address has an account" in page.content.decode()
    mails = delivered()
    assert [(m.business, m.to) for m in mails] == [(None, ["alice@alpha.example"])]  # no colleague's mailbox
    path = link_in(mails[0])
    done = choose(client, path)
    assert done.status_code == 302 and done.url == reverse("account:password-reset-complete")
    alice.refresh_from_db()
    assert alice.check_password(NEW)
    assert Client().post(reverse("login"), {"username": alice.username, "password": NEW}).status_code == 302


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, alice, delivered):
    page = ask(client, "nobody@nowhere.example")
    assert "If that address has an account" in page.content.decode()
    assert delivered() == [] and not OutboxItem.objects.exists()


def test_a_reset_link_works_once(client, alice, delivered):
    ask(client, "alice@alpha.example")
    path = link_in(delivered()[0])
    choose(client, path)
    again = Client().get(path, follow=True)
    assert "cannot be used" in again.content.decode()
    assert "new_password1" not in again.content.decode()


def test_a_reset_link_expires(client, alice, delivered, settings):
    ask(client, "alice@alpha.example")
    path = link_in(delivered()[0])
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60)):
        page = Client().get(path, follow=True)
    assert "cannot be used" in page.content.decode()


def test_a_weak_new_password_is_explained(client, alice, delivered):
    ask(client, "alice@alpha.example")
    response = choose(client, link_in(delivered()[0]), password="12345678")
    assert response.status_code == 200 and "too common" in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password("pw-alice-123")


def test_asking_again_at_once_sends_one_mail(client, alice, delivered):
    ask(client, "alice@alpha.example")
    ask(client, "alice@alpha.example")
    assert len(delivered()) == 1


def test_a_reset_ends_the_sessions_of_the_old_password(client, alice, delivered):
    other = Client()
    other.force_login(alice)
    ask(client, "alice@alpha.example")
    choose(client, link_in(delivered()[0]))
    assert other.get(reverse("account:home")).status_code == 302


def test_with_a_mail_server_the_person_gets_one_mail(client, alice, beta, settings, run_outbox):
    Membership.objects.create(user=alice, business=beta, role=Membership.AGENT)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    ask(client, "alice@alpha.example")
    assert OutboxItem.objects.filter(kind="email").count() == 1
