"""The follow-ups settings page (b/<slug>/settings/follow-ups): off by default, and why."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render

from textback.accounts.access import business_or_404
from textback.accounts.plain_forms import PlainWords
from textback.lib import quiet
from textback.rules import actions as rules
from textback.rules import followups

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


@login_required
def followups_page(request, slug: str):
    biz = business_or_404(request, slug, "manage_settings")
    plan = rules.plan_for(biz)
    form = FollowupForm(request.POST if request.method == "POST" else None, initial=FollowupForm.initial_for(plan))
    if form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                rules.do_save_plan(
                    biz, enabled=data["enabled"], steps=data["steps"], start=data["window_start"],
                    end=data["window_end"],
                )  # fmt: skip
        except rules.Refused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Follow-ups are on." if data["enabled"] else "Saved; follow-ups are off.")
            return redirect("settings-followups", slug)
    context = {"business": biz, "form": form, "plan": plan, "latest": quiet.LATEST, "limit": quiet.STRICT_DAILY_LIMIT}
    return render(request, "inbox/settings/followups.html", context)
