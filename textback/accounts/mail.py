"""Email as outbox work: durable, retried with backoff, recorded with its outcome.

`queue_email` writes the mail into the outbox inside the caller's transaction (an invitation and its
mail are written together or not at all); the worker hands it to Django's email backend: the SMTP
server of TEXTBACK_EMAIL_URL, or the sandbox mailbox. SMTP has no idempotency key, so a mail whose
attempt may have reached the server (the worker died mid-conversation) is sent again: at least once.
"""

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.utils import timezone

from textback.outbox import wake, worker
from textback.outbox.models import OutboxItem
from textback.providers.sandbox.mail import BUSINESS_HEADER

log = logging.getLogger(__name__)
EMAIL = "email"
SERVER = "mail"  # every mail goes to the one server of TEXTBACK_EMAIL_URL: the outbox sends few at a time
VALID_FOR = timedelta(days=2)  # an alert or an invitation older than this is not worth delivering


def queue_email(
    *, to: list[str], subject: str, body: str, key: str, business=None, html: str = "", expires_in=VALID_FOR,
    due_at=None,
) -> OutboxItem:  # fmt: skip
    """Send this mail as soon as a worker can, or at `due_at` (call inside the transaction that caused it).

    `key` makes it idempotent: a second call with the same key changes nothing."""
    now = timezone.now()
    due = due_at or now
    item, _ = OutboxItem.objects.get_or_create(
        idempotency_key=f"{EMAIL}:{key}"[:120],
        defaults={
            "business": business,
            "kind": EMAIL,
            "payload": {"to": list(to), "subject": subject[:300], "body": body, "html": html},
            "due_at": due,
            "expires_at": due + expires_in if expires_in else None,
            "created_at": now,
            "endpoint": SERVER,
        },
    )
    wake.after_commit(due, item.lane)
    return item


def _permanent(exc: Exception) -> bool:
    """A refusal that will not change on retry: every recipient refused, or a 5xx answer."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return True
    code = getattr(exc, "smtp_code", None)
    return isinstance(code, int) and 500 <= code < 600


@worker.handles(EMAIL, lane=worker.ALERTS)
def send_email(item: OutboxItem, reconcile: bool) -> None:
    payload = item.payload
    message = EmailMultiAlternatives(
        subject=payload["subject"],
        body=payload["body"],
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=payload["to"],
        headers={BUSINESS_HEADER: str(item.business_id)} if item.business_id else {},
    )
    if payload.get("html"):
        message.attach_alternative(payload["html"], "text/html")
    if settings.EMAIL_BACKEND.endswith("smtp.EmailBackend"):
        message.extra_headers.pop(BUSINESS_HEADER, None)  # ours alone; never on the wire
    try:
        with get_connection(fail_silently=False) as connection:
            connection.send_messages([message])
    except (TimeoutError, smtplib.SMTPException, OSError) as exc:
        error = f"{type(exc).__name__}: {exc}"[:300]
        with transaction.atomic():
            if not worker.still_ours(item):
                return
            if _permanent(exc) or worker.retry_later(item, error, uncertain=False) is None:
                worker.finish(item, OutboxItem.DEAD, "refused" if _permanent(exc) else "gave_up", error)
                log.warning("email %s not delivered: %s", item.pk, error)
        return
    with transaction.atomic():
        worker.finish(item, OutboxItem.DONE, "sent")


SANDBOX_BACKEND = "textback.providers.sandbox.mail.MailboxBackend"


def in_sandbox() -> bool:
    """Mail is kept in the sandbox mailbox (no TEXTBACK_EMAIL_URL), not sent to a server."""
    return settings.EMAIL_BACKEND == SANDBOX_BACKEND
