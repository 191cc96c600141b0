"""Password reset by email, the mail sent as outbox work.

Django's reset views and tokens do the rest: a link is good for PASSWORD_RESET_TIMEOUT (three days)
and once only (the token covers the password hash and the last login, so either changing ends it).
An unknown address gets the same answer as a known one, so the form tells nobody who has an account.

The mail is personal (it belongs to no business): in the sandbox mailbox only its addressee reads it,
never a colleague or an owner, since whoever holds the link holds the account (and an agency user's
account reaches other businesses too). A solo owner locked out in the sandbox uses
`textback changepassword`. Requests for one account within ten minutes make one mail.
"""

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from textback.accounts.mail import queue_email
from textback.accounts.plain_forms import PlainWords

REPEAT_WINDOW = 600  # seconds in which repeated requests for one account make one mail


class NewPasswordForm(PlainWords, SetPasswordForm):
    """The page a reset link opens: the new password twice."""

    error_messages = {"password_mismatch": "The two passwords are not the same; type the new one twice."}


class ResetForm(PlainWords, PasswordResetForm):
    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email, html_email_template_name=None):  # fmt: skip
        user = context["user"]
        context["link"] = settings.PUBLIC_URL + reverse(
            "account:password-reset-confirm", kwargs={"uidb64": context["uid"], "token": context["token"]}
        )
        body = render_to_string(email_template_name, context)
        window = int(timezone.now().timestamp()) // REPEAT_WINDOW
        queue_email(to=[to_email], subject="Reset your textback password", body=body, key=f"reset:{user.pk}:{window}")
