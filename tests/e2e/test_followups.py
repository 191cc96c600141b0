"""Follow-ups through real HTTP: a reply to the text-back cancels the follow-up, which never reaches Twilio,
while a caller who stays silent gets theirs (so the wait is long enough to have seen it)."""

import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import TWILIO_LINE
from tests.e2e.test_missed_call_loop import Caller, post

pytestmark = pytest.mark.e2e

# A place with a caller's number where it is daytime now: the follow-up may only go in its 8:00-21:00
# (and the business's, set to the same zone), so the test picks the zone to suit the hour it runs.
PLACES = [  # zone, the start of a valid number there, its length, its country
    ("America/New_York", "+1212555", 12, "US"),
    ("Pacific/Honolulu", "+1808555", 12, "US"),
    ("Europe/London", "+4420794", 13, "GB"),
    ("Asia/Tokyo", "+8133", 12, "JP"),
]


def daytime_place() -> tuple[str, str, int, str]:
    now = datetime.now(UTC)
    return next(p for p in PLACES if 9 <= now.astimezone(ZoneInfo(p[0])).hour < 19)


def caller_in(prefix: str, length: int) -> Caller:
    caller = Caller()
    caller.number = prefix + f"{uuid.uuid4().int % 10**12:012d}"[: length - len(prefix)]
    return caller


def statuses(system, caller: Caller) -> list[tuple[str, str]]:
    return system.database.query(
        "SELECT m.purpose, m.status FROM messaging_message m JOIN messaging_contact c ON c.id = m.contact_id "
        "WHERE c.number = %s AND m.direction = 'out' ORDER BY m.id",
        (caller.number,),
    )


def test_a_reply_cancels_the_pending_follow_up_which_never_reaches_twilio(embedded, twilio_stub):
    zone, prefix, length, country = daytime_place()
    embedded.cli("business", "set", "alpha", "--time-zone", zone, "--countries", f"US,{country}")
    embedded.cli("business", "followups", "alpha", "--on", "--step", "1:60:Still need a hand with that leak?")
    replies, silent = caller_in(prefix, length), caller_in(prefix, length)
    for caller in (replies, silent):
        assert post(embedded, "voice", caller.fields("voice_incoming")).status_code == 200
        assert post(embedded, "dial", caller.fields("dial_no_answer")).status_code == 200
        [text_back] = twilio_stub.wait_for(1, to=caller.number)
        assert text_back.form["Body"].startswith("Hi there, Mike at AlphaPlumbing here")
    assert statuses(embedded, replies)[1] == ("followup", "scheduled")

    assert post(embedded, "sms", replies.fields("sms_incoming", Body="Yes please, today if you can")).status_code == 200
    assert statuses(embedded, replies)[1] == ("followup", "canceled")

    # A minute after the text-backs the silent caller's follow-up goes; the one who replied gets none.
    [_, follow_up] = twilio_stub.wait_for(2, to=silent.number, timeout=90)
    assert follow_up.form["Body"] == "AlphaPlumbing: Still need a hand with that leak? Reply STOP to opt out."
    assert follow_up.form["From"] == TWILIO_LINE
    assert len(twilio_stub.sent(to=replies.number)) == 1
