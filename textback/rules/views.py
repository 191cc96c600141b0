"""The on-call settings page and the conversation page's Acknowledge button.

Everyone at the business reads the on-call page; managers and owners change it (`manage_on_call`). The
page holds several small forms; each POST says which with `do`, changes state in one `do_*` call inside
`transaction.atomic()` and redirects with a message. Bad input re-renders the page with the message next
to the field, nothing written.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from textback.accounts.access import business_or_404, can, visible_conversations
from textback.accounts.models import Membership
from textback.inbox.presence import display_name
from textback.lib.text import whole_number
from textback.rules import keywords, oncall, paging, routes, schedule
from textback.rules.forms import PersonForm, RoutesForm, SlotForm
from textback.rules.models import OnCallPerson, OnCallPolicy, OnCallSlot

PAGE = "inbox/settings/on_call.html"


@login_required
def on_call(request, slug: str):
    business = business_or_404(request, slug)
    people = schedule.people_choices(business)
    forms = {
        "routes": RoutesForm(initial=RoutesForm.initial_for(business, paging.escalate_minutes(business))),
        "slot": SlotForm(people=people),
        "person": PersonForm(people=people),
    }
    if request.method == "POST":
        business = business_or_404(request, slug, "manage_on_call")
        done = _change(request, business, people, forms)
        if done:
            messages.success(request, done)
            return redirect("settings-on-call", slug)
    return render(request, PAGE, _context(request, business, forms), status=400 if request.method == "POST" else 200)


def _change(request, business, people, forms: dict) -> str:
    """Carry out the posted change; its message, or '' (the form with the errors is in `forms`)."""
    what = request.POST.get("do", "")
    if what in ("remove_slot", "remove_person", "up"):
        return _by_id(business, what, whole_number(request.POST.get("id", "")))
    form_class = {"routes": RoutesForm, "add_slot": SlotForm, "add_person": PersonForm}.get(what)
    if form_class is None:
        messages.error(request, "Nothing was changed: the form sent was not one of this page's.")
        return ""
    extra = {} if form_class is RoutesForm else {"people": people}
    form = form_class(request.POST, **extra)
    forms[{"routes": "routes", "add_slot": "slot", "add_person": "person"}[what]] = form
    if not form.is_valid():
        return ""
    try:
        with transaction.atomic():
            return {"routes": _save_routes, "add_slot": _add_slot, "add_person": _add_person}[what](business, form)
    except schedule.Invalid as exc:
        form.add_error(None, str(exc))
        return ""


def _save_routes(business, form: RoutesForm) -> str:
    data = form.cleaned_data
    for action in keywords.ACTIONS:
        routes.do_set_route(business, action, words=data[f"{action}_words"], active=data[f"{action}_active"])
    routes.do_set_escalate_minutes(business, data["escalate_minutes"])
    return "Saved the emergency and booking routes."


def _add_slot(business, form: SlotForm) -> str:
    data = form.cleaned_data
    member = schedule.check_member(business, data["person"])
    count = schedule.do_add_slots(business, member, data["days"], data["starts"], data["ends"])
    return f"{display_name(member.user)} is on call in {count} more slot{'s' if count != 1 else ''}."


def _add_person(business, form: PersonForm) -> str:
    member = schedule.check_member(business, form.cleaned_data["person"])
    added = schedule.do_add_person(business, member)
    name = display_name(member.user)
    return f"{name} is now last in the on-call order." if added else f"{name} was in the on-call order already."


def _by_id(business, what: str, pk: int | None) -> str:
    change = {"remove_slot": schedule.do_remove_slot, "remove_person": schedule.do_remove_person,
              "up": schedule.do_move_up}[what]  # fmt: skip
    with transaction.atomic():
        changed = pk is not None and change(business, pk)
    if not changed:
        raise Http404("No such slot or person in this schedule.")
    return {"remove_slot": "Removed the slot.", "remove_person": "Removed from the on-call order.",
            "up": "Moved up in the on-call order."}[what]  # fmt: skip


def _context(request, business, forms: dict) -> dict:
    may_edit = can(request.membership, "manage_on_call")
    if not may_edit:  # agents read the routes; the fields show as such
        for field in forms["routes"].fields.values():
            field.disabled = True
    slots = OnCallSlot.objects.filter(business=business).select_related("membership__user")
    order = OnCallPerson.objects.filter(business=business).select_related("membership__user")
    now_on = schedule_now(business)
    return {
        "business": business,
        "may_edit": may_edit,
        "slots": [
            {"pk": s.pk, "name": display_name(s.membership.user), "day": s.get_weekday_display(), "hours": _hours(s)}
            for s in slots
        ],  # fmt: skip
        "order": [{"pk": p.membership_id, "name": display_name(p.membership.user)} for p in order],
        "now_on": now_on,
        "default_escalate": OnCallPolicy.DEFAULT_ESCALATE_MINUTES,
        "defaults": {a: ", ".join(keywords.DEFAULT_WORDS[a]) for a in keywords.ACTIONS},
        "booking_link": business.booking_link,
        **forms,
    }


def _hours(slot: OnCallSlot) -> str:
    past_midnight = " (next day)" if slot.ends <= slot.starts else ""
    return f"{slot.starts:%H:%M} – {slot.ends:%H:%M}{past_midnight}"


def schedule_now(business) -> list[str]:
    """Who would be paged now, in order, by name."""
    sched = paging.schedule_of(business)
    ids = oncall.on_call(sched, timezone.now())
    members = {m.pk: m for m in Membership.objects.filter(pk__in=ids).select_related("user")}
    return [display_name(members[pk].user) for pk in ids if pk in members]


@login_required
@require_POST
def acknowledge(request, slug: str, pk: int):
    business = business_or_404(request, slug, "reply")
    conversation = visible_conversations(request.membership).filter(pk=pk).first()
    if conversation is None:
        raise Http404("No such conversation.")
    page = paging.page_to_ack(conversation.pk)
    url = reverse("conversation", args=[business.slug, conversation.pk])
    if page is None:
        messages.info(request, "No emergency page is waiting for an acknowledgement here.")
        return redirect(url)
    with transaction.atomic():
        done = paging.do_ack(page, request.membership, "in the app")
    messages.success(request, "Acknowledged: the emergency is yours." if done else "Someone acknowledged it first.")
    return redirect(url)
