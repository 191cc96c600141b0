"""Servers the test harness starts never outlive the test run, even when it is killed with SIGKILL.

Each test starts a throwaway Python process that uses the harness the way a test session does
(`textback serve` with its Granian web process and outbox thread, plus a `textback worker`),
then kills that process with SIGKILL, as a killed `make test` would be, and looks in /proc for
anything left of the servers' process groups.
"""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.harness import ROOT, popen, wait_until

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux only"),
]

STARTER = """
import json, sys, threading, time
from pathlib import Path
from tests.support.harness import Database, System

url, directory, how = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
system = System(database=Database(url), data_dir=directory, twilio_api_url="http://127.0.0.1:9")

def start():
    system.start_web(with_worker=True)
    system.start_worker()

if how == "from a thread":  # one that has ended by the time the servers are in use
    starter = threading.Thread(target=start)
    starter.start()
    starter.join()
else:
    start()
print(json.dumps({"url": system.url, "groups": [system.web.pid] + [w.pid for w in system.workers]}), flush=True)
time.sleep(600)
"""


def living(group: int) -> list[int]:
    """The processes of a process group that have not exited (zombies waiting to be reaped have)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, pgrp = fields[0], int(fields[2])
        if pgrp == group and state not in ("Z", "X"):
            pids.append(int(entry))
    return pids


@pytest.fixture
def database(seeded_template, tmp_path):
    database = seeded_template.copy(f"harness_{os.getpid()}", tmp_path)
    yield database
    database.drop()


@pytest.fixture
def start_servers(database, tmp_path):
    """Start the servers from a throwaway process; yields a function returning (that process, url, groups)."""
    started: list[tuple[subprocess.Popen, list[int]]] = []

    def start(how: str) -> tuple[subprocess.Popen, str, list[int]]:
        process = popen(
            [sys.executable, "-c", STARTER, database.url, str(tmp_path), how],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        line = process.stdout.readline()
        assert line, f"the throwaway process exited with {process.wait(10)} before starting the servers"
        info = json.loads(line)
        started.append((process, info["groups"]))
        return process, info["url"], info["groups"]

    yield start
    for process, groups in started:  # a failing test must not leave servers behind either
        process.kill()
        process.wait(10)
        for group in groups:
            try:
                os.killpg(group, signal.SIGKILL)
            except ProcessLookupError:
                pass


def kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(10)


def test_every_server_process_dies_when_the_process_that_started_it_is_killed(start_servers):
    starter, url, groups = start_servers("from the main thread")
    web_group = groups[0]
    assert httpx.get(f"{url}/healthz", timeout=5).status_code == 200
    assert len(living(web_group)) >= 2, "textback serve should be a Granian server with a web process"
    assert all(living(group) for group in groups)

    kill(starter)

    left = wait_until(lambda: not any(living(group) for group in groups), timeout=5, interval=0.1)
    assert left, {group: living(group) for group in groups}


def test_a_server_started_from_a_thread_that_has_ended_keeps_running_until_the_run_dies(start_servers):
    starter, url, groups = start_servers("from a thread")

    assert httpx.get(f"{url}/healthz", timeout=5).status_code == 200
    assert all(living(group) for group in groups)

    kill(starter)
    assert wait_until(lambda: not any(living(group) for group in groups), timeout=5, interval=0.1)
