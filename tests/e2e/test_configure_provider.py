"""`textback line add --configure-provider` as a real process, setting a number up at the Twilio stub over HTTP."""

import pytest

from tests.support.harness import System
from tests.support.twilio_stub import TwilioStub
from textback.conftest import ALPHA_SID, ALPHA_TOKEN
from textback.providers.twilio.tests import openapi

pytestmark = pytest.mark.e2e

PUBLIC = "https://textback.example.com"  # where Twilio would reach this server (the stub never calls it)
NEW_LINE = "+15125550103"


@pytest.fixture
def stub():
    stub = TwilioStub().start()
    stub.add_account(ALPHA_SID, ALPHA_TOKEN)
    yield stub
    stub.stop()


@pytest.fixture
def system(seeded_template, tmp_path, stub):
    database = seeded_template.copy(f"configure_{tmp_path.name[-20:]}", tmp_path)
    yield System(
        database=database, data_dir=tmp_path, twilio_api_url=stub.url, extra_env={"TEXTBACK_PUBLIC_URL": PUBLIC}
    )
    database.drop()


def account_id(system: System) -> str:
    [(pk,)] = system.database.query("SELECT id FROM providers_provideraccount WHERE account_sid = %s", (ALPHA_SID,))
    return str(pk)


def test_line_add_configure_provider_points_the_number_here(system, stub):
    spec = openapi.require_spec()
    number = stub.give_number(ALPHA_SID, NEW_LINE, voice_application_sid="AP" + "5" * 32)
    add = ["line", "add", "--business", "alpha", "--account", account_id(system), "--number", NEW_LINE]

    refused = system.cli(*add, "--mode", "carrier_forward", "--configure-provider", check=False)
    assert refused.returncode == 2, refused.stderr
    assert f"its calls go to TwiML App AP{'5' * 32}" in refused.stderr
    assert system.database.query("SELECT 1 FROM providers_line WHERE number = %s", (NEW_LINE,)) == []

    done = system.cli(*add, "--mode", "carrier_forward", "--configure-provider", "--take-over")
    assert f"Configured Twilio number {NEW_LINE} ({number['sid']}):" in done.stdout
    assert "removed (--take-over), was AP" in done.stdout

    now = stub.number(NEW_LINE)
    assert (now["voice_url"], now["status_callback"], now["sms_url"]) == (
        f"{PUBLIC}/hooks/twilio/voice",
        f"{PUBLIC}/hooks/twilio/call-status",
        f"{PUBLIC}/hooks/twilio/sms",
    )
    assert (now["voice_method"], now["status_callback_method"], now["sms_method"]) == ("POST", "POST", "POST")
    assert now["voice_application_sid"] == ""
    assert system.database.query("SELECT call_mode FROM providers_line WHERE number = %s", (NEW_LINE,)) == [
        ("carrier_forward",)
    ]

    checked = system.cli("check", "--online", check=False)
    assert f"ok    line {NEW_LINE} (alpha): on Twilio, and its webhooks point here" in checked.stdout

    assert [r.method for r in stub.requests if "/IncomingPhoneNumbers/" in r.path] == ["POST"]
    for request in stub.requests:  # `check --online` asks about every business's account: each with its own SID
        url, content_type = stub.url + request.url, request.headers.get("Content-Type")
        assert openapi.request_problems(spec, request.method, url, request.body, content_type) == []
        account = request.path.split("/Accounts/", 1)[1].split("/")[0].removesuffix(".json")
        assert openapi.auth_problems(request.headers, account) == []
