"""Businesses (the tenants) and who may act for them."""

import secrets
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from textback.calls.outcomes import DEFAULT_TEXTBACK_OUTCOMES, OUTCOMES
from textback.lib.phone import InvalidNumber, to_e164


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a time zone name such as America/Chicago")


def validate_countries(value: str) -> None:
    for code in value.split(","):
        if len(code.strip()) != 2 or not code.strip().isalpha():
            raise ValidationError(f"{code!r} is not a two-letter country code such as US")


def validate_outcomes(value: str) -> None:
    for outcome in value.split(","):
        if outcome.strip() and outcome.strip() not in OUTCOMES:
            raise ValidationError(f"{outcome!r} is not a call outcome; use one of {', '.join(OUTCOMES)}")


def new_signing_secret() -> str:
    return secrets.token_urlsafe(32)


class Business(models.Model):
    """A tenant: one company using textback, with its own lines, contacts and staff."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=60, unique=True)
    time_zone = models.CharField(max_length=64, default="America/Chicago", validators=[validate_time_zone])
    country = models.CharField(max_length=2, default="US")
    help_contact = models.CharField(
        max_length=160, blank=True, help_text="How a caller reaches you, for HELP replies: a phone, email or URL."
    )
    textback_outcomes = models.CharField(
        max_length=200,
        default=",".join(DEFAULT_TEXTBACK_OUTCOMES),
        validators=[validate_outcomes],
        help_text="Call outcomes that get a text-back, comma-separated.",
    )
    allowed_countries = models.CharField(
        max_length=200,
        default="US,CA",
        validators=[validate_countries],
        help_text="Callers outside these are not texted.",
    )
    cooldown_hours = models.PositiveIntegerField(
        default=24, help_text="A caller texted automatically is not texted automatically again within this time."
    )
    staleness_minutes = models.PositiveIntegerField(
        default=15, help_text="A text-back this late is recorded as expired, never sent."
    )
    signing_secret = models.CharField(
        max_length=80, default=new_signing_secret, help_text="HMAC key for /hooks/generic/call."
    )
    booking_link = models.URLField(
        max_length=200, blank=True, help_text="Where a caller books a visit online ({booking_link}, the BOOK reply)."
    )
    sla_amber_minutes = models.PositiveIntegerField(
        default=5, help_text="A caller's message unanswered this long shows amber in the inbox."
    )
    sla_red_minutes = models.PositiveIntegerField(
        default=15, help_text="A caller's message unanswered this long shows red in the inbox."
    )
    escalate_after_minutes = models.PositiveIntegerField(
        default=5, help_text="A caller's message unanswered this long in opening hours alerts the managers."
    )
    texts_per_hour = models.PositiveIntegerField(
        default=200, help_text="At most this many automatic texts in a clock hour; 0: no cap."
    )
    texts_per_day = models.PositiveIntegerField(
        default=1000, help_text="At most this many automatic texts in a day (the business's time zone); 0: no cap."
    )
    public_holidays = models.BooleanField(
        default=True, help_text="Closed on public holidays (of holiday_country, or the business's country)."
    )
    holiday_country = models.CharField(
        max_length=2, blank=True, help_text="Whose public holidays; blank: the business's country."
    )
    holiday_subdivision = models.CharField(
        max_length=10, blank=True, help_text="A state or region code for regional holidays, e.g. TX, ON, SCT."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "businesses"

    def __str__(self) -> str:
        return self.name

    @property
    def outcome_set(self) -> frozenset[str]:
        return frozenset(o.strip() for o in self.textback_outcomes.split(",") if o.strip())

    @property
    def holiday_region(self) -> tuple[str, str]:
        """(country, subdivision) of the public holidays that close it; ("", "") when switched off."""
        if not self.public_holidays:
            return "", ""
        return (self.holiday_country or self.country).upper(), self.holiday_subdivision.upper()

    @property
    def country_set(self) -> frozenset[str]:
        return frozenset(c.strip().upper() for c in self.allowed_countries.split(",") if c.strip())


class AutoTextTally(models.Model):
    """How many automatic texts a business sent (and how many calls the caps skipped) in one hour or one day,
    read by the text-back decision's one query (textback/rules/caps.py). A window's count is spread over SLOTS
    rows (by contact), so concurrent calls to one business do not all wait for the same row's lock."""

    HOUR, DAY = "hour", "day"
    SLOTS = 8

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    period = models.CharField(max_length=4, choices=[(HOUR, "Hour"), (DAY, "Day")])
    starts_at = models.DateTimeField(help_text="The period's first moment: a UTC hour, or the business's midnight.")
    slot = models.PositiveSmallIntegerField(default=0)
    texts = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0, help_text="Calls not texted because the cap was reached.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["business", "period", "starts_at", "slot"], name="one_tally_per_window")
        ]


class OpeningHours(models.Model):
    """One opening span of a weekday, in the business's time zone; a day with none is closed.

    A business with no spans at all is treated as always open (nothing configured yet)."""

    WEEKDAYS = [(0, "Monday"), (1, "Tuesday"), (2, "Wednesday"), (3, "Thursday"), (4, "Friday"), (5, "Saturday"),
                (6, "Sunday")]  # fmt: skip

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(choices=WEEKDAYS)
    opens = models.TimeField()
    closes = models.TimeField(help_text="Before `opens` means the span runs past midnight.")

    class Meta:
        ordering = ["weekday", "opens"]
        verbose_name_plural = "opening hours"

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class Membership(models.Model):
    """A user acting for a business, with a role, the lines they serve and how they want to be alerted."""

    OWNER, MANAGER, AGENT = "owner", "manager", "agent"
    ROLES = [(OWNER, "Owner"), (MANAGER, "Manager"), (AGENT, "Agent")]

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=ROLES, default=AGENT)
    lines = models.ManyToManyField(
        "providers.Line",
        blank=True,
        related_name="members",
        help_text="The lines this person serves; none: every line.",
    )
    phone = models.CharField(
        max_length=20, blank=True, help_text="This person's own phone (E.164), for SMS alerts and answering by text."
    )
    phone_verified = models.CharField(
        max_length=20, blank=True, editable=False,
        help_text="The phone whose texted code this person typed back: the phone is verified while it is this one.",
    )  # fmt: skip
    phone_verified_at = models.DateTimeField(null=True, blank=True, editable=False)
    alert_email = models.BooleanField(default=True)
    alert_sms = models.BooleanField(default=False)
    alert_browser = models.BooleanField(default=True)
    alert_on_reply = models.BooleanField(
        default=True, help_text="A caller replied in a conversation of mine or my lines."
    )
    alert_on_missed_call = models.BooleanField(default=False)
    alert_on_sla = models.BooleanField(default=True, help_text="Managers: a caller waited too long for an answer.")
    quiet_start = models.TimeField(
        null=True, blank=True, help_text="No alerts from this time (my business's time zone)…"
    )
    quiet_end = models.TimeField(null=True, blank=True, help_text="…until this time.")
    escalations_in_quiet_time = models.BooleanField(
        default=False, help_text="SLA escalations reach me even in my quiet time."
    )
    weekly_summary = models.BooleanField(
        default=False, help_text="Email me the week's recovery report on Monday morning (textback/reports/weekly.py)."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "business"], name="one_membership_per_user"),
            models.UniqueConstraint(
                fields=["business", "phone"],
                condition=~models.Q(phone=""),
                name="one_member_per_phone",
                violation_error_message="That phone is already another member's phone at this business.",
            ),  # fmt: skip
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) at {self.business}"

    @property
    def phone_is_verified(self) -> bool:
        """Text alerts and the SMS relay work only for a phone whose code this person typed back."""
        return bool(self.phone) and self.phone == self.phone_verified

    def clean(self) -> None:
        """The phone in E.164 (the admin cannot store "512-555-0188"); a phone other than the verified one
        un-verifies it, so going back to an old number also needs a new code."""
        super().clean()
        raw = (self.phone or "").strip()
        if raw:
            country = self.business.country if self.business_id else "US"
            try:
                self.phone = to_e164(raw, country or "US")
            except InvalidNumber:
                raise ValidationError({"phone": f"“{raw[:40]}” is not a phone number we can text."}) from None
        else:
            self.phone = ""
        if self.phone != self.phone_verified:
            self.phone_verified, self.phone_verified_at = "", None


def businesses_for(user) -> models.QuerySet[Business]:
    """The businesses a signed-in user may see; everything tenant-owned is reached through this."""
    if not user.is_authenticated:
        return Business.objects.none()
    return Business.objects.filter(memberships__user=user)


class Invitation(models.Model):
    """An emailed, single-use, expiring invitation to join a business with a role. Only a hash of the
    link's token is stored."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Membership.ROLES, default=Membership.AGENT)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.email} as {self.role} at {self.business}"


class LoginThrottle(models.Model):
    """Login attempts counted against one account or one client address until its window ends.

    The key is an HMAC of the normalised username (never the text typed, which may be a password
    typed into the wrong field) or the client's address; see accounts/throttle.py.
    """

    key = models.CharField(max_length=100, unique=True)
    count = models.PositiveIntegerField(default=0)
    window_ends = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.count} until {self.window_ends:%Y-%m-%d %H:%M:%S}"


class TwoFactor(models.Model):
    """A person's TOTP authenticator: the shared secret (encrypted at rest) and whether it is switched on.

    The row exists from set-up; only `confirmed_at` (set when the person typed a right code) makes
    sign-in ask for a code. `last_step` is the time step of the last code accepted, so a code seen over
    someone's shoulder cannot be used a second time."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="two_factor")
    secret_encrypted = models.TextField(editable=False)
    created_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_step = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"two-factor for {self.user} ({'on' if self.confirmed_at else 'being set up'})"

    def __repr__(self) -> str:  # never the secret, even in a traceback
        return f"<TwoFactor {self.pk} user={self.user_id}>"


class RecoveryCode(models.Model):
    """A single-use code that signs in instead of the authenticator's (a lost phone). Only its sha256 is kept."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "code_hash"])]
