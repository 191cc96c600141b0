"""Twilio's identifiers and credentials, with one letter-case rule for all of them.

Twilio writes a SID as two upper-case letters naming the kind of resource and 32
lower-case hex digits (AC… an account, CA… a call, PN… a phone number). People
copy SIDs and tokens from consoles, e-mails and PDFs, so what a user types is
accepted in any letter case and stored in Twilio's form; the patterns below
match only that form, so a webhook's AccountSid is compared with what we stored
as it is, without a case-insensitive lookup.
"""

import re

HEX = "[0-9a-f]{32}"
ACCOUNT_SID = re.compile(f"AC{HEX}")
CALL_SID = re.compile(f"CA{HEX}")
MESSAGE_SID = re.compile(f"(SM|MM|SS){HEX}")
RECORDING_SID = re.compile(f"RE{HEX}")
PHONE_NUMBER_SID = re.compile(f"PN{HEX}")
APPLICATION_SID = re.compile(f"AP{HEX}")
TRUNK_SID = re.compile(f"TK{HEX}")
MESSAGING_SERVICE_SID = re.compile(f"MG{HEX}")
AUTH_TOKEN = re.compile(HEX)

_TYPED_SID = re.compile(r"([A-Za-z]{2})([0-9A-Fa-f]{32})")

SID_HELP = "the Account SID starts with AC and has 32 hex digits after it; find it on console.twilio.com"
TOKEN_HELP = "the auth token is 32 hex digits; find it under the Account SID on console.twilio.com"


def normal_sid(typed: str) -> str:
    """A SID in Twilio's form (prefix upper-case, hex lower-case); text that is not a SID comes back trimmed."""
    typed = (typed or "").strip()
    found = _TYPED_SID.fullmatch(typed)
    if not found:
        return typed
    return found.group(1).upper() + found.group(2).lower()


def normal_token(typed: str) -> str:
    """An auth token as Twilio issues it (lower-case hex): the HMAC key of webhook signatures is this exact text."""
    return (typed or "").strip().lower()


def is_account_sid(value: str) -> bool:
    """True for an Account SID in Twilio's form (what webhooks carry and what we store)."""
    return bool(ACCOUNT_SID.fullmatch(value or ""))


def sid_problem(typed: str) -> str | None:
    """Why a typed Account SID is unusable, or None (any letter case is fine: it is normalised)."""
    if is_account_sid(normal_sid(typed)):
        return None
    return f"Account SID {typed!r} is malformed: {SID_HELP}"


def token_problem(typed: str) -> str | None:
    """Why a typed auth token is unusable, or None. Never quotes the token."""
    if not typed:
        return "no auth token is set"
    if AUTH_TOKEN.fullmatch(normal_token(typed)):
        return None
    return f"the auth token is malformed ({len(typed)} characters): {TOKEN_HELP}"


def stored_sid_problem(stored: str) -> str | None:
    """Why a stored Account SID cannot work, or None.

    A well-formed SID stored in another letter case (written before SIDs were
    normalised) never equals the AccountSid Twilio sends, so webhooks from it
    are refused.
    """
    problem = sid_problem(stored)
    if problem or is_account_sid(stored):
        return problem
    return (
        f"Account SID {stored!r} is stored in another letter case than Twilio writes it ({normal_sid(stored)}), "
        "so webhooks from this account are refused"
    )
