"""Whether a finished call gets a text-back: a pure function of values, and every "no" has a reason.

The rules are checked in a fixed order so the stored reason is the most
fundamental one (an anonymous caller is "anonymous", not also "cooldown").
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from textback.lib.phone import NumberFacts

TEXT_MISSED_CALL = "missed_call"

LINE_DISABLED = "line_disabled"
OUTCOME_NOT_SELECTED = "outcome_not_selected"
NOT_ENDED = "not_ended"
ANONYMOUS = "anonymous"
INVALID_NUMBER = "invalid_number"
PREMIUM_NUMBER = "premium_number"
TOLL_FREE_NUMBER = "toll_free_number"
SHORT_NUMBER = "short_number"
COUNTRY_NOT_ALLOWED = "country_not_allowed"
OWN_NUMBER = "own_number"
EXCLUDED = "excluded"
OPTED_OUT = "opted_out"
LANDLINE = "landline"
COOLDOWN = "cooldown"
STAFF_TALKING = "staff_talking"
AUTOMATION_PAUSED = "automation_paused"
HOURLY_CAP = "hourly_cap"
DAILY_CAP = "daily_cap"
CAPS = frozenset({HOURLY_CAP, DAILY_CAP})

REASONS = {
    TEXT_MISSED_CALL: "Missed call: text-back queued",
    LINE_DISABLED: "Text-back is switched off for this line",
    OUTCOME_NOT_SELECTED: "The business does not text for this call outcome",
    NOT_ENDED: "The call has not ended",
    ANONYMOUS: "The caller withheld their number",
    INVALID_NUMBER: "The caller ID is not a valid phone number",
    PREMIUM_NUMBER: "The caller ID is a premium-rate number",
    TOLL_FREE_NUMBER: "The caller ID is a toll-free number (usually a company's outbound line, which cannot text)",
    SHORT_NUMBER: "The caller ID is a short code or too short to be a phone",
    COUNTRY_NOT_ALLOWED: "The caller's country is not one the business texts",
    OWN_NUMBER: "The caller is one of the business's own numbers",
    EXCLUDED: "The caller is on the business's do-not-text list",
    OPTED_OUT: "The caller has opted out (STOP)",
    LANDLINE: "The carrier said this number cannot receive texts",
    COOLDOWN: "The caller was already texted automatically within the cool-down",
    STAFF_TALKING: "A person on staff answered this caller within the cool-down; automation stays out of it",
    AUTOMATION_PAUSED: "Automatic texts to this caller are paused until a person resumes them",
    HOURLY_CAP: "The business reached its cap on automatic texts this hour",
    DAILY_CAP: "The business reached its cap on automatic texts today",
}


@dataclass(frozen=True)
class Policy:
    """What the business and the line chose."""

    enabled: bool
    outcomes: frozenset[str]
    countries: frozenset[str]
    cooldown: timedelta
    texts_per_hour: int = 0  # caps on automatic texts across the business; 0: no cap
    texts_per_day: int = 0


@dataclass(frozen=True)
class CallFacts:
    """What we know about the call and the caller at decision time."""

    outcome: str | None
    number: NumberFacts
    own_number: bool = False
    excluded: bool = False
    opted_out: bool = False
    landline: bool = False  # the carrier told us so before (21614, 30006…)
    automation_paused: bool = False  # a person must look first (a borderline opt-out, an autoresponder…)
    known_invalid: bool = False  # the carrier told us so before (21211…)
    last_auto_text_at: datetime | None = None
    last_staff_reply_at: datetime | None = None
    now: datetime | None = None
    texts_this_hour: int = 0  # automatic texts the business sent in this clock hour…
    texts_today: int = 0  # …and this day (its own time zone): see textback/rules/caps.py


@dataclass(frozen=True)
class Decision:
    text: bool
    reason: str

    @property
    def explanation(self) -> str:
        return REASONS[self.reason]


def _skip_reason(facts: CallFacts, policy: Policy) -> str | None:
    number = facts.number
    checks = (
        (not policy.enabled, LINE_DISABLED),
        (facts.outcome is None, NOT_ENDED),
        (facts.outcome not in policy.outcomes, OUTCOME_NOT_SELECTED),
        (number.anonymous, ANONYMOUS),
        (number.short, SHORT_NUMBER),
        (not number.valid or facts.known_invalid, INVALID_NUMBER),
        (number.premium, PREMIUM_NUMBER),
        (number.toll_free, TOLL_FREE_NUMBER),
        (number.region not in policy.countries, COUNTRY_NOT_ALLOWED),
        (facts.own_number, OWN_NUMBER),
        (facts.excluded, EXCLUDED),
        (facts.opted_out, OPTED_OUT),
        (facts.landline, LANDLINE),
        (facts.automation_paused, AUTOMATION_PAUSED),
        (_within_cooldown(facts.last_auto_text_at, facts, policy), COOLDOWN),
        (_within_cooldown(facts.last_staff_reply_at, facts, policy), STAFF_TALKING),
        # The caps come last: only a call that would be texted counts against them.
        (_reached(facts.texts_this_hour, policy.texts_per_hour), HOURLY_CAP),
        (_reached(facts.texts_today, policy.texts_per_day), DAILY_CAP),
    )
    return next((reason for failed, reason in checks if failed), None)


def _within_cooldown(at: datetime | None, facts: CallFacts, policy: Policy) -> bool:
    if at is None or facts.now is None:
        return False
    return facts.now - at < policy.cooldown


def _reached(count: int, cap: int) -> bool:
    return cap > 0 and count >= cap


def decide(facts: CallFacts, policy: Policy) -> Decision:
    reason = _skip_reason(facts, policy)
    return Decision(text=False, reason=reason) if reason else Decision(text=True, reason=TEXT_MISSED_CALL)
