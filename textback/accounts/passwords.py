"""Password reset by email, the mail sent as outbox work.

Django's reset views and tokens do the rest: a link is good for PASSWORD_RESET_TIMEOUT (three days)
and once only (the token covers the password hash and the last login, so either changing ends it).
An unknown address gets the same answer as a known one, so the form tells nobody who has an account.

In the sandbox (no SMTP server) a copy is kept for each business the person belongs to, so whoever can
see that business's sandbox mailbox (a colleague, or the demo's newcomer) finds the link; with a real
server the person gets one mail. Requests for one account within ten minutes make one mail.
"""

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from textback.accounts.mail import in_sandbox, queue_email
from textback.accounts.models import Business

REPEAT_WINDOW = 600  # seconds in which repeated requests for one account make one mail


class ResetForm(PasswordResetForm):
    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email, html_email_template_name=None):  # fmt: skip
        user = context["user"]
        context["link"] = settings.PUBLIC_URL + reverse(
            "account:password-reset-confirm", kwargs={"uidb64": context["uid"], "token": context["token"]}
        )
        body = render_to_string(email_template_name, context)
        businesses = list(Business.objects.filter(memberships__user=user).order_by("pk")) or [None]
        window = int(timezone.now().timestamp()) // REPEAT_WINDOW
        for business in businesses if in_sandbox() else businesses[:1]:
            queue_email(
                to=[to_email],
                subject="Reset your textback password",
                body=body,
                key=f"reset:{user.pk}:{business.pk if business else 0}:{window}",
                business=business,
            )
