"""/api/v1 over real HTTP against `textback serve`: a token made with the CLI lists the call of a missed caller,
sends them a text (which reaches Twilio, the local stub, from the business line), sets the conversation's
outcome and reads the funnel; another business's token sees none of it; the server stays under 250 MB."""

from pathlib import Path

import httpx
import pytest

from tests.e2e.test_missed_call_loop import Caller, post

pytestmark = pytest.mark.e2e

OWNER = ("owner@alpha.example", "a-long-owner-passphrase")


def token(system, business: str, scope: str) -> str:
    made = system.cli("api-token", "create", "--business", business, "--name", "e2e", "--scope", scope)
    return made.stdout.strip()


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB (VmRSS)."""
    total, pids = 0, [pid]
    while pids:
        one = pids.pop()
        status = Path(f"/proc/{one}/status").read_text()
        total += int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))
        for task in Path(f"/proc/{one}/task").iterdir():
            pids += [int(child) for child in (task / "children").read_text().split()]
    return total / 1024


def test_a_cli_token_reads_calls_sends_a_text_sets_the_outcome_and_reads_metrics(embedded, twilio_stub):
    embedded.cli(
        "user", "add", "--business", "alpha", "--email", OWNER[0], "--role", "owner", "--password-stdin",
        stdin=OWNER[1] + "\n",
    )  # fmt: skip
    alpha = httpx.Client(
        base_url=f"{embedded.url}/api/v1", headers={"Authorization": f"Bearer {token(embedded, 'alpha', 'read_write')}"}
    )
    beta = httpx.Client(
        base_url=f"{embedded.url}/api/v1", headers={"Authorization": f"Bearer {token(embedded, 'beta', 'read')}"}
    )
    caller = Caller()
    post(embedded, "voice", caller.fields("voice_incoming"))
    post(embedded, "dial", caller.fields("dial_no_answer"))
    twilio_stub.wait_for(1, to=caller.number)

    calls = alpha.get("/calls", params={"outcome": "no_answer", "limit": 200}).json()["items"]
    call = next(c for c in calls if c["from_number"] == caller.number)
    assert call["decision"] == "text"
    conversation = next(
        c for c in alpha.get("/conversations", params={"limit": 200}).json()["items"]
        if c["contact"]["number"] == caller.number
    )  # fmt: skip
    assert beta.get(f"/calls/{call['id']}").status_code == 404
    assert all(c["from_number"] != caller.number for c in beta.get("/calls").json()["items"])

    sent = alpha.post(f"/conversations/{conversation['id']}/messages", json={"body": "We can come at 2 today."})
    assert sent.status_code == 202, sent.text
    texts = twilio_stub.wait_for(2, to=caller.number)
    assert texts[1].form["From"] == caller.line and "We can come at 2 today." in texts[1].form["Body"]

    booked = alpha.post(f"/conversations/{conversation['id']}/outcome", json={"outcome": "booked", "value": "350"})
    assert (booked.status_code, booked.json()["outcome_value"]) == (200, "350.00")
    assert beta.post(f"/conversations/{conversation['id']}/outcome", json={"outcome": "spam"}).status_code in (403, 404)

    metrics = alpha.get("/metrics", params={"period": "7d"})
    assert metrics.status_code == 200
    assert metrics.json()["calls"] >= 1 and metrics.json()["texted"] >= 1
    assert alpha.get("/openapi.json").json()["openapi"].startswith("3.")
    assert httpx.get(f"{embedded.url}/api/v1/calls").status_code == 401

    memory = rss_mb(embedded.web.pid)
    print(f"textback serve after the API calls: {memory:.0f} MB resident")
    assert memory < 250
