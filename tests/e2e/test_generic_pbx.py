"""A PBX reports a finished call with contrib/asterisk/textback-report (sh, openssl, curl), as a real one would."""

import json
import subprocess
import uuid

import pytest

from tests.e2e.conftest import TWILIO_LINE
from tests.support.harness import ROOT

pytestmark = pytest.mark.e2e
SCRIPT = ROOT / "contrib" / "asterisk" / "textback-report"


def report(system, tmp_path, *args: str, secret: str | None = None) -> subprocess.CompletedProcess:
    secret_file = tmp_path / "secret"
    secret_file.write_text(secret or system.cli("business", "secret", "alpha").stdout.strip())
    env = {"PATH": "/usr/bin:/bin", "TEXTBACK_URL": system.url, "TEXTBACK_SECRET_FILE": str(secret_file)}
    return subprocess.run(["sh", str(SCRIPT), *args], capture_output=True, text=True, env=env, timeout=30)


def test_an_asterisk_noanswer_is_texted_back(embedded, twilio_stub, tmp_path):
    caller = f"512555{2000 + uuid.uuid4().int % 7000}"  # Asterisk passes national numbers
    result = report(embedded, tmp_path, f"{uuid.uuid4().int % 10**10}.42", TWILIO_LINE, caller, "NOANSWER")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"decision": "text", "reason": "missed_call"}
    [request] = twilio_stub.wait_for(1, to=f"+1{caller}")
    assert request.form["From"] == TWILIO_LINE


def test_an_answered_asterisk_call_is_not_texted(embedded, tmp_path):
    result = report(embedded, tmp_path, "1767225600.7", TWILIO_LINE, "5125553001", "ANSWER")

    assert json.loads(result.stdout) == {"decision": "skip", "reason": "outcome_not_selected"}


def test_a_report_signed_with_the_wrong_secret_is_refused(embedded, tmp_path):
    result = report(embedded, tmp_path, "1767225600.8", TWILIO_LINE, "5125553002", "BUSY", secret="not-the-secret")

    assert result.returncode != 0
    assert "signature does not match" in result.stdout
