"""Email goes out as outbox work: to a real SMTP server when one is configured, else to the sandbox mailbox."""

import pytest

from textback.accounts import mail
from textback.lib import email_url
from textback.lib.env import SettingError
from textback.outbox.models import OutboxItem
from textback.providers.sandbox.models import SandboxEmail

pytestmark = pytest.mark.django_db


def test_a_queued_mail_reaches_the_smtp_server(smtp, alpha, run_outbox):
    mail.queue_email(to=["mike@alpha.example"], subject="New text from Jane", body="my basement is flooding",
                     key="t1", business=alpha)  # fmt: skip
    run_outbox()
    (received,) = smtp.wait_for(1)
    assert received.rcpt_tos == ["mike@alpha.example"]
    assert received.subject == "New text from Jane"
    assert "my basement is flooding" in received.text()
    assert "X-Textback-Business" not in received.message  # our bookkeeping header never goes on the wire
    assert OutboxItem.objects.get(kind=mail.EMAIL).status == OutboxItem.DONE


def test_the_same_key_queues_one_mail(alpha):
    for _ in range(2):
        mail.queue_email(to=["a@b.example"], subject="s", body="b", key="same", business=alpha)
    assert OutboxItem.objects.filter(kind=mail.EMAIL).count() == 1


def test_a_server_saying_try_later_is_retried_not_dropped(smtp, alpha, run_outbox):
    smtp.busy = True
    mail.queue_email(to=["a@b.example"], subject="s", body="b", key="busy", business=alpha)
    run_outbox()
    item = OutboxItem.objects.get(kind=mail.EMAIL)
    assert (item.status, item.result) == (OutboxItem.PENDING, "retry")
    assert "451" in item.last_error


def test_a_refused_recipient_stops_at_once(smtp, alpha, run_outbox):
    smtp.refuse.add("gone@b.example")
    mail.queue_email(to=["gone@b.example"], subject="s", body="b", key="gone", business=alpha)
    run_outbox()
    item = OutboxItem.objects.get(kind=mail.EMAIL)
    assert (item.status, item.result) == (OutboxItem.DEAD, "refused")


def test_a_server_that_is_down_is_retried(settings, alpha, run_outbox):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    mail.queue_email(to=["a@b.example"], subject="s", body="b", key="down", business=alpha)
    run_outbox()
    assert OutboxItem.objects.get(kind=mail.EMAIL).status == OutboxItem.PENDING


def test_without_an_smtp_server_mail_lands_in_the_sandbox_mailbox(settings, alpha, run_outbox):
    settings.EMAIL_BACKEND = "textback.providers.sandbox.mail.MailboxBackend"
    mail.queue_email(to=["new@alpha.example"], subject="You're invited", body="Follow this link", key="inv",
                     business=alpha, html="<p>Follow this link</p>")  # fmt: skip
    run_outbox()
    stored = SandboxEmail.objects.get()
    assert (stored.business, stored.to, stored.subject) == (alpha, ["new@alpha.example"], "You're invited")
    assert stored.html_body == "<p>Follow this link</p>"


@pytest.mark.parametrize(
    ("url", "host", "port", "user", "password", "tls", "ssl"),
    [
        ("smtp+starttls://mike:p%40ss@smtp.example.com:587", "smtp.example.com", 587, "mike", "p@ss", True, False),
        ("smtps://u:p@mail.example.com", "mail.example.com", 465, "u", "p", False, True),
        ("smtp://relay.internal", "relay.internal", 25, "", "", False, False),
    ],
)
def test_the_email_url_names_server_port_credentials_and_tls(url, host, port, user, password, tls, ssl):
    assert email_url.parse(url) == email_url.EmailServer(host, port, user, password, tls, ssl)


@pytest.mark.parametrize("url", ["http://smtp.example.com", "smtp://", "smtp+starttls://host:99999", "mailto:a@b"])
def test_a_bad_email_url_says_what_to_write(url):
    with pytest.raises(SettingError, match="TEXTBACK_EMAIL_URL"):
        email_url.parse(url)
