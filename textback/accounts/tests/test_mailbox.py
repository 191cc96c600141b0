"""The sandbox mailbox: every mail textback sent for a business, or to me, while no mail server is set up."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from textback.accounts import views
from textback.lib.keyset import Cursor
from textback.providers.sandbox.models import SandboxEmail

pytestmark = pytest.mark.django_db


def a_mail(business=None, to="mike@alpha.example", subject="New text from Jane", body="my basement is flooding",
           html="", sent_at=None):  # fmt: skip
    return SandboxEmail.objects.create(business=business, from_email="textback@example.com", to=[to],
                                       subject=subject, body=body, html_body=html,
                                       sent_at=sent_at or timezone.now())  # fmt: skip


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


# --- paging ----------------------------------------------------------------------------------------------


def subjects(page) -> list[str]:
    return re.findall(r'<h2><a href="[^"]+">([^<]+)</a></h2>', page.content.decode())


def older_link(page) -> str | None:
    found = re.search(r'<a href="(\?before=[^"]+)" rel="next">Older mails</a>', page.content.decode())
    return found and found.group(1).replace("&amp;", "&")


def every_page(client, url: str) -> list[list[str]]:
    """The subjects on each page, following "Older mails" to the end."""
    pages, link = [], ""
    while link is not None:
        page = client.get(url + link)
        assert page.status_code == 200
        pages.append(subjects(page))
        link = older_link(page)
    return pages


def test_older_mails_are_a_link_away_and_each_mail_shows_once(client, alice, alpha, sandbox_mail, monkeypatch):
    monkeypatch.setattr(views, "MAILBOX_PAGE", 3)
    at = timezone.now()
    for n in range(7):  # mails sent in the same second share a time: the id orders them
        a_mail(alpha, subject=f"mail {n}", sent_at=at - timedelta(minutes=n // 2))
    client.force_login(alice)

    pages = every_page(client, reverse("mailbox", args=["alpha"]))

    assert pages == [["mail 1", "mail 0", "mail 3"], ["mail 2", "mail 5", "mail 4"], ["mail 6"]]
    last = client.get(reverse("mailbox", args=["alpha"]), {"before": cursor_after(alpha, "mail 6")})
    assert "No older mails." in last.content.decode()
    assert f'<a href="{reverse("mailbox", args=["alpha"])}">Newest</a>' in last.content.decode()


def cursor_after(business, subject: str) -> str:
    mail = SandboxEmail.objects.get(business=business, subject=subject)
    return Cursor(mail.sent_at, mail.pk).encode()


def test_older_pages_keep_to_the_mails_a_person_may_read(client, bob, alpha, sandbox_mail, monkeypatch):
    monkeypatch.setattr(views, "MAILBOX_PAGE", 2)
    at = timezone.now()
    for n in range(6):
        a_mail(alpha, to="bob@alpha.example", subject=f"for bob {n}", sent_at=at - timedelta(minutes=2 * n))
        a_mail(alpha, to="newcomer@alpha.example", subject=f"invitation {n}", sent_at=at - timedelta(minutes=2 * n + 1))
        a_mail(None, to="alice@alpha.example", subject=f"reset for alice {n}", sent_at=at - timedelta(minutes=2 * n))
    client.force_login(bob)

    pages = every_page(client, reverse("mailbox", args=["alpha"]))

    assert pages == [["for bob 0", "for bob 1"], ["for bob 2", "for bob 3"], ["for bob 4", "for bob 5"]]


@pytest.mark.parametrize("before", ["yesterday", "1,2,3", "-5,7", "1" * 18 + ",1", "12,"])
def test_a_broken_page_link_shows_the_newest_mails_with_a_message(client, alice, alpha, sandbox_mail, before):
    a_mail(alpha, subject="the newest")
    client.force_login(alice)

    page = client.get(reverse("mailbox", args=["alpha"]), {"before": before})

    assert page.status_code == 200
    assert "That page link is broken; showing the newest mails." in page.content.decode()
    assert subjects(page) == ["the newest"]
