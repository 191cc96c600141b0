"""Twilio error codes we act on (telephony-facts §3.2, Twilio's error dictionary at twilio.com/docs/api/errors).

Two tables, because the codes arrive in two places that call for different things:

- REST_ERRORS: what the REST API answers to a request we make. The outbox
  retries a transient one and stops at a permanent one; the consequence teaches
  us something about the recipient.
- REPORT_ERRORS: what a delivery report (the message status callback) carries
  for a text Twilio had already taken. There is nothing to retry there — the
  outcome is final — so each code has a consequence and an explanation in plain
  words for the staff reading the conversation (never sent to the caller).

A code in neither table is logged and shown as a number, not interpreted.
"""

from dataclasses import dataclass

OPTED_OUT, LANDLINE, INVALID = "opted_out", "landline", "invalid"


@dataclass(frozen=True)
class RestError:
    permanent: bool
    consequence: str = ""


@dataclass(frozen=True)
class ReportError:
    explanation: str
    consequence: str = ""


REST_ERRORS = {
    "20003": RestError(True),  # authentication failed: fix the SID or token, retrying cannot help
    "20404": RestError(True),  # no such resource (e.g. the account or number)
    "20429": RestError(False),  # too many requests (the response may say when to come back: Retry-After)
    "20500": RestError(False),  # Twilio internal error
    "20503": RestError(False),  # Twilio service unavailable
    "21211": RestError(True, INVALID),  # invalid 'To' number
    "21408": RestError(True),  # no permission to send to this region
    "21606": RestError(True),  # 'From' is not a number of this account that can send SMS
    "21608": RestError(True),  # trial account: 'To' is not a verified number
    "21610": RestError(True, OPTED_OUT),  # the recipient replied STOP to this sender
    "21611": RestError(False),  # the 'From' number's queue of unsent messages is full: it drains, try later
    "21612": RestError(True),  # cannot route between these two numbers
    "21614": RestError(True, LANDLINE),  # 'To' is not a mobile number
    "21617": RestError(True),  # body longer than 1,600 characters
    "21635": RestError(True, LANDLINE),  # 'To' cannot be a landline
}

REPORT_ERRORS = {
    # Codes of the REST table may also end a text in a report when Twilio took it first and checked it later.
    "21211": ReportError("the number is not a valid phone number", INVALID),
    "21610": ReportError("the recipient had replied STOP to this number, so Twilio did not send it", OPTED_OUT),
    "21614": ReportError("the number is not a mobile phone, so it cannot receive texts", LANDLINE),
    "21635": ReportError("the number is a landline, so it cannot receive texts", LANDLINE),
    "30001": ReportError("Twilio's queue for this number was full and the text was dropped: too many texts at once"),
    "30002": ReportError("the Twilio account is suspended: check billing and messages from Twilio"),
    "30003": ReportError("the phone could not be reached (switched off or out of coverage); no retry is made"),
    "30004": ReportError("the text was blocked, by the recipient or their carrier"),
    "30005": ReportError("the number does not exist or is no longer in service", INVALID),
    "30006": ReportError("the number is a landline or its carrier cannot receive texts", LANDLINE),
    "30007": ReportError("the carrier filtered the text as spam: review the wording and the number's registration"),
    "30008": ReportError("the carrier failed to deliver it for an unknown reason"),
    "30022": ReportError("a US A2P 10DLC throughput limit was exceeded, so the carrier dropped the text"),
    "30026": ReportError("a US A2P 10DLC throughput limit was exceeded, so the carrier dropped the text"),
    "30027": ReportError("T-Mobile's daily limit for this sender was reached, so the text was not delivered"),
    "30032": ReportError("the toll-free number is not verified yet, so carriers block its texts"),
    "30034": ReportError("the number is not registered for US A2P 10DLC, so carriers block its texts"),
    "30039": ReportError("Twilio stopped a loop of automatic replies between two numbers"),
}


def classify(code: str, http_status: int) -> tuple[bool, str]:
    """(permanent, consequence) for an error response of the REST API.

    An unknown code is judged by the status: 4xx (but 429) means this request
    will never work, 5xx and 429 that a later one may.
    """
    known = REST_ERRORS.get(code)
    if known:
        return known.permanent, known.consequence
    return (http_status < 500 and http_status != 429), ""


def consequence(code: str | None) -> str:
    """What an ErrorCode on a delivery report teaches us about the recipient."""
    known = REPORT_ERRORS.get(code or "")
    return known.consequence if known else ""


def explain(code: str | None) -> str:
    """A delivery report's error in plain words, for staff; '' for a code we do not know."""
    known = REPORT_ERRORS.get(code or "")
    return known.explanation if known else ""
