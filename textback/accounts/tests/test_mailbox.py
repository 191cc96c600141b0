"""The sandbox mailbox: every mail textback sent for a business, or to me, while no mail server is set up."""

import pytest
from django.urls import reverse
from django.utils import timezone

from textback.providers.sandbox.models import SandboxEmail

pytestmark = pytest.mark.django_db


def a_mail(business=None, to="mike@alpha.example", subject="New text from Jane", body="my basement is flooding",
           html=""):  # fmt: skip
    return SandboxEmail.objects.create(business=business, from_email="textback@example.com", to=[to],
                                       subject=subject, body=body, html_body=html, sent_at=timezone.now())  # fmt: skip


def test_the_mailbox_lists_the_business_mails_newest_first(client, alice, alpha, sandbox_mail):
    a_mail(alpha, subject="older")
    a_mail(alpha, subject="newer")
    client.force_login(alice)
    page = client.get(reverse("mailbox", args=["alpha"])).content.decode()
    assert page.index("newer") < page.index("older")
    assert "mike@alpha.example" in page and "my basement is flooding" in page


def test_mail_to_me_with_no_business_shows_too(client, bob, sandbox_mail):
    a_mail(None, to="bob@alpha.example", subject="for bob")
    a_mail(None, to="someone@else.example", subject="not for bob")
    client.force_login(bob)
    page = client.get(reverse("mailbox", args=["alpha"])).content.decode()
    assert "for bob" in page and "not for bob" not in page


def test_an_agent_reads_only_the_mails_addressed_to_them(client, bob, alpha, sandbox_mail):
    a_mail(alpha, to="bob@alpha.example", subject="New text for bob")
    invitation = a_mail(alpha, to="newcomer@alpha.example", subject="You are invited")
    a_mail(None, to="alice@alpha.example", subject="Reset your textback password")
    client.force_login(bob)
    page = client.get(reverse("mailbox", args=["alpha"])).content.decode()
    assert "New text for bob" in page
    assert "You are invited" not in page and "Reset your" not in page
    assert client.get(reverse("mail", args=["alpha", invitation.pk])).status_code == 404


def test_an_owner_reads_the_invitations_but_never_a_colleagues_reset_link(client, alice, alpha, sandbox_mail):
    a_mail(alpha, to="newcomer@alpha.example", subject="You are invited")
    a_mail(None, to="bob@alpha.example", subject="Reset your textback password")
    client.force_login(alice)
    page = client.get(reverse("mailbox", args=["alpha"])).content.decode()
    assert "You are invited" in page and "Reset your" not in page


def test_links_are_clickable_and_markup_is_escaped(client, alice, alpha, sandbox_mail):
    mail = a_mail(alpha, subject="<img src=x onerror=alert(1)>", body="<script>alert(1)</script> see http://127.0.0.1:8000/invite/abc",
                  html="<a href='javascript:alert(1)'>x</a><script>alert(2)</script>")  # fmt: skip
    client.force_login(alice)
    for url in (reverse("mailbox", args=["alpha"]), reverse("mail", args=["alpha", mail.pk])):
        page = client.get(url).content.decode()
        assert '<a href="http://127.0.0.1:8000/invite/abc"' in page
        assert "<script>alert" not in page and "<img src=x" not in page and "href='javascript" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_with_a_mail_server_the_page_says_mail_goes_there(client, bob, alpha, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    a_mail(alpha, subject="kept from before")
    client.force_login(bob)
    page = client.get(reverse("mailbox", args=["alpha"])).content.decode()
    assert "goes to the mail server set in" in page and "kept from before" not in page
    assert reverse("mailbox", args=["alpha"]) not in client.get(reverse("business", args=["alpha"])).content.decode()


def test_the_header_links_the_mailbox_in_sandbox_mode(client, bob, sandbox_mail):
    client.force_login(bob)
    assert reverse("mailbox", args=["alpha"]) in client.get(reverse("business", args=["alpha"])).content.decode()
