"""The calls other apps make into alerts, each one line at the place the event happens.

They import the alerts modules when first called, so messaging and calls can call them without an
import cycle (alerts is built on messaging).
"""


def staff_phone_text(inbound) -> bool:
    """At the top of do_inbound_sms: True when a staff phone sent it (the SMS relay took it; it is no customer's)."""
    from textback.alerts import relay

    return relay.intercept(inbound)


def on_caller_message(message) -> None:
    """A caller's real reply was recorded (not STOP/START/HELP): alert staff, start the escalation."""
    from textback.alerts import events

    events.on_caller_message(message)


def on_missed_call(call, contact) -> None:
    """The text-back decision was made for a call nobody answered."""
    from textback.alerts import events

    events.on_missed_call(call, contact)


def on_clock_stopped(business, conversation_ids: list[int], *, why: str) -> None:
    """These conversations stopped waiting for an answer without one (the caller opted out)."""
    from textback.alerts import escalation

    escalation.cancel(business, conversation_ids, why=why)
