"""A business's provider accounts and the phone lines it receives calls on."""

from datetime import time

from django.core.exceptions import ValidationError
from django.db import models

from textback.accounts.models import Business
from textback.lib import phone
from textback.messaging.templating import TemplateError, check_template
from textback.providers.credentials import secret

TWILIO, SANDBOX = "twilio", "sandbox"
# What callers hear. Twilio rings about 5 s longer than <Dial timeout> (twiml.dial_timeout takes it off),
# and its timeout is at least 5 s, so the shortest ring is 10 s.
MIN_RING, MAX_RING = 10, 600
MAX_PHONES = 10  # Twilio dials at most 10 <Number>s at once
PROVIDERS = [(TWILIO, "Twilio"), (SANDBOX, "Sandbox carrier (simulated)")]

DEFAULT_TEXTBACK_TEMPLATE = (
    "Hi {first_name|there}, {staff|the team} at {business} here, sorry we missed your call. "
    "What's going on? Reply STOP to opt out."
)
DEFAULT_VOICEMAIL_TEMPLATE = (
    "Hi {first_name|there}, {business} here. We got your voicemail, thanks. Anything to add before we get "
    "back to you? Reply STOP to opt out."
)


def validate_e164(value: str) -> None:
    if not phone.is_e164(value):
        raise ValidationError(f"{value!r} is not a valid number in E.164 form, such as +15125550147")


# The situations' default copy (rules/situation.py picks the situation; tests/…/test_default_copy.py holds
# each to the rules: business named in the first six words, a question, no promise to call back, how to stop).
DEFAULT_AFTER_HOURS_TEMPLATE = (
    "{business} here, sorry we missed your call. We're closed now and open {next_open}. "
    "What can we help with? Reply STOP to opt out."
)
DEFAULT_HOLIDAY_TEMPLATE = (
    "{business} here, sorry we missed your call. We're closed today and back {next_open}. "
    "What do you need? Reply STOP to opt out."
)
DEFAULT_REPEAT_CALLER_TEMPLATE = "Hi {first_name|there}, it's {business} again, {staff} here. Sorry we missed you, what can we do for you? Reply STOP to opt out."
DEFAULT_EMERGENCY_TEMPLATE = (
    "{business}: is it an emergency or can it wait until {next_open}? Reply EMERGENCY for after-hours dispatch. "
    "Reply STOP to opt out."
)


def validate_hours(value) -> None:
    """A line's own weekly spans: [[weekday 0-6, "HH:MM", "HH:MM"], …] (the forms and CLI write them so)."""
    for span in value if isinstance(value, list) else [value]:
        try:
            weekday, opens, closes = span
            time.fromisoformat(opens), time.fromisoformat(closes)
            ok = type(weekday) is int and 0 <= weekday <= 6
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ValidationError(f'{span!r} is not a span such as [0, "08:00", "17:00"] (Monday 8 AM to 5 PM)')


def validate_template(value: str) -> None:
    try:
        check_template(value)
    except TemplateError as exc:
        raise ValidationError(str(exc)) from None


class ProviderAccount(models.Model):
    """Credentials for one provider. The secrets never leave the server: not in pages, logs or API output.

    They are stored only as Fernet tokens (textback/providers/credentials.py); `auth_token` and
    `webhook_key` read as plaintext ("" when unset) and encrypt when assigned.
    """

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="provider_accounts")
    provider = models.CharField(max_length=20, choices=PROVIDERS)
    label = models.CharField(max_length=60, blank=True)
    account_sid = models.CharField(max_length=64, blank=True, help_text="Twilio Account SID (AC…).")
    auth_token_encrypted = models.TextField(blank=True, default="", editable=False)
    # Twilio's Webhooks configuration API can sign with a SharedKey instead of the auth token.
    webhook_key_encrypted = models.TextField(blank=True, default="", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    auth_token = secret("auth_token_encrypted")
    webhook_key = secret("webhook_key_encrypted")

    class Meta:
        indexes = [models.Index(fields=["provider", "account_sid"])]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} {self.label or self.account_sid}".strip()

    def __repr__(self) -> str:  # never show the token, even in a traceback
        return f"<ProviderAccount {self.pk} {self.provider} {self.account_sid}>"


class Line(models.Model):
    """A phone number of the business: how calls to it are handled and what the text-back says."""

    FORWARD_SCREEN, CARRIER_FORWARD, STATUS_ONLY, GENERIC_PBX = (
        "forward_screen",
        "carrier_forward",
        "status_only",
        "generic",
    )
    CALL_MODES = [
        (FORWARD_SCREEN, "Forward and screen (ring staff phones, press 1 to accept)"),
        (CARRIER_FORWARD, "Carrier forwarding (every call that arrives was missed)"),
        (STATUS_ONLY, "Status only (your own call flow, status callbacks to textback)"),
        (GENERIC_PBX, "Generic (a PBX reports finished calls)"),
    ]
    OURS, PROVIDER = "ours", "provider"
    KEYWORD_REPLIES = [
        (OURS, "textback answers STOP, START and HELP"),
        (PROVIDER, "the provider answers STOP, START and HELP itself"),
    ]

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="lines")
    account = models.ForeignKey(ProviderAccount, on_delete=models.PROTECT, related_name="lines")
    number = models.CharField(max_length=20, validators=[validate_e164])
    label = models.CharField(max_length=60, blank=True, help_text="Location or purpose, e.g. 'Austin office'.")
    call_mode = models.CharField(max_length=20, choices=CALL_MODES, default=FORWARD_SCREEN)
    forward_to = models.JSONField(default=list, blank=True, help_text="E.164 numbers rung at the same time.")
    ring_seconds = models.PositiveSmallIntegerField(default=20)
    staff_name = models.CharField(max_length=60, blank=True, help_text="Signs the text-back: 'this is Mike at …'.")
    textback_enabled = models.BooleanField(default=True)
    delay_seconds = models.PositiveIntegerField(default=0, help_text="Wait this long after the call before texting.")
    textback_template = models.TextField(default=DEFAULT_TEXTBACK_TEMPLATE, validators=[validate_template])
    voicemail_template = models.TextField(
        default=DEFAULT_VOICEMAIL_TEMPLATE,
        blank=True,
        validators=[validate_template],
        help_text="Used instead when the caller left a voicemail; blank means use the text-back template.",
    )
    after_hours_template = models.TextField(
        default=DEFAULT_AFTER_HOURS_TEMPLATE, blank=True, validators=[validate_template],
        help_text="Sent when the call comes while closed; blank: the text-back template.",
    )  # fmt: skip
    holiday_template = models.TextField(
        default=DEFAULT_HOLIDAY_TEMPLATE, blank=True, validators=[validate_template],
        help_text="Sent on a public holiday or a closure; blank: the after-hours template.",
    )  # fmt: skip
    repeat_caller_template = models.TextField(
        default=DEFAULT_REPEAT_CALLER_TEMPLATE, blank=True, validators=[validate_template],
        help_text="Sent in opening hours to a caller you called or texted before; blank: the text-back template.",
    )  # fmt: skip
    emergency_triage = models.BooleanField(
        default=False, help_text="After hours, ask whether it is an emergency (trades with after-hours dispatch)."
    )
    emergency_template = models.TextField(
        default=DEFAULT_EMERGENCY_TEMPLATE, blank=True, validators=[validate_template],
        help_text="Sent after hours when emergency triage is on; blank: the after-hours template.",
    )  # fmt: skip
    own_hours = models.BooleanField(
        default=False, help_text="On: this line keeps its own weekly hours (another location); off: the business's."
    )
    hours = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_hours],
        help_text='The line\'s own weekly spans: [[weekday 0=Mon, "08:00", "17:00"], …].',
    )
    record_voicemail = models.BooleanField(default=True)
    greeting = models.CharField(
        max_length=300,
        default="Sorry, nobody could take your call. Please leave a message after the tone, "
        "or hang up and we will text you.",
        blank=True,
    )
    keyword_replies = models.CharField(
        max_length=10,
        choices=KEYWORD_REPLIES,
        blank=True,
        help_text="Blank: the provider's usual (Twilio answers STOP/START/HELP on long codes itself; the sandbox does not).",
    )
    active = models.BooleanField(
        default=True, help_text="Off: the number was released or paused; nothing is sent from it, not even by staff."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["number"], name="one_line_per_number")]

    def __str__(self) -> str:
        return f"{phone.pretty(self.number)} {self.label}".strip()

    @property
    def provider(self) -> str:
        return self.account.provider

    def save(self, *args, **kwargs):
        if not self.keyword_replies:
            self.keyword_replies = self.PROVIDER if self.account.provider == TWILIO else self.OURS
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.account_id and self.business_id and self.account.business_id != self.business_id:
            raise ValidationError({"account": "the provider account belongs to another business"})
        for number in self.forward_to or []:
            if not isinstance(number, str) or not phone.is_e164(number):
                raise ValidationError({"forward_to": f"{number!r} is not a valid E.164 number"})
            if number == self.number:
                raise ValidationError(
                    {
                        "forward_to": (
                            f"{number} is this line's own number; ring staff phones, not the number callers dial "
                            "(the call would loop back into textback)"
                        )
                    }
                )
        if len(self.forward_to or []) > MAX_PHONES:
            raise ValidationError(
                {"forward_to": f"ring at most {MAX_PHONES} phones at once (Twilio dials no more than that together)"}
            )
        if self.call_mode == self.FORWARD_SCREEN and not self.forward_to:
            raise ValidationError(
                {
                    "forward_to": (
                        "a forward_screen line rings staff phones, so give at least one, "
                        "or choose another call mode such as carrier_forward"
                    )
                }
            )
        if self.ring_seconds is not None and not MIN_RING <= self.ring_seconds <= MAX_RING:
            raise ValidationError(
                {
                    "ring_seconds": (
                        f"give {MIN_RING} to {MAX_RING} seconds (20 rings out before most cell voicemail answers)"
                    )
                }
            )
