"""An owner invites someone through `textback serve`; a real SMTP server receives the mail, and its link works."""

import re

import httpx
import pytest

from tests.e2e.conftest import _system
from tests.support.smtp import SmtpServer

pytestmark = pytest.mark.e2e

OWNER = "owner@alpha.example"
PASSWORD = "a-long-owner-passphrase"


@pytest.fixture(scope="module")
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def with_mail_server(seeded_template, tmp_path_factory, twilio_stub, smtp):
    system = _system(seeded_template, tmp_path_factory, twilio_stub, "invite", TEXTBACK_EMAIL_URL=f"smtp://127.0.0.1:{smtp.port}",
                     TEXTBACK_EMAIL_FROM="AlphaPlumbing <office@alpha.example>")  # fmt: skip
    system.cli("user", "add", "--business", "alpha", "--email", OWNER, "--password-stdin", stdin=PASSWORD + "\n")
    system.start_web(with_worker=True)
    yield system
    system.stop()
    system.database.drop()


def token_of(page: httpx.Response) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


def post_form(browser: httpx.Client, path: str, data: dict) -> httpx.Response:
    return browser.post(path, data={**data, "csrfmiddlewaretoken": token_of(browser.get(path))})


def test_an_invitation_reaches_the_smtp_server_with_a_link_that_makes_the_account(with_mail_server, smtp):
    owner = httpx.Client(base_url=with_mail_server.url, timeout=30)
    assert post_form(owner, "/login", {"username": OWNER, "password": PASSWORD}).status_code == 302
    staff = owner.get("/b/alpha/staff")
    sent = owner.post("/b/alpha/staff/invite", data={"email": "nina@alpha.example", "role": "manager",
                                                     "csrfmiddlewaretoken": token_of(staff)})  # fmt: skip
    assert sent.status_code == 302

    (mail,) = smtp.wait_for(1, timeout=10)
    assert mail.rcpt_tos == ["nina@alpha.example"] and "AlphaPlumbing" in mail.subject
    assert mail.mail_from == "office@alpha.example"
    (link,) = re.findall(r"https?://\S+", mail.text())
    assert link.startswith(with_mail_server.url + "/invite/")

    newcomer = httpx.Client(timeout=30)
    page = newcomer.get(link)
    assert page.status_code == 200 and "Join AlphaPlumbing" in page.text
    joined = newcomer.post(link, data={"name": "Nina Reyes", "password1": "nina-passphrase-42",
                                       "password2": "nina-passphrase-42", "csrfmiddlewaretoken": token_of(page)})  # fmt: skip
    assert joined.status_code == 302 and joined.headers["location"] == "/b/alpha/"
    assert newcomer.get(with_mail_server.url + "/b/alpha/").status_code == 200
    assert httpx.get(link, timeout=30).status_code == 410  # used once
