"""Contacts: the list (search by name or number, keyset pages) and a contact's page across lines.

Agents who serve only some lines see only the contacts that called or texted those lines (or whose
conversation was assigned to them), and only that part of their history (accounts/access.py's rule).
"""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render

from textback.accounts.access import (
    business_or_404,
    can,
    require,
    visible_calls,
    visible_contacts,
    visible_conversations,
)
from textback.calls.decide import REASONS
from textback.inbox.contact_forms import ContactForm, SearchForm
from textback.inbox.setup import post_only, posted
from textback.lib import phone
from textback.messaging import contacts as contact_actions
from textback.messaging import records
from textback.messaging.actions import consent_state, opted_out_numbers
from textback.messaging.models import ConsentEvent, Contact, ExcludedNumber

PAGE = 50
HISTORY = 50


def search(rows, business, text: str):
    """Contacts whose name contains the text, or whose number contains its digits (any formatting)."""
    match = Q(name__icontains=text)
    digits = re.sub(r"\D", "", text)
    if len(digits) >= 3:
        match |= Q(number__contains=digits)
    try:
        match |= Q(number=phone.to_e164(text, business.country))
    except phone.InvalidNumber:
        pass
    return rows.filter(match)


@login_required
def contact_list(request, slug: str):
    biz = business_or_404(request, slug)
    form = SearchForm(request.GET)
    query, before = form.search()
    rows = visible_contacts(request.membership)
    if query:
        rows = search(rows, biz, query)
    if before is not None:
        rows = rows.filter(pk__lt=before)
    page = list(rows.select_related("owner").order_by("-pk")[: PAGE + 1])
    more, page = len(page) > PAGE, page[:PAGE]
    numbers = [c.number for c in page]
    opted_out = {n for _, n in opted_out_numbers({(biz.pk, n) for n in numbers})}
    excluded = set(ExcludedNumber.objects.filter(business=biz, number__in=numbers).values_list("number", flat=True))
    rows = [{"contact": c, "opted_out": c.number in opted_out, "excluded": c.number in excluded} for c in page]
    context = {
        "business": biz,
        "rows": rows,
        "query": query,
        "next_before": page[-1].pk if more else None,
        "paged": before is not None,
        "problems": form.problems(),
    }
    return render(request, "inbox/contacts/list.html", context)


@login_required
def contact(request, slug: str, pk: int):
    biz = business_or_404(request, slug)
    found = get_object_or_404(visible_contacts(request.membership).select_related("owner"), pk=pk)
    form = ContactForm(posted(request), business=biz, initial=ContactForm.initial_for(found))
    if form.is_bound:
        require(request.membership, "edit_contact")
    if form.is_valid():
        data = form.cleaned_data
        with transaction.atomic():
            changed = contact_actions.do_update_contact(
                found, name=data["name"], owner=data["owner"], tags=data["tags"], actor=request.user
            )
        messages.success(request, f"Saved {found}." if changed else "Nothing had changed.")
        return redirect("contact", slug, pk)
    return render(request, "inbox/contacts/contact.html", _contact_context(request, biz, found, form))


def _contact_context(request, biz, found: Contact, form: ContactForm) -> dict:
    membership = request.membership
    calls = visible_calls(membership).filter(contact=found).select_related("line").order_by("-started_at", "-pk")
    conversations = (
        visible_conversations(membership)
        .filter(contact=found)
        .select_related("line", "assignee")
        .order_by("-last_message_at", "-pk")
    )
    return {
        "business": biz,
        "contact": found,
        "form": form,
        "pretty_number": phone.pretty(found.number),
        "consent": consent_state(biz, found.number),
        "consent_events": ConsentEvent.objects.filter(business=biz, number=found.number).order_by("-created_at")[:10],
        "exclusion": contact_actions.exclusion_for(biz, found.number),
        "can_exclude": can(request.membership, "exclude_number"),
        "textable": phone.is_e164(found.number),
        "calls": calls[:HISTORY],
        "conversations": conversations[:HISTORY],
        "reasons": REASONS,
        "may_export": can(membership, "export_records"),
        "may_erase": can(membership, "erase_contact"),
        "erased": records.is_erased(found),
        "OPT_OUT": ConsentEvent.OPT_OUT,
        "OPT_IN": ConsentEvent.OPT_IN,
    }


@login_required
def exclusion(request, slug: str, pk: int):
    """Exclude the contact's number from automatic texts, or lift the exclusion (managers and owners)."""
    biz = business_or_404(request, slug, "exclude_number")
    found = get_object_or_404(visible_contacts(request.membership), pk=pk)
    if refused := post_only(request):
        return refused
    shown = phone.pretty(found.number)
    if request.POST.get("do") == "include":
        with transaction.atomic():
            entry = contact_actions.exclusion_for(biz, found.number)
            if entry is not None:
                contact_actions.do_remove_exclusion(entry)
        messages.success(request, f"{shown} may get automatic texts again.")
    elif not phone.is_e164(found.number):
        messages.error(request, f"{found.number} is not a phone number, so there is nothing to exclude.")
    else:
        with transaction.atomic():
            contact_actions.do_exclude_number(biz, found.number, found.name)
        messages.success(request, f"{shown} will not get automatic texts. Staff can still reply by hand.")
    return redirect("contact", slug, pk)
