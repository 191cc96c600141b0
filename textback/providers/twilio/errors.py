"""Twilio error codes we act on (telephony-facts §3.2). Anything else is logged, not interpreted."""

OPTED_OUT, LANDLINE, INVALID = "opted_out", "landline", "invalid"

# code: (permanent, consequence)
KNOWN = {
    "21610": (True, OPTED_OUT),  # the recipient replied STOP to this sender
    "21614": (True, LANDLINE),  # 'To' is not a mobile number
    "21635": (True, LANDLINE),  # 'To' cannot be a landline
    "30006": (True, LANDLINE),  # landline or unreachable carrier
    "21211": (True, INVALID),  # invalid 'To' number
    "30005": (True, INVALID),  # unknown destination handset
    "21408": (True, ""),  # no permission to send to this region
    "21606": (True, ""),  # 'From' is not a number of this account that can send SMS
    "21612": (True, ""),  # cannot route between these two numbers
    "20003": (True, ""),  # authentication failed
    "30004": (True, ""),  # blocked by the recipient or carrier
    "30007": (True, ""),  # filtered as spam: fix content or registration
    "30032": (True, ""),  # toll-free number not verified
    "30034": (True, ""),  # 10DLC: unregistered number
    "30039": (True, ""),  # loop detected
    "30003": (False, ""),  # handset unreachable: worth one more try
    "30008": (False, ""),  # unknown error
    "30022": (False, ""),  # throughput exceeded
    "30026": (False, ""),
    "30027": (False, ""),  # daily cap reached
    "20429": (False, ""),  # too many requests
}


def classify(code: str, http_status: int) -> tuple[bool, str]:
    """(permanent, consequence) for an error response."""
    if code in KNOWN:
        return KNOWN[code]
    return (http_status < 500 and http_status != 429), ""


def consequence(code: str | None) -> str:
    """What an ErrorCode on a status callback teaches us about the recipient."""
    return KNOWN.get(code or "", (False, ""))[1]
