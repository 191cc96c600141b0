"""Debian's chromium driven by Playwright, against a real `textback serve` on the sandbox demo."""

import os
from pathlib import Path

import pytest

from tests.e2e.conftest import postgres_server
from tests.support.harness import System, new_database

CHROMIUM = Path("/usr/bin/chromium")
# Flags that keep chromium from reaching for Google's servers on this closed network.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        message = "Debian's chromium is not installed (apt-get install chromium); .ci/run installs it"
        if os.environ.get("TEXTBACK_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """What `make run` starts: the AlphaPlumbing demo on the sandbox carrier, web + worker in one command."""
    directory = tmp_path_factory.mktemp("demo")
    system = System(
        database=new_database(directory, postgres_server()),
        data_dir=directory,
        twilio_api_url="http://127.0.0.1:9",
        extra_env={"TEXTBACK_ALLOW_PRIVATE_WEBHOOKS": "1"},  # the webhook test's receiver is on this machine
    )
    system.cli("migrate", "-v", "0")
    system.demo_output = system.cli("demo").stdout
    system.start_web(with_worker=True)
    yield system
    system.stop()
    system.database.drop()


@pytest.fixture
def page(browser, demo):
    context = browser.new_context(base_url=demo.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
