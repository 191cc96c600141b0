"""The email twin of the phone simulator: a Django email backend that keeps mail in the database.

Used when TEXTBACK_EMAIL_URL is unset. Nothing leaves the machine; the sandbox mailbox page shows each
mail to members of the business it was sent for (the `X-Textback-Business` header textback puts on its
own mail, which is not stored) or to the person it was addressed to.
"""

from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

BUSINESS_HEADER = "X-Textback-Business"


class MailboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        from textback.providers.sandbox.models import SandboxEmail

        sent = 0
        for message in email_messages:
            business_id = message.extra_headers.get(BUSINESS_HEADER)
            html = next((content for content, kind in getattr(message, "alternatives", []) if kind == "text/html"), "")
            SandboxEmail.objects.create(
                business_id=int(business_id) if business_id else None,
                from_email=message.from_email or "",
                to=[*message.to, *message.cc, *message.bcc],
                subject=message.subject[:300],
                body=message.body,
                html_body=html,
                sent_at=timezone.now(),
            )
            sent += 1
        return sent
