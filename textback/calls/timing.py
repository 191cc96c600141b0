"""How long a call can still be going, and how long to wait for reports that may follow.

Pure functions of a line's settings and the clock, so each rule is a test. A call is
decided once, when its end is reported; these bounds say when to decide anyway,
because any one provider callback can be lost (ARCHITECTURE §5: nothing is lost).
"""

from datetime import datetime, timedelta

VOICEMAIL_MAX_SECONDS = 120  # the longest message a caller can leave (<Record maxLength>)
MIN_VOICEMAIL_SECONDS = 3  # shorter recordings are a caller hanging up at the beep, not a message
VOICEMAIL_GRACE_SECONDS = 5  # the call ended while recording: the recording's own report is on its way
LEG_GRACE_SECONDS = 3  # status-only: a dialled phone's report can arrive just after the call's own
WHISPER_SECONDS = 15  # a phone that picks up hears "press 1" and has a few seconds to answer it
SPOKEN_WORDS_PER_SECOND = 2.5  # text-to-speech reads a greeting at about 150 words a minute
MARGIN_SECONDS = 60  # provider callbacks retried, clocks apart, a slow network
MIN_REDIAL_SECONDS = 10  # ringing the remaining phones for less than this is not worth it


def greeting_seconds(greeting: str) -> float:
    """About how long the caller listens to the greeting, beep included."""
    return len(greeting.split()) / SPOKEN_WORDS_PER_SECOND + 2


def voicemail_window(greeting: str) -> timedelta:
    """From the moment a caller is sent to voicemail to the latest moment the recording can end."""
    return timedelta(seconds=greeting_seconds(greeting) + VOICEMAIL_MAX_SECONDS + MARGIN_SECONDS)


def ringing_window(ring_seconds: int, phones: int, greeting: str | None) -> timedelta:
    """From a call's arrival to the latest moment it can still be going unanswered: every phone rings,
    each may pick up and hear the prompt (the remaining ones are then rung again), then voicemail
    (`greeting` is None when the line takes none)."""
    seconds = ring_seconds + max(phones, 1) * WHISPER_SECONDS + MARGIN_SECONDS
    if greeting is not None:
        seconds += voicemail_window(greeting).total_seconds()
    return timedelta(seconds=seconds)


def ring_time_left(ring_seconds: int, started_at: datetime, now: datetime) -> float:
    """Seconds of the line's ring time not yet used by this call."""
    return ring_seconds - (now - started_at).total_seconds()


def phones_left_to_ring(phones: list[str], picked_up: list[str]) -> list[str]:
    """The staff phones that have not picked up yet: when one picks up, the provider stops ringing the
    others, and if it was a cell's voicemail, the rest deserve their turn."""
    return [number for number in phones if number not in picked_up]
