"""The schedule settings beside the weekly hours: public holidays and closures by date (owners and managers
who manage settings). The weekly hours page (setup.hours) shows both forms; they post here."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect
from django.utils import timezone

from textback.accounts.access import business_or_404
from textback.accounts.hours import schedule_of
from textback.inbox.setup_hours_forms import ClosureForm, HolidaysForm
from textback.lib import hours as lib_hours
from textback.providers.models import Line
from textback.rules import closures as closing
from textback.rules.models import Closure

UPCOMING_DAYS = 366


def context(request, biz, *, holidays_form=None, closure_form=None) -> dict:
    """What the hours page shows of holidays and closures."""
    today = timezone.now().astimezone(lib_hours.Schedule((), biz.time_zone).tz).date()
    lines = list(Line.objects.filter(business=biz).order_by("number"))
    initial = {k: getattr(biz, k) for k in ("public_holidays", "holiday_country", "holiday_subdivision")}
    return {
        "holidays_form": holidays_form or HolidaysForm(initial=initial),
        "closure_form": closure_form or ClosureForm(lines=lines),
        "closures": closing.upcoming_closures(biz, today),
        "upcoming_holidays": upcoming_holidays(biz, today),
    }


def upcoming_holidays(biz, today, count: int = 4) -> list[tuple]:
    country, subdivision = biz.holiday_region
    if not country:
        return []
    found = []
    for offset in range(UPCOMING_DAYS):
        day = today + timedelta(days=offset)
        if name := lib_hours.holiday_name(country, subdivision, day):
            found.append((day, name))
            if len(found) == count:
                break
    return found


def _back(slug: str):
    return redirect("settings-hours", slug)


@login_required
def holidays(request, slug: str):
    from textback.inbox.setup import hours_page, post_only

    biz = business_or_404(request, slug, "manage_settings")
    if refused := post_only(request):
        return refused
    form = HolidaysForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            country, region = closing.check_holidays(biz, data["holiday_country"], data["holiday_subdivision"])
        except closing.Invalid as exc:
            form.add_error(exc.field, str(exc))
        else:
            with transaction.atomic():
                closing.do_set_holidays(biz, on=data["public_holidays"], country=country, subdivision=region)
            messages.success(request, "Saved the public holidays.")
            return _back(slug)
    return hours_page(request, biz, holidays_form=form, status=400)


@login_required
def closures(request, slug: str):
    """Add a closure, or remove one (`remove` = its id)."""
    from textback.inbox.setup import hours_page, post_only

    biz = business_or_404(request, slug, "manage_settings")
    if refused := post_only(request):
        return refused
    if "remove" in request.POST:
        return _remove(request, biz)
    lines = list(Line.objects.filter(business=biz).order_by("number"))
    form = ClosureForm(request.POST, lines=lines)
    if form.is_valid():
        data = form.cleaned_data
        line = next((x for x in lines if str(x.pk) == data["line"]), None)
        try:
            first, last = closing.check_closure(biz, data["first_day"], data["last_day"], line)
        except closing.Invalid as exc:
            form.add_error(exc.field, str(exc))
        else:
            with transaction.atomic():
                closing.do_add_closure(biz, first, last, data["label"], line)
            messages.success(request, f"Added the closure from {first:%a %b %-d, %Y} to {last:%a %b %-d, %Y}.")
            return _back(slug)
    return hours_page(request, biz, closure_form=form, status=400)


def _remove(request, biz):
    raw = request.POST.get("remove", "")
    closure = Closure.objects.filter(business=biz, pk=int(raw)).first() if raw.isdigit() and len(raw) < 12 else None
    if closure is None:
        messages.error(request, "That closure was removed already.")
        return _back(biz.slug)
    with transaction.atomic():
        closing.do_remove_closure(closure)
    messages.success(request, f"Removed the closure {closure}.")
    return _back(biz.slug)


def schedule_summary(biz, now) -> str:
    return summary(schedule_of(biz), now)


def summary(schedule, now) -> str:
    """One line: open now, or when it opens (closures and holidays included)."""
    if not schedule.spans and not schedule.closures:
        return "No opening hours set: textback counts you as always open."
    if lib_hours.is_open(schedule, now):
        return "Open now."
    why = schedule.closed_for(now.astimezone(schedule.tz).date())
    closed = f"Closed now ({why})." if why else "Closed now."
    opens = lib_hours.next_opening(schedule, now)
    if opens is None:
        return f"{closed} Not open in the next six weeks."
    opens, today = opens.astimezone(schedule.tz), now.astimezone(schedule.tz).date()
    days = (opens.date() - today).days
    day = (
        "today"
        if days == 0
        else "tomorrow"
        if days == 1
        else f"{opens:%A}"
        if days < 7
        else f"{opens:%A %b} {opens.day}"
    )
    return f"{closed} Opens {day} at {opens:%-I:%M %p}."
