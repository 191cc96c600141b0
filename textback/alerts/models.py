"""Staff alerts (one row per alert per person or webhook, with its outcome), the business's outgoing
webhooks, and the texts staff phones send to a business line (the SMS relay)."""

import secrets
import uuid

from django.conf import settings
from django.db import models

from textback.accounts.models import Business, Membership


def new_webhook_secret() -> str:
    return secrets.token_urlsafe(32)


class AlertWebhook(models.Model):
    """Where a business's alerts are also posted: a Slack-compatible incoming webhook, or signed JSON."""

    SLACK, GENERIC = "slack", "generic"
    KINDS = [(SLACK, "Slack-compatible (Slack, Mattermost, Rocket.Chat)"), (GENERIC, "Signed JSON (your own system)")]

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="alert_webhooks")
    name = models.CharField(max_length=60, blank=True, help_text="For you, e.g. 'Dispatch channel'.")
    kind = models.CharField(max_length=10, choices=KINDS, default=SLACK)
    url = models.CharField(max_length=500)
    secret = models.CharField(max_length=80, default=new_webhook_secret, help_text="HMAC key for signed JSON.")
    on_reply = models.BooleanField(default=True)
    on_missed_call = models.BooleanField(default=False)
    on_sla = models.BooleanField(default=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.name or self.url

    def wants(self, event: str) -> bool:
        return {Alert.REPLY: self.on_reply, Alert.MISSED_CALL: self.on_missed_call, Alert.SLA: self.on_sla}.get(
            event, event == Alert.TEST
        )


class Alert(models.Model):
    """One alert on one channel to one person (or webhook), written with the outbox row that carries it."""

    REPLY, MISSED_CALL, SLA, TEST, RELAY, PHONE_CODE = "reply", "missed_call", "sla", "test", "relay", "phone_code"
    PAGE = "page"  # an emergency page to the on-call person (rules/paging.py)
    EVENTS = [(REPLY, "Caller replied"), (MISSED_CALL, "Missed call"), (SLA, "Waiting too long"),
              (TEST, "Test"), (RELAY, "Answer to a staff phone"), (PHONE_CODE, "Code verifying a staff phone"),
              (PAGE, "Emergency page")]  # fmt: skip
    EMAIL, SMS, WEBHOOK = "email", "sms", "webhook"
    CHANNELS = [(EMAIL, "Email"), (SMS, "Text to staff phone"), (WEBHOOK, "Webhook")]
    QUEUED, RETRYING, SENT, FAILED, CANCELED = "queued", "retrying", "sent", "failed", "canceled"
    STATUSES = [(QUEUED, "Queued"), (RETRYING, "Retrying"), (SENT, "Sent"), (FAILED, "Failed"),
                (CANCELED, "Not sent")]  # fmt: skip

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="alerts")
    event = models.CharField(max_length=12, choices=EVENTS)
    channel = models.CharField(max_length=8, choices=CHANNELS)
    conversation = models.ForeignKey(
        "messaging.Conversation", null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    call = models.ForeignKey("calls.Call", null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts")
    line = models.ForeignKey(
        "providers.Line", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The line a staff text goes from.",
    )  # fmt: skip
    membership = models.ForeignKey(Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    webhook = models.ForeignKey(AlertWebhook, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts")
    to = models.CharField(max_length=500, help_text="The address, phone or URL it goes to.")
    code = models.CharField(max_length=4, blank=True, help_text="The #code a staff phone answers this alert with.")
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    payload = models.JSONField(default=dict, blank=True, help_text="A webhook's JSON body, as of the event.")
    key = models.CharField(max_length=120, unique=True, help_text="Makes queuing the same alert twice a no-op.")
    ref = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    outbox = models.OneToOneField(
        "outbox.OutboxItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="alert"
    )
    status = models.CharField(max_length=10, choices=STATUSES, default=QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["business", "-created_at"], name="alert_latest"),
            models.Index(fields=["line", "to", "-created_at"], name="alert_relay_lookup"),
            models.Index(fields=["webhook", "-created_at"], name="alert_webhook_latest"),
        ]

    def __str__(self) -> str:
        return f"{self.event} by {self.channel} to {self.to}: {self.status}"


class StaffText(models.Model):
    """A text a staff phone sent to a business line: never a customer's message, and what the relay did."""

    RELAYED, HELPED, NOT_SENT, OPTED_OUT, OPTED_IN = "relayed", "helped", "not_sent", "opted_out", "opted_in"
    AUTO_REPLY, UNVERIFIED, IGNORED, ACKED = "auto_reply", "unverified", "ignored", "acked"
    OUTCOMES = [(RELAYED, "Sent to the caller"), (HELPED, "Answered with help"), (NOT_SENT, "Not sent"),
                (OPTED_OUT, "Opted out"), (OPTED_IN, "Opted back in"),
                (AUTO_REPLY, "An automatic reply: ignored"), (UNVERIFIED, "Phone not verified: not sent"),
                (IGNORED, "From one of the business's own lines: ignored"),
                (ACKED, "An emergency page acknowledged (ACK)")]  # fmt: skip

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    line = models.ForeignKey("providers.Line", on_delete=models.CASCADE, related_name="+")
    from_number = models.CharField(max_length=64)
    membership = models.ForeignKey(Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField()
    provider = models.CharField(max_length=20)
    provider_message_id = models.CharField(max_length=64, null=True, blank=True)
    conversation = models.ForeignKey(
        "messaging.Conversation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.ForeignKey(
        "messaging.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The answer sent to the caller.",
    )  # fmt: skip
    outcome = models.CharField(max_length=10, choices=OUTCOMES)
    detail = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_message_id"],
                condition=models.Q(provider_message_id__isnull=False),
                name="one_staff_text_per_provider_id",
            )
        ]


class PhoneCode(models.Model):
    """A one-time code texted from a business line to a person's phone; typing it back on My settings proves
    the phone is theirs (alerts/verify.py). Only an HMAC of the code is kept."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="phone_codes")
    phone = models.CharField(max_length=20, help_text="The phone the code was texted to.")
    line = models.ForeignKey("providers.Line", null=True, on_delete=models.SET_NULL, related_name="+")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    wrong_tries = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["membership", "-created_at"], name="phone_code_latest")]

    def __str__(self) -> str:
        return f"code for {self.phone} ({'used' if self.used_at else 'unused'})"
