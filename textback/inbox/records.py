"""Records pages: staff decide a borderline opt-out, export the consent ledger and a contact's data, erase a
contact on request, and set how long texts and recordings are kept.

Thin views: the tenant and role check (`business_or_404(…, action)`), the lookup through the business, one
`do_*` call of messaging/revocations.py, messaging/records.py or rules/retention.py in a transaction.
"""

import io
import json

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from textback.accounts.access import business_or_404, visible_contacts, visible_conversations
from textback.accounts.plain_forms import PlainWords
from textback.inbox.setup import posted
from textback.messaging import records, revocations
from textback.messaging.conversations import Refused
from textback.messaging.models import Erasure
from textback.rules import retention

# --- a borderline opt-out, decided on the conversation page -----------------------------------------------


def _decide(request, slug: str, pk: int, change) -> HttpResponse:
    business = business_or_404(request, slug, "reply")
    try:
        with transaction.atomic():
            found = visible_conversations(request.membership).select_related("contact", "line", "business")
            convo = get_object_or_404(found.select_for_update(of=("self",)), business=business, pk=pk)
            done = change(convo)
    except Refused as refusal:
        messages.error(request, f"Not changed: {refusal}")
    else:
        messages.success(request, done)
    return redirect("conversation", slug, pk)


@login_required
@require_POST
def confirm_opt_out(request, slug: str, pk: int):
    def change(convo):
        texted = revocations.do_confirm_opt_out(convo, request.user)
        after = "They are sent one confirmation." if texted else "No confirmation is sent: 5 minutes have passed."
        return f"Opt-out recorded in the consent ledger. Nothing more will be texted to {convo.contact}. {after}"

    return _decide(request, slug, pk, change)


@login_required
@require_POST
def dismiss_opt_out(request, slug: str, pk: int):
    def change(convo):
        revocations.do_dismiss_opt_out(convo, request.user)
        return f"Not an opt-out: automatic texts to {convo.contact} are back on."

    return _decide(request, slug, pk, change)


# --- exports ----------------------------------------------------------------------------------------------


def _attachment(body: str, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


def _csv(events, name: str) -> HttpResponse:
    out = io.StringIO()
    records.write_ledger_csv(events, out)
    return _attachment(out.getvalue(), "text/csv; charset=utf-8", name)


@login_required
@require_GET
def consent_export(request, slug: str):
    business = business_or_404(request, slug, "export_records")
    return _csv(records.ledger(business), f"consent-{business.slug}-{timezone.localdate():%Y-%m-%d}.csv")


def _contact(request, slug: str, pk: int, action: str):
    business = business_or_404(request, slug, action)
    return business, get_object_or_404(visible_contacts(request.membership).select_related("business"), pk=pk)


@login_required
@require_GET
def contact_consent_export(request, slug: str, pk: int):
    business, contact = _contact(request, slug, pk, "export_records")
    return _csv(records.ledger(business, contact.number), f"consent-{business.slug}-contact-{contact.pk}.csv")


@login_required
@require_GET
def contact_export(request, slug: str, pk: int):
    business, contact = _contact(request, slug, pk, "export_records")
    body = json.dumps(records.contact_export(contact), indent=2, ensure_ascii=False)
    return _attachment(body, "application/json; charset=utf-8", f"contact-{business.slug}-{contact.pk}.json")


# --- erasure ----------------------------------------------------------------------------------------------


class ErasureForm(PlainWords, forms.Form):
    confirm = forms.BooleanField(
        label="I understand this cannot be undone",
        error_messages={"required": "Tick the box to confirm: erasure cannot be undone."},
    )


@login_required
def contact_erase(request, slug: str, pk: int):
    business, contact = _contact(request, slug, pk, "erase_contact")
    form = ErasureForm(posted(request))
    done = Erasure.objects.filter(business=business, contact=contact).select_related("erased_by").first()
    if done is None and form.is_valid():
        with transaction.atomic():
            records.do_erase_contact(contact, request.user)
        messages.success(request, "The contact's data is erased. Their texts and calls still count in reports.")
        return redirect("contact", slug, pk)
    context = {"business": business, "contact": contact, "form": form, "done": done,
               "opted_out": records.is_erased(contact) or _opted_out(business, contact)}  # fmt: skip
    return render(request, "inbox/contacts/erase.html", context, status=400 if form.is_bound else 200)


def _opted_out(business, contact) -> bool:
    from textback.messaging.actions import is_opted_out

    return is_opted_out(business, contact.number)


# --- retention setting ------------------------------------------------------------------------------------


class RetentionForm(PlainWords, forms.Form):
    days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=retention.MAX_DAYS,
        label="Keep texts and recordings for (days)",
        help_text="Blank (the default): keep them for as long as the business exists. With a number, every night "
        "at 3 AM your time the words and pictures of texts, and the links to call recordings, older than that "
        "are erased. The texts and calls themselves stay, so reports and counts do not change; the consent "
        "ledger is always kept whole.",
    )


@login_required
def retention_settings(request, slug: str):
    business = business_or_404(request, slug, "manage_settings")
    form = RetentionForm(posted(request), initial={"days": retention.days_for(business)})
    if form.is_valid():
        days = form.cleaned_data["days"]
        with transaction.atomic():
            retention.do_set_retention(business, days)
        messages.success(request, f"Texts and recordings are kept {_kept(days)}.")
        return redirect("settings-retention", slug)
    if form.is_bound:
        return render(request, "inbox/settings/retention.html", _retention_context(business, form), status=400)
    return render(request, "inbox/settings/retention.html", _retention_context(business, form))


def _kept(days: int | None) -> str:
    return "for ever" if days is None else f"for {days} day{'s' if days != 1 else ''}"


def _retention_context(business, form) -> dict:
    days = retention.days_for(business)
    next_run = retention.next_run(timezone.now(), business.time_zone) if days else None
    return {"business": business, "form": form, "kept": _kept(days), "next_run": next_run}
