"""The phone simulator: play a caller dialling the business, and the caller's handset."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from textback.accounts.access import business_or_404
from textback.calls.decide import REASONS
from textback.calls.models import Call
from textback.lib import phone
from textback.lib.text import input_problem
from textback.providers.models import SANDBOX, Line
from textback.providers.sandbox import carrier
from textback.providers.sandbox.forms import DEFAULT_CALLER, MAX_CALLER, CallForm, TextForm
from textback.providers.sandbox.models import SandboxMessage


def _lines(business):
    return Line.objects.filter(business=business, account__provider=SANDBOX).select_related("account", "business")


def _handset_context(business, lines, number: str) -> dict:
    numbers = [line.number for line in lines]
    carried = SandboxMessage.objects.filter(
        Q(to_number=number, from_number__in=numbers) | Q(from_number=number, to_number__in=numbers),
        account__business=business,
    ).order_by("created_at", "pk")
    calls = (
        Call.objects.filter(business=business, from_number=number).select_related("line").order_by("-started_at")[:5]
    )
    return {"handset": number, "carried": carried, "recent_calls": calls, "reasons": REASONS}


def simulator_url(business, number: str) -> str:
    return f"{reverse('simulator', args=[business.slug])}?{urlencode({'handset': number})}"


def _bad_handset(request, business, number: str):
    """A 400 page saying what is wrong with ?handset=, or None when the number can be looked up."""
    problem = input_problem(number, MAX_CALLER)
    if problem is None:
        return None
    context = {"business": business, "reason": f"The handset number in the address {problem}."}
    return render(request, "sandbox/bad_request.html", context, status=400)


@login_required
def simulator(request, slug: str):
    business = business_or_404(request, slug)
    lines = _lines(business)
    handset = request.GET.get("handset", DEFAULT_CALLER)
    if refused := _bad_handset(request, business, handset):
        return refused
    context = {
        "business": business,
        "lines": lines,
        "call_form": CallForm(lines=lines, initial={"caller": handset}),
        "text_form": TextForm(lines=lines, initial={"handset": handset}),
        **_handset_context(business, lines, handset),
    }
    return render(request, "sandbox/simulator.html", context)


@login_required
def handset(request, slug: str):
    """The handset's screen alone, for the page to refresh it every second."""
    business = business_or_404(request, slug)
    number = request.GET.get("handset", "")
    if refused := _bad_handset(request, business, number):
        return refused
    return render(
        request, "sandbox/_handset.html", {"business": business, **_handset_context(business, _lines(business), number)}
    )


@login_required
@require_POST
def place_call(request, slug: str):
    business = business_or_404(request, slug)
    lines = _lines(business)
    form = CallForm(request.POST, lines=lines)
    if not form.is_valid():
        context = {
            "business": business,
            "lines": lines,
            "call_form": form,
            "text_form": TextForm(lines=lines),
            **_handset_context(business, lines, form.cleaned_data.get("caller", DEFAULT_CALLER)),
        }
        return render(request, "sandbox/simulator.html", context, status=400)
    data = form.cleaned_data
    call = carrier.place_call(
        carrier.SimulatedCall(
            line=data["line"],
            caller=data["caller"],
            scenario=data["scenario"],
            voicemail_seconds=data["voicemail_seconds"] or 0,
        )
    )
    verdict = (
        "text-back queued"
        if call.decision == Call.TEXT
        else f"not texted: {REASONS.get(call.decision_reason, 'waiting')}"
    )
    messages.info(request, f"Call from {phone.pretty(data['caller'])}: {call.get_outcome_display()}; {verdict}.")
    return redirect(simulator_url(business, data["caller"]))


@login_required
@require_POST
def send_text(request, slug: str):
    business = business_or_404(request, slug)
    lines = _lines(business)
    form = TextForm(request.POST, lines=lines)
    if not form.is_valid():
        context = {
            "business": business,
            "lines": lines,
            "call_form": CallForm(lines=lines),
            "text_form": form,
            **_handset_context(business, lines, form.cleaned_data.get("handset", DEFAULT_CALLER)),
        }
        return render(request, "sandbox/simulator.html", context, status=400)
    data = form.cleaned_data
    carrier.text_from_handset(data["line"], data["handset"], data["body"])
    return redirect(simulator_url(business, data["handset"]))
