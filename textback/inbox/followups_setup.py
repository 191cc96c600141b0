"""The follow-ups settings page (b/<slug>/settings/follow-ups): off by default, and why."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from textback.accounts.access import business_or_404
from textback.accounts.plain_forms import PlainWords
from textback.lib import quiet
from textback.lib.text import whole_number
from textback.providers.models import Line
from textback.rules import actions as rules
from textback.rules import followups
from textback.rules.models import FollowupPlan

TEMPLATE_HELP = "Fields: {first_name}, {staff}, {business}, {line}; {first_name|there} gives “there” without a name."


def _delay(n: int) -> forms.IntegerField:
    label = f"Follow-up {n}: minutes after the text-back"
    return forms.IntegerField(required=False, min_value=1, max_value=7 * 24 * 60, label=label)


def _valid() -> forms.IntegerField:
    return forms.IntegerField(
        required=False, min_value=1, max_value=48 * 60, label="May go up to this many minutes late",
        help_text="Held back by quiet hours longer than this, it is skipped (the conversation says why).",
    )  # fmt: skip


def _text() -> forms.CharField:
    return forms.CharField(
        required=False, max_length=1600, widget=forms.Textarea(attrs={"rows": 3}), label="Text", help_text=TEMPLATE_HELP
    )


class FollowupForm(PlainWords, forms.Form):
    enabled = forms.BooleanField(required=False, label="Send follow-ups to callers who have not replied")
    window_start = forms.TimeField(
        label="Not before", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="Default 8:00 AM, the earliest the law allows.",
    )  # fmt: skip
    window_end = forms.TimeField(
        label="Not after", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="Default 9:00 PM, the latest the law allows (8:00 PM for Florida, Oklahoma, Maryland, Washington).",
    )  # fmt: skip

    delay_1, valid_1, template_1 = _delay(1), _valid(), _text()
    delay_2, valid_2, template_2 = _delay(2), _valid(), _text()
    delay_3, valid_3, template_3 = _delay(3), _valid(), _text()

    @property
    def steps_fields(self):
        return [
            (n, self[f"delay_{n}"], self[f"valid_{n}"], self[f"template_{n}"])
            for n in range(1, followups.MAX_STEPS + 1)
        ]

    @staticmethod
    def initial_for(plan) -> dict:
        initial = {"enabled": plan.enabled, "window_start": plan.window_start, "window_end": plan.window_end}
        for n, step in enumerate(followups.steps_from(plan.steps), 1):
            initial[f"delay_{n}"] = step.delay // timedelta(minutes=1)
            initial[f"valid_{n}"] = step.valid_for // timedelta(minutes=1)
            initial[f"template_{n}"] = step.template
        return initial

    def clean(self):
        data = super().clean()
        steps = []
        for n in range(1, followups.MAX_STEPS + 1):
            delay, valid, text = data.get(f"delay_{n}"), data.get(f"valid_{n}"), (data.get(f"template_{n}") or "")
            if any(f"{name}_{n}" in self.errors for name in ("delay", "valid", "template")):
                continue
            if delay is None and not text.strip():
                continue  # an empty row: no such follow-up
            if delay is None or valid is None or not text.strip():
                self.add_error(f"template_{n}", f"Follow-up {n} needs its minutes, how late it may go, and its text.")
                continue
            steps.append(followups.Step(timedelta(minutes=delay), text.strip(), timedelta(minutes=valid)))
        data["steps"] = tuple(steps)
        return data


def _line(request, biz) -> Line | None:
    """The line whose own follow-ups the page shows (?line=<pk>), or None for the business's; 404 for a line
    that is not this business's or a value that is not a line id."""
    wanted = request.GET.get("line", "")
    if not wanted:
        return None
    pk = whole_number(wanted)
    if pk is None:
        raise Http404("no such line")
    return get_object_or_404(Line, business=biz, pk=pk)


def _page_url(slug: str, line: Line | None) -> str:
    url = reverse("settings-followups", args=[slug])
    return f"{url}?line={line.pk}" if line else url


@login_required
def followups_page(request, slug: str):
    biz = business_or_404(request, slug, "manage_settings")
    line = _line(request, biz)
    own = rules.own_plan(biz, line) if line else None
    plan = own or rules.plan_for(biz)
    data = request.POST if request.method == "POST" else None
    if data is not None and line is not None and "follow_business" in data:
        with transaction.atomic():
            rules.do_follow_the_business(biz, line)
        messages.success(request, f"{line} follows the business's follow-ups.")
        return redirect(_page_url(slug, line))
    form = FollowupForm(data, initial=FollowupForm.initial_for(plan))
    if form.is_valid() and _saved(request, biz, line, form):
        return redirect(_page_url(slug, line))
    owned = set(FollowupPlan.objects.filter(business=biz, line__isnull=False).values_list("line_id", flat=True))
    lines = [{"line": each, "own": each.pk in owned} for each in Line.objects.filter(business=biz).order_by("number")]
    context = {"business": biz, "form": form, "plan": plan, "line": line, "own": own is not None, "lines": lines,
               "limit": quiet.STRICT_DAILY_LIMIT}  # fmt: skip
    return render(request, "inbox/settings/followups.html", context)


def _saved(request, biz, line: Line | None, form: FollowupForm) -> bool:
    """Save the plan the form describes; False (the reason added to the form) when it cannot work."""
    values = form.cleaned_data
    try:
        with transaction.atomic():
            rules.do_save_plan(
                biz, enabled=values["enabled"], steps=values["steps"], start=values["window_start"],
                end=values["window_end"], line=line,
            )  # fmt: skip
    except rules.Refused as exc:
        form.add_error(None, str(exc))
        return False
    whose = f" for {line}" if line else ""
    done = f"Follow-ups{whose} are on." if values["enabled"] else f"Saved; follow-ups{whose} are off."
    messages.success(request, done)
    return True
