"""The login limit holds across web processes: 30 simultaneous wrong passwords against `textback serve --workers 2`."""

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.e2e.conftest import _system

pytestmark = pytest.mark.e2e

OWNER = "owner@alpha.example"
PASSWORD = "a-long-owner-passphrase"
ATTEMPTS = 30


@pytest.fixture(scope="module")
def two_processes(seeded_template, tmp_path_factory, twilio_stub):
    system = _system(seeded_template, tmp_path_factory, twilio_stub, "login")
    system.cli("user", "add", "--business", "alpha", "--email", OWNER, "--password-stdin", stdin=PASSWORD + "\n")
    system.start_web(with_worker=False, web_processes=2)
    yield system
    system.stop()
    system.database.drop()


def csrf(system) -> dict:
    """A CSRF cookie and token, as a browser would have them from the login page."""
    page = httpx.get(f"{system.url}/login", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return {"cookies": {"csrftoken": page.cookies["csrftoken"]}, "token": token}


def log_in(system, session: dict, username: str, password: str) -> httpx.Response:
    return httpx.post(
        f"{system.url}/login",
        data={"username": username, "password": password, "csrfmiddlewaretoken": session["token"]},
        cookies=session["cookies"],
        timeout=60,
    )


def test_thirty_simultaneous_wrong_passwords_get_ten_checks_and_then_the_right_one_waits(two_processes):
    session = csrf(two_processes)
    start = threading.Barrier(ATTEMPTS)
    spellings = [OWNER, OWNER.upper(), "ｏｗｎｅｒ@alpha.example"]  # all of them alice to Django

    def attempt(n: int) -> httpx.Response:
        start.wait()
        return log_in(two_processes, session, spellings[n % 3], f"wrong-{n}")

    with ThreadPoolExecutor(ATTEMPTS) as pool:
        responses = list(pool.map(attempt, range(ATTEMPTS)))

    statuses = [r.status_code for r in responses]
    checked = [r for r in responses if r.status_code == 200]
    assert all("do not match an account here" in r.text for r in checked)
    assert (len(checked), statuses.count(429)) == (10, 20), statuses

    right = log_in(two_processes, session, OWNER, PASSWORD)
    assert right.status_code == 429
    assert "locked for 15 minutes" in right.text and "sessionid" not in right.cookies

    # As if the fifteen minutes had passed: the window's end is brought forward in the database.
    two_processes.database.execute("UPDATE accounts_loginthrottle SET window_ends = %s", ("2000-01-01 00:00:00",))
    assert log_in(two_processes, session, OWNER, PASSWORD).status_code == 302
