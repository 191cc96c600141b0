"""Follow-ups after a text-back: the cadence, and whether one may go now. Pure functions of values.

Follow-ups are off by default: the missed call is consent for the one immediate answer (telephony-facts
§6.1), not for a series of texts. When a business switches them on, at most 3 go, each a delay after the
text-back; each is sent only in quiet-hours-free daytime (lib/quiet.py), no later than its validity after
its planned time, to Canadian numbers only within 6 months of the missed call (CASL implied consent
for an inquiry), and never to anyone who opted out, is excluded or whose automation a person paused.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from textback.lib import quiet

MAX_STEPS = 3
MAX_DELAY = timedelta(days=7)
MAX_VALID = timedelta(days=2)
CASL_IMPLIED_CONSENT = timedelta(days=183)  # six months after an inquiry (CASL s.10(10))

FIRST_TEMPLATE = (
    "Hi {first_name|there}, it's {staff|the team} at {business} again. Did you still need a hand with what you "
    "called about? Just reply here. Reply STOP to opt out."
)
SECOND_TEMPLATE = (
    "{business} here: we never heard back after your call yesterday. Is there anything we can help with? "
    "Reply STOP to opt out."
)


@dataclass(frozen=True)
class Step:
    delay: timedelta  # after the text-back
    template: str
    valid_for: timedelta  # how late after its planned time it may still go


DEFAULT_STEPS = (
    Step(timedelta(hours=1), FIRST_TEMPLATE, timedelta(hours=4)),
    Step(timedelta(hours=24), SECOND_TEMPLATE, timedelta(hours=12)),
)


def steps_from(stored: list) -> tuple[Step, ...]:
    """The steps as stored on the plan (an empty list: the defaults). Raises ValueError on a bad cadence."""
    if not stored:
        return DEFAULT_STEPS
    if not isinstance(stored, list) or len(stored) > MAX_STEPS:
        raise ValueError(f"at most {MAX_STEPS} follow-ups")
    steps = tuple(
        Step(timedelta(minutes=int(s["delay_minutes"])), str(s["template"]), timedelta(minutes=int(s["valid_minutes"])))
        for s in stored
    )
    check_steps(steps)
    return steps


def check_steps(steps: tuple[Step, ...]) -> None:
    """Raise ValueError saying what is wrong with a cadence."""
    if len(steps) > MAX_STEPS:
        raise ValueError(f"at most {MAX_STEPS} follow-ups")
    for n, step in enumerate(steps, 1):
        if not timedelta(minutes=1) <= step.delay <= MAX_DELAY:
            raise ValueError(f"follow-up {n}: the delay must be between 1 minute and 7 days")
        if not timedelta(minutes=1) <= step.valid_for <= MAX_VALID:
            raise ValueError(f"follow-up {n}: the validity must be between 1 minute and 2 days")
        if not step.template.strip():
            raise ValueError(f"follow-up {n}: write its text")
    delays = [step.delay for step in steps]
    if delays != sorted(set(delays)):
        raise ValueError("each follow-up must come later than the one before")


def stored(steps: tuple[Step, ...]) -> list[dict]:
    return [
        {"delay_minutes": s.delay // timedelta(minutes=1), "valid_minutes": s.valid_for // timedelta(minutes=1),
         "template": s.template}
        for s in steps
    ]  # fmt: skip


def first_due(number: quiet.Recipient, window: quiet.BusinessWindow, planned: datetime, valid_for: timedelta):
    """When to look at a follow-up first: its planned time moved to the next allowed moment, or the planned
    time itself when no moment within its validity is allowed (the worker then records why it skipped)."""
    due = quiet.next_allowed(number, window, planned, horizon=valid_for)
    return due or planned


# --- at send time ---------------------------------------------------------------------------

SEND, WAIT, SKIP = "send", "wait", "skip"

OFF = "followups_off"
OPTED_OUT = "opted_out"
EXCLUDED = "excluded"
PAUSED = "automation_paused"
CASL_EXPIRED = "casl_consent_expired"
TOO_LATE = "past_validity"
DAILY_LIMIT = "daily_limit"
QUIET = "quiet_hours"
GO = "go"

REASONS = {
    OFF: "Follow-ups were switched off",
    OPTED_OUT: "The caller opted out",
    EXCLUDED: "The caller is on the do-not-text list",
    PAUSED: "Automatic texts to this caller are paused",
    CASL_EXPIRED: "More than 6 months since the missed call (CASL implied consent ended)",
    TOO_LATE: "Too late: past this follow-up's validity",
    DAILY_LIMIT: "The caller's state allows at most 3 automatic texts in 24 hours",
    QUIET: "Quiet hours",
    GO: "Daytime for the caller and the business",
}


@dataclass(frozen=True)
class Facts:
    """What is true when a follow-up falls due."""

    number: quiet.Recipient
    window: quiet.BusinessWindow
    now: datetime
    valid_until: datetime
    enabled: bool = True
    opted_out: bool = False
    excluded: bool = False
    paused: bool = False
    consent_until: datetime | None = None  # CASL: a Canadian number's implied consent ends then
    recent_automatic: tuple[datetime, ...] = ()  # automatic texts handed over in the last 24 hours


@dataclass(frozen=True)
class Verdict:
    action: str
    reason: str
    until: datetime | None = None  # WAIT: look again then
    detail: str = ""  # for quiet hours, where and why

    @property
    def explanation(self) -> str:
        return f"{REASONS[self.reason]}: {self.detail}" if self.detail else REASONS[self.reason]


def check(facts: Facts) -> Verdict:
    """Send now, wait until a moment that may work, or skip with the reason (checked in this order)."""
    refusals = (
        (not facts.enabled, OFF),
        (facts.opted_out, OPTED_OUT),
        (facts.excluded, EXCLUDED),
        (facts.paused, PAUSED),
        (facts.consent_until is not None and facts.now >= facts.consent_until, CASL_EXPIRED),
        (facts.now > facts.valid_until, TOO_LATE),
    )
    refused = next((reason for failed, reason in refusals if failed), None)
    if refused:
        return Verdict(SKIP, refused)
    earliest = max(facts.now, _free_of_daily_limit(facts))
    if earliest > facts.valid_until:
        return Verdict(SKIP, DAILY_LIMIT)
    moment = quiet.next_allowed(facts.number, facts.window, earliest, horizon=facts.valid_until - earliest)
    if moment is None:
        detail = quiet.allowed(facts.number, facts.window, earliest).explanation
        return Verdict(SKIP, QUIET, detail=f"{detail}, until past this follow-up's validity")
    if moment > facts.now:
        return Verdict(WAIT, QUIET if earliest == facts.now else DAILY_LIMIT, until=moment)
    return Verdict(SEND, GO)


def _free_of_daily_limit(facts: Facts) -> datetime:
    """The first moment a state's cap of texts in 24 hours leaves room for one more."""
    limit = facts.number.daily_limit
    recent = sorted(at for at in facts.recent_automatic if at > facts.now - timedelta(hours=24))
    if limit is None or len(recent) < limit:
        return facts.now
    return recent[-limit] + timedelta(hours=24)
