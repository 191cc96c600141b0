"""Several `textback worker` processes on one database never send the same text twice."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e.conftest import FORWARDED_LINE, _system
from tests.e2e.test_missed_call_loop import Caller, post

pytestmark = pytest.mark.e2e
CALLS = 90


@pytest.fixture(scope="module")
def crowd(seeded_template, tmp_path_factory, twilio_stub):
    system = _system(seeded_template, tmp_path_factory, twilio_stub, "crowd")
    system.start_web(with_worker=False, web_processes=2)
    for _ in range(3):
        system.start_worker(threads=4)
    yield system
    system.stop()
    system.database.drop()


def test_three_workers_share_a_burst_of_missed_calls_without_duplicates(crowd, twilio_stub):
    callers = [Caller(line=FORWARDED_LINE) for _ in range(CALLS)]
    assert len({c.number for c in callers}) == CALLS
    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(lambda c: post(crowd, "voice", c.fields("voice_incoming")).status_code, callers))

    assert statuses == [200] * CALLS
    sent = twilio_stub.wait_for(CALLS, timeout=30)
    time.sleep(1.0)  # room for any duplicate to arrive
    recipients = [r.form["To"] for r in twilio_stub.sent()]
    assert len(recipients) == CALLS
    assert sorted(recipients) == sorted(c.number for c in callers)
    assert len(sent) == CALLS
