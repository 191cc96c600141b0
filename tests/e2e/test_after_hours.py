"""An after-hours call through real HTTP: signed Twilio webhooks to `textback serve`, whose text-back reaches
the local Twilio stub in the after-hours variant, and the call records which variant and why.

`textback serve` is a real process, so the clock is not controlled: the business is open only on a
weekday three days from today (in its own time zone), so now is after hours whatever the time of day."""

import zoneinfo
from datetime import datetime, timedelta

import pytest

from tests.e2e.conftest import TWILIO_LINE, _system
from tests.e2e.test_missed_call_loop import Caller, post

pytestmark = pytest.mark.e2e
ZONE = "America/Chicago"  # the seeded AlphaPlumbing's
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@pytest.fixture(scope="module")
def after_hours(seeded_template, tmp_path_factory, twilio_stub):
    system = _system(seeded_template, tmp_path_factory, twilio_stub, "after_hours")
    today = datetime.now(zoneinfo.ZoneInfo(ZONE))
    opens_on = (today + timedelta(days=3)).weekday()
    system.cli(
        "business", "set", "alpha", "--time-zone", ZONE, "--no-holidays", "--hours", f"{DAYS[opens_on]} 10:00-11:00"
    )
    system.start_web(with_worker=True)
    system.today, system.opens_on = today, opens_on
    yield system
    system.stop()
    system.database.drop()


def test_an_after_hours_call_gets_the_after_hours_text_at_the_twilio_stub(after_hours, twilio_stub):
    caller = Caller()
    assert post(after_hours, "voice", caller.fields("voice_incoming")).status_code == 200
    assert post(after_hours, "dial", caller.fields("dial_no_answer")).status_code == 200

    [request] = twilio_stub.wait_for(1, to=caller.number)
    weekday = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")[after_hours.opens_on]
    assert request.form["From"] == TWILIO_LINE
    assert request.form["Body"] == (
        f"AlphaPlumbing here, sorry we missed your call. We're closed now and open {weekday} at 10 AM. "
        "What can we help with? Reply STOP to opt out."
    )
    [(variant, reason)] = after_hours.database.query(
        "SELECT variant, variant_reason FROM calls_call WHERE provider_call_id = %s", (caller.call_sid,)
    )
    today = datetime.now(zoneinfo.ZoneInfo(ZONE)).strftime("%A")  # the call's local day (re-read: midnight may pass)
    assert (variant, reason) == ("after_hours", f"after hours: closed {today}s")
