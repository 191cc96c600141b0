"""The TwiML textback answers Twilio's voice webhooks with."""

from django.conf import settings
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from textback.calls.timing import VOICEMAIL_MAX_SECONDS

SCREEN_SECONDS = 6  # how long the answering phone has to press 1
RING_BUFFER_SECONDS = 5  # Twilio lets a <Dial> ring about this much longer than its timeout
MIN_DIAL_TIMEOUT = 5


def hook(name: str) -> str:
    return f"{settings.PUBLIC_URL}/hooks/twilio/{name}"


def dial_timeout(ring_seconds: float) -> int:
    """The <Dial timeout> that makes callers hear `ring_seconds` of ringing."""
    return max(int(ring_seconds) - RING_BUFFER_SECONDS, MIN_DIAL_TIMEOUT)


def forward_and_screen(line, numbers: list[str] | None = None, ring_seconds: float | None = None) -> str:
    """Ring the staff phones (all of the line's, or the ones left) for the line's ring time (or what is
    left of it); whoever answers must press 1 before the caller is connected."""
    response = VoiceResponse()
    timeout = dial_timeout(line.ring_seconds if ring_seconds is None else ring_seconds)
    dial = response.dial(timeout=timeout, answer_on_bridge=True, action=hook("dial"), method="POST")
    for number in line.forward_to if numbers is None else numbers:
        dial.number(
            number,
            url=hook("screen"),
            method="POST",
            status_callback=hook("call-status"),
            status_callback_event="completed",
            status_callback_method="POST",
        )
    return str(response)


def screen_prompt(business_name: str) -> str:
    response = VoiceResponse()
    gather = response.gather(num_digits=1, timeout=SCREEN_SECONDS, action=hook("screen"), method="POST")
    gather.say(f"Call for {business_name}. Press 1 to accept.")
    response.hangup()  # no key press: Twilio falls through to here and the caller goes back to our flow
    return str(response)


def connect() -> str:
    return str(VoiceResponse())  # an empty response bridges the screened leg to the caller


def hang_up(message: str = "") -> str:
    response = VoiceResponse()
    if message:
        response.say(message)
    response.hangup()
    return str(response)


def voicemail(line) -> str:
    """Greeting, then a recording; both callbacks come back to /hooks/twilio/recording."""
    response = VoiceResponse()
    if line.greeting:
        response.say(line.greeting)
    response.record(
        action=hook("recording"),
        method="POST",
        max_length=VOICEMAIL_MAX_SECONDS,
        trim="trim-silence",
        play_beep=True,
        recording_status_callback=hook("recording"),
        recording_status_callback_method="POST",
        recording_status_callback_event="completed absent",
    )
    response.hangup()
    return str(response)


NO_VOICEMAIL_GOODBYE = "Sorry, nobody could take your call. We will text you at this number in a moment. Goodbye."


def missed(line) -> str:
    """After a missed call: a voicemail if the line takes them, else a goodbye that says a text is coming."""
    return voicemail(line) if line.record_voicemail else hang_up(NO_VOICEMAIL_GOODBYE)


def empty_messaging() -> str:
    return str(MessagingResponse())
