from django.conf import settings
from django.db import models

from textback.accounts.models import Business


class ApiToken(models.Model):
    """A business's key to /api/v1: shown once as `tbk_<prefix>_<secret>`, kept as the prefix (to find the row) and
    the SHA-256 of the secret (the secret is 256 random bits, so a plain hash cannot be reversed by guessing).

    The rate limit is counted on the row itself (rate_count within the window ending rate_window_ends), so one
    UPDATE per request counts it in every process and stamps last_used_at."""

    READ, READ_WRITE = "read", "read_write"
    SCOPES = [(READ, "Read"), (READ_WRITE, "Read and write")]

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What it is for, e.g. 'Zapier' or 'CRM sync'.")
    scope = models.CharField(max_length=10, choices=SCOPES, default=READ)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Texts sent with a read-write token are sent as this person.",
    )
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    rate_count = models.PositiveIntegerField(default=0)
    rate_window_ends = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["business", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.name} (tbk_{self.prefix}_…)"

    def __repr__(self) -> str:  # never the hash, even in a traceback
        return f"<ApiToken {self.pk} {self.prefix} {self.scope}>"

    @property
    def can_write(self) -> bool:
        return self.scope == self.READ_WRITE

    @property
    def shown(self) -> str:
        return f"tbk_{self.prefix}_…"
