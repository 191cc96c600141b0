"""The owner's changes to a business's alert webhooks, and the "send a test" button."""

import uuid

from django.utils import timezone

from textback.alerts import compose, events
from textback.alerts.models import Alert, AlertWebhook, new_webhook_secret


def do_save_webhook(form, business) -> AlertWebhook:
    """Create or update the webhook the (valid) form describes."""
    hook = form.save(commit=False)
    hook.business = business
    if form.cleaned_data.get("new_secret"):
        hook.secret = new_webhook_secret()
    hook.save()
    return hook


def do_delete_webhook(hook: AlertWebhook) -> None:
    """Delete it; alerts already queued for it are not sent, and their records stay."""
    hook.delete()


def do_send_test(hook: AlertWebhook) -> Alert:
    """Queue a test alert to this webhook (even a paused one), recorded like every alert."""
    event = compose.Event(compose.TEST, hook.business, at=timezone.now())
    events.alert_webhooks(event, f"test:{uuid.uuid4().hex}", hooks=[_testing(hook)])
    return Alert.objects.filter(webhook=hook, event=Alert.TEST).latest("created_at")


def _testing(hook: AlertWebhook) -> AlertWebhook:
    hook.wants = lambda event: True  # a test goes whatever events the webhook is for
    return hook
