"""Contacts, conversations, messages and the consent ledger."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from textback.accounts.models import Business
from textback.lib import phone


class Contact(models.Model):
    """A caller, unique per business by number."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="contacts")
    number = models.CharField(max_length=64, help_text="E.164 when it is a phone number; else as the carrier sent it.")
    name = models.CharField(max_length=100, blank=True)
    is_landline = models.BooleanField(default=False, help_text="The carrier said this number cannot receive texts.")
    is_invalid = models.BooleanField(default=False, help_text="The carrier said this number does not exist.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_contacts",
        help_text="The technician this customer belongs to.",
    )
    tags = models.JSONField(default=list, blank=True, help_text="Short labels, e.g. ['commercial', 'warranty'].")
    # Nullable so that adding them is an ALTER TABLE on SQLite, not a remade table (see the Meta note).
    automation_paused_at = models.DateTimeField(
        null=True, blank=True, help_text="Automatic texts to this caller stop until a person resumes them."
    )
    automation_paused_why = models.CharField(max_length=200, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["business", "number"], name="one_contact_per_number")]
        # The search's trigram index of `name` is outside Django's sight (migration 0005). On SQLite its triggers
        # live on this table: a migration that remakes the table there (most AlterFields do) must add them again.

    def __str__(self) -> str:
        if self.number.startswith(phone.ERASED):  # messaging/records.py: the number is a keyed hash now
            return "Erased contact"
        return self.name or phone.pretty(self.number)

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.strip() else ""


class ExcludedNumber(models.Model):
    """A number the business never wants texted automatically (staff, vendors, family)."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="excluded_numbers")
    number = models.CharField(max_length=20)
    label = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["business", "number"], name="one_exclusion_per_number")]

    def __str__(self) -> str:
        return f"{self.number} {self.label}".strip()


class Conversation(models.Model):
    """The thread between one line of the business and one contact."""

    OPEN, CLOSED = "open", "closed"
    BOOKED, NO_SHOW, LOST, SPAM = "booked", "no_show", "lost", "spam"
    OUTCOMES = [(BOOKED, "Booked"), (NO_SHOW, "No-show"), (LOST, "Lost"), (SPAM, "Spam / wrong number")]
    # How the thread began (its source tag; set once, when the row is created).
    MISSED_CALL, INBOUND_SMS, STAFF_STARTED, API = "missed_call", "inbound_sms", "staff", "api"
    SOURCES = [
        (MISSED_CALL, "MCT-Inbound (a missed call)"),
        (INBOUND_SMS, "SMS-Inbound (the caller texted first)"),
        (STAFF_STARTED, "Staff-Outbound (started from the inbox)"),
        (API, "API (started through /api/v1)"),
    ]

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="conversations")
    line = models.ForeignKey("providers.Line", on_delete=models.CASCADE, related_name="conversations")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="conversations")
    status = models.CharField(max_length=10, choices=[(OPEN, "Open"), (CLOSED, "Closed")], default=OPEN)
    source = models.CharField(max_length=12, choices=SOURCES, blank=True, help_text="How the thread began.")
    last_message_at = models.DateTimeField(null=True, blank=True)
    last_inbound_at = models.DateTimeField(null=True, blank=True, help_text="When the caller last wrote.")
    awaiting_since = models.DateTimeField(
        null=True, blank=True, help_text="The caller's oldest message no person has answered yet (the SLA clock)."
    )
    staff_replied_at = models.DateTimeField(
        null=True, blank=True, help_text="When a person last answered; automation stays quiet once one has."
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_conversations",
    )
    outcome = models.CharField(max_length=10, choices=OUTCOMES, blank=True)
    outcome_value = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, help_text="The booked job's value."
    )
    lost_reason = models.CharField(max_length=200, blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)
    outcome_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["line", "contact"], name="one_conversation_per_line_contact")]
        indexes = [
            models.Index(fields=["business", "-last_message_at", "-id"], name="conversation_latest"),
            models.Index(fields=["business", "status", "-last_message_at", "-id"], name="conversation_status_latest"),
            # The inbox's source and outcome filters: a rare tag's page is then an index range, not a scan.
            models.Index(fields=["business", "source", "-last_message_at", "-id"], name="conversation_source_latest"),
            models.Index(fields=["business", "outcome", "-last_message_at", "-id"], name="conversation_outcome_latest"),
        ]


class ConversationRead(models.Model):
    """How far a person has read a conversation: unread when the caller wrote after `read_at`."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="reads")
    read_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "conversation"], name="one_read_mark_per_user")]
        indexes = [models.Index(fields=["user", "read_at"], name="read_mark_latest")]  # the inbox's change stamp


class ConversationEvent(models.Model):
    """What people and automation did to a conversation (assigned, closed, outcome set, note added …),
    for its timeline. Append-only by convention."""

    ASSIGNED, UNASSIGNED, CLOSED, REOPENED, OUTCOME, OUTCOME_CLEARED, NOTE = (
        "assigned", "unassigned", "closed", "reopened", "outcome", "outcome_cleared", "note")  # fmt: skip
    AUTOMATION_CANCELED = "automation_canceled"  # pending automatic texts canceled by a staff reply
    CONTACT_NAMED = "contact_named"  # the caller's name set or changed on the contact page (body: the new name)

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=24)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Who it was about, e.g. the new assignee.",
    )  # fmt: skip
    body = models.TextField(blank=True, help_text="An internal note's text, or the event's details.")
    at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["conversation", "at"]),
            models.Index(fields=["business", "id"], name="conversation_event_latest"),  # the inbox's change stamp
        ]
        ordering = ["at", "pk"]


class CannedReply(models.Model):
    """A saved answer staff can send with one click (merge fields allowed, as in templates)."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="canned_replies")
    title = models.CharField(max_length=60)
    body = models.TextField(max_length=1600)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "canned replies"
        constraints = [models.UniqueConstraint(fields=["business", "title"], name="one_canned_reply_per_title")]

    def __str__(self) -> str:
        return self.title


class MessageStatus:
    """Outbound statuses in the order they can happen. A status never moves a message backward."""

    SCHEDULED = "scheduled"  # waiting in our outbox
    SUBMITTING = "submitting"  # a worker is handing it to the provider; too late to cancel
    QUEUED = "queued"  # the provider accepted it
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    READ = "read"
    CANCELED = "canceled"  # ours: a reply or an opt-out made it moot before it was sent
    EXPIRED = "expired"  # ours: too late to be worth sending
    SUPPRESSED = "suppressed"  # ours: the recipient opted out before it was sent
    RECEIVED = "received"  # inbound

    RANK = {
        SCHEDULED: 0,
        SUBMITTING: 1,
        QUEUED: 2,
        SENDING: 3,
        SENT: 4,
        DELIVERED: 6,
        UNDELIVERED: 6,
        FAILED: 6,
        CANCELED: 6,
        EXPIRED: 6,
        SUPPRESSED: 6,
        READ: 7,
        RECEIVED: 7,
    }
    # What providers send, mapped to ours.
    FROM_PROVIDER = {
        "accepted": QUEUED,
        "scheduled": QUEUED,
        "queued": QUEUED,
        "sending": SENDING,
        "sent": SENT,
        "delivered": DELIVERED,
        "undelivered": UNDELIVERED,
        "failed": FAILED,
        "read": READ,
        "canceled": FAILED,
        "partially_delivered": DELIVERED,
    }
    NOT_SENT = (CANCELED, EXPIRED, SUPPRESSED)
    PENDING = (SCHEDULED, SUBMITTING)  # not yet with the provider

    @classmethod
    def moves_forward(cls, current: str, new: str) -> bool:
        return cls.RANK[new] > cls.RANK[current]


class Message(models.Model):
    """One text, in either direction, with how it was encoded and what became of it."""

    IN, OUT = "in", "out"
    # Who wrote it.
    CONTACT, SYSTEM, STAFF, AUTOMATION = "contact", "system", "staff", "automation"
    PEOPLE = (CONTACT, STAFF)  # texts people wrote: the inbox's search finds these (migration 0005's index)
    # Why it was sent.
    TEXTBACK, FOLLOWUP, REPLY, OPT_OUT_CONFIRMATION, OPT_IN_CONFIRMATION, HELP, INBOUND = (
        "textback",
        "followup",
        "reply",
        "opt_out_confirmation",
        "opt_in_confirmation",
        "help",
        "inbound",
    )
    AUTOMATIC = (TEXTBACK, FOLLOWUP)  # what the cool-down counts and an opt-out or a reply cancels

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="messages")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="messages")
    line = models.ForeignKey("providers.Line", on_delete=models.CASCADE, related_name="messages")
    call = models.ForeignKey("calls.Call", null=True, blank=True, on_delete=models.SET_NULL, related_name="messages")
    direction = models.CharField(max_length=3, choices=[(IN, "Inbound"), (OUT, "Outbound")])
    sender_kind = models.CharField(max_length=12, default=SYSTEM)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    purpose = models.CharField(max_length=24)
    body = models.TextField()
    media = models.JSONField(
        default=list, blank=True, help_text="Pictures and files of an MMS: [{url, content_type}], https only."
    )
    encoding = models.CharField(max_length=8)
    units = models.PositiveIntegerField(default=0)
    segments = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=12)
    status_at = models.DateTimeField()
    provider = models.CharField(max_length=20)
    provider_message_id = models.CharField(max_length=64, null=True, blank=True)
    error_code = models.CharField(max_length=16, blank=True)
    error_message = models.CharField(max_length=300, blank=True)
    ref = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_message_id"],
                condition=Q(provider_message_id__isnull=False),
                name="one_message_per_provider_id",
            )
        ]
        indexes = [
            models.Index(fields=["conversation", "created_at"]),
            models.Index(fields=["business", "contact", "purpose", "created_at"]),
            models.Index(fields=["business", "created_at"], name="message_business_time"),  # the report's days
        ]
        # The search's trigram index of `body`, as for Contact.name (migration 0005).

    def __str__(self) -> str:
        return f"{self.direction} {self.purpose} {self.status}"

    @property
    def error_explanation(self) -> str:
        """The provider's error code in plain words, for staff ('' when the code is unknown)."""
        from textback.providers.registry import explain_error

        return explain_error(self.provider, self.error_code) if self.error_code else ""


class MessageStatusEvent(models.Model):
    """Every status we learnt for a message, in arrival order, including ones that did not apply."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="status_events")
    status = models.CharField(max_length=20)
    error_code = models.CharField(max_length=16, blank=True)
    detail = models.CharField(max_length=300, blank=True)
    applied = models.BooleanField(default=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]


class AppendOnly(Exception):
    """The consent ledger is never edited or deleted from."""


class ConsentQuerySet(models.QuerySet):
    """Bulk edits of the ledger are refused too (cascades from a deleted business still work)."""

    def update(self, **kwargs):
        raise AppendOnly("consent events are never changed; record a new one")

    def delete(self):
        raise AppendOnly("consent events are never deleted")


class ConsentEvent(models.Model):
    """The consent ledger: every opt-out, opt-in and help request, in order. Append-only."""

    OPT_OUT, OPT_IN, HELP = "opt_out", "opt_in", "help"
    KINDS = [(OPT_OUT, "Opted out"), (OPT_IN, "Opted back in"), (HELP, "Asked for help")]
    # Where it came from.
    KEYWORD, PHRASE, PROVIDER, STAFF = "keyword", "phrase", "provider", "staff"

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="consent_events")
    number = models.CharField(max_length=64)
    kind = models.CharField(max_length=10, choices=KINDS)
    source = models.CharField(max_length=10, default=KEYWORD)
    keyword = models.CharField(
        max_length=160, blank=True, help_text="The carrier keyword, or the words of an opt-out by phrase as typed."
    )
    line = models.ForeignKey("providers.Line", null=True, blank=True, on_delete=models.SET_NULL)
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField()

    objects = ConsentQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["business", "number", "created_at"])]
        ordering = ["created_at", "pk"]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnly("consent events are never changed; record a new one")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("consent events are never deleted")


class Suppression(models.Model):
    """An opt-out that outlives an erased contact: the number kept only as a keyed hash (records.number_hash),
    checked by the text-back decision and at send time like the ledger."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    number_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["business", "number_hash"], name="one_suppression_per_hash")]


class Erasure(models.Model):
    """The audit row of a contact's data erased on request (GDPR/CCPA): who, when, and what was blanked."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    number_hash = models.CharField(max_length=64)
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    counts = models.JSONField(default=dict, help_text="How many messages, calls, notes and ledger rows were blanked.")
    suppressed = models.BooleanField(default=False, help_text="The number had opted out; its hash stays suppressed.")
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-pk"]
