"""Fixtures that start textback for real: `textback serve`, `textback worker`, a database, a Twilio stub.

The database engine follows the suite's: with TEXTBACK_DATABASE_URL pointing at
PostgreSQL, every e2e system gets a throwaway database on that server.
"""

import os
import re

import httpx
import pytest

from tests.support.harness import Database, System, new_database, seed_business
from tests.support.twilio_stub import TwilioStub
from textback.conftest import ALPHA_SID, ALPHA_TOKEN, BETA_SID, BETA_TOKEN

TWILIO_LINE = "+15125550100"  # forward and screen, rings STAFF_CELL, no voicemail
DELAYED_LINE = "+15125550101"  # forward and screen, text-back 2 s after the call
FORWARDED_LINE = "+15125550102"  # carrier forwarding: every call that arrives was missed
VOICEMAIL_LINE = "+15125550105"  # forward and screen, then voicemail
STAFF_CELL = "+15125550199"
BETA_LINE = "+12145550100"  # BetaHVAC, another tenant on its own Twilio account: carrier forwarding


def postgres_server() -> str | None:
    url = os.environ.get("TEXTBACK_DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return url.rsplit("/", 1)[0]
    return None


def seed(system: System) -> None:
    """The business a new user would set up, through the CLI verbs the README documents."""
    account = seed_business(system, ALPHA_SID, ALPHA_TOKEN)
    common = ["--business", "alpha", "--account", account, "--staff-name", "Mike", "--no-voicemail"]
    system.cli("line", "add", *common, "--number", TWILIO_LINE, "--forward-to", STAFF_CELL)
    system.cli("line", "add", *common, "--number", DELAYED_LINE, "--forward-to", STAFF_CELL, "--delay", "2")
    system.cli("line", "add", *common, "--number", FORWARDED_LINE, "--mode", "carrier_forward")
    voicemail = [arg for arg in common if arg != "--no-voicemail"]
    system.cli("line", "add", *voicemail, "--number", VOICEMAIL_LINE, "--forward-to", STAFF_CELL)
    system.cli("business", "create", "--name", "BetaHVAC", "--slug", "beta", "--time-zone", "America/Chicago")
    added = system.cli(
        "account", "add", "--business", "beta", "--provider", "twilio", "--sid", BETA_SID, "--token-stdin",
        stdin=BETA_TOKEN + "\n",
    )  # fmt: skip
    beta = added.stdout.strip().splitlines()[-1].split()[-1]
    system.cli("line", "add", "--business", "beta", "--account", beta, "--number", BETA_LINE, "--mode",
               "carrier_forward", "--no-voicemail")  # fmt: skip


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory):
    """Migrated and seeded once per test session; each module starts from a copy."""
    directory = tmp_path_factory.mktemp("e2e-template")
    database = new_database(directory, postgres_server())
    seed(System(database=database, data_dir=directory, twilio_api_url="http://127.0.0.1:9"))
    yield database
    database.drop()


@pytest.fixture(scope="module")
def twilio_stub():
    stub = TwilioStub().start()
    yield stub
    stub.stop()


def _system(template: Database, tmp_path_factory, stub: TwilioStub, name: str, **env) -> System:
    directory = tmp_path_factory.mktemp(name)
    database = template.copy(f"{name}_{os.getpid()}", directory)
    return System(database=database, data_dir=directory, twilio_api_url=stub.url, extra_env=env)


@pytest.fixture(scope="module")
def embedded(seeded_template, tmp_path_factory, twilio_stub):
    """`textback serve` as `make run` starts it: web and worker in one command."""
    system = _system(seeded_template, tmp_path_factory, twilio_stub, "embedded")
    system.start_web(with_worker=True)
    yield system
    system.stop()
    system.database.drop()


@pytest.fixture(scope="module")
def split(seeded_template, tmp_path_factory, twilio_stub):
    """Web and a separate `textback worker`, with a short lease so a killed worker's rows come back fast."""
    system = _system(seeded_template, tmp_path_factory, twilio_stub, "split", TEXTBACK_OUTBOX_LEASE_SECONDS="2")
    system.start_web(with_worker=False)
    system.start_worker()
    yield system
    system.stop()
    system.database.drop()


# --- a member of staff signed in over HTTP ---------------------------------------------------------

STAFF = ("dispatch@alpha.example", "a-long-dispatcher-passphrase")


@pytest.fixture(scope="module")
def staff(embedded):
    """An agent of AlphaPlumbing, added through the CLI."""
    embedded.cli(
        "user", "add", "--business", "alpha", "--email", STAFF[0], "--role", "agent", "--name", "Dana Dispatch",
        "--password-stdin", stdin=STAFF[1] + "\n",
    )  # fmt: skip
    return STAFF


def logged_in(system, username: str, password: str) -> httpx.Client:
    browser = httpx.Client(base_url=system.url, timeout=10)
    page = browser.get("/login")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = browser.post("/login", data={"username": username, "password": password, "csrfmiddlewaretoken": token})
    assert response.status_code == 302, response.text
    return browser
