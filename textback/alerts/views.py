"""The owner's settings page for alert webhooks: list, add, edit, delete, send a test."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from textback.accounts.access import business_or_404
from textback.alerts import actions
from textback.alerts.forms import WebhookForm
from textback.alerts.models import Alert, AlertWebhook

RECENT = 20


def _page(request, business, form, status: int = 200):
    hooks = AlertWebhook.objects.filter(business=business)
    recent = (
        Alert.objects.filter(business=business, channel=Alert.WEBHOOK)
        .select_related("webhook")
        .order_by("-created_at", "-pk")[:RECENT]
    )
    context = {"business": business, "hooks": hooks, "form": form, "recent": recent}
    return render(request, "alerts/webhooks.html", context, status=status)


@login_required
def webhooks(request, slug: str):
    business = business_or_404(request, slug, "manage_webhooks")
    if request.method != "POST":
        return _page(request, business, WebhookForm())
    form = WebhookForm(request.POST, instance=AlertWebhook(business=business))
    if not form.is_valid():
        return _page(request, business, form, status=400)
    with transaction.atomic():
        hook = actions.do_save_webhook(form, business)
    messages.success(request, f"Added the webhook {hook}. Use “Send a test” to check it arrives.")
    return redirect("alert-webhooks", slug=business.slug)


@login_required
def webhook(request, slug: str, pk: int):
    business = business_or_404(request, slug, "manage_webhooks")
    hook = get_object_or_404(AlertWebhook, business=business, pk=pk)
    form = WebhookForm(request.POST or None, instance=hook)
    if request.method == "POST":
        if form.is_valid():
            with transaction.atomic():
                actions.do_save_webhook(form, business)
            messages.success(request, f"Saved the webhook {hook}.")
            return redirect("alert-webhooks", slug=business.slug)
    context = {"business": business, "hook": hook, "form": form}
    return render(request, "alerts/webhook.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def delete_webhook(request, slug: str, pk: int):
    business = business_or_404(request, slug, "manage_webhooks")
    hook = get_object_or_404(AlertWebhook, business=business, pk=pk)
    name = str(hook)
    with transaction.atomic():
        actions.do_delete_webhook(hook)
    messages.success(request, f"Deleted the webhook {name}.")
    return redirect("alert-webhooks", slug=business.slug)


@login_required
@require_POST
def test_webhook(request, slug: str, pk: int):
    business = business_or_404(request, slug, "manage_webhooks")
    hook = get_object_or_404(AlertWebhook, business=business, pk=pk)
    with transaction.atomic():
        actions.do_send_test(hook)
    messages.success(request, f"A test alert is on its way to {hook}; its result shows under Recent deliveries.")
    return redirect("alert-webhooks", slug=business.slug)
