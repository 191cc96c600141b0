"""Staff pages: what happened to every call, every message and every opt-out.

Every object is looked up through the signed-in user's businesses, so a user
of one business gets 404 for another's calls, conversations and ledger; an agent
sees what accounts/access.py's `visible_*` rule lets them (404 for the rest).
"""

from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, UsernameField
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from textback.accounts import signin, throttle, two_factor
from textback.accounts.access import business_or_404, can, visible_calls, visible_consent_events
from textback.accounts.models import Membership
from textback.accounts.plain_forms import PlainWords
from textback.calls.decide import REASONS
from textback.calls.models import WebhookEvent
from textback.lib import client_ip

PAGE = 100


def front_page(membership) -> str:
    """Where a business opens for this person: the recovery report for managers and owners, the inbox for agents."""
    name = "reports" if can(membership, "view_reports") else "business"
    return reverse(name, kwargs={"slug": membership.business.slug})


@login_required
def home(request):
    """The front page after signing in: the one business's front page, the agency report for someone who manages
    every business they serve (several), else the list of their businesses."""
    memberships = list(
        Membership.objects.filter(user=request.user).select_related("business").order_by("business__name")
    )
    if len(memberships) == 1:
        return redirect(front_page(memberships[0]))
    managed = [m for m in memberships if can(m, "view_reports")]
    if memberships and len(managed) == len(memberships):
        return redirect("agency-reports")
    businesses = [{"name": m.business.name, "url": front_page(m)} for m in memberships]
    return render(request, "inbox/home.html", {"businesses": businesses, "manages_several": len(managed) > 1})


@login_required
def call_detail(request, slug: str, pk: int):
    biz = business_or_404(request, slug)
    call = get_object_or_404(visible_calls(request.membership).select_related("line", "contact"), pk=pk)
    scoped = f"{call.line.account_id}:{call.provider_call_id}"  # provider events are keyed by their account
    events = WebhookEvent.objects.filter(
        Q(key=call.provider_call_id) | Q(key=scoped) | Q(key__startswith=f"{scoped}:"), business=biz
    ).order_by("received_at")
    texts = call.messages.order_by("created_at")
    return render(
        request,
        "inbox/call.html",
        {"business": biz, "call": call, "events": events, "texts": texts, "reasons": REASONS},
    )


@login_required
def consent_ledger(request, slug: str):
    biz = business_or_404(request, slug)
    events = visible_consent_events(request.membership).select_related("line").order_by("-created_at", "-pk")
    events = events[: PAGE * 5]
    may_export = can(request.membership, "export_records")
    return render(request, "inbox/consent.html", {"business": biz, "events": events, "may_export": may_export})


def client_address(request) -> str:
    """The address the request came from, read through TEXTBACK_TRUSTED_PROXIES."""
    meta = request.META
    return client_ip.client_address(
        meta.get("REMOTE_ADDR", ""), meta.get("HTTP_X_FORWARDED_FOR"), settings.TRUSTED_PROXIES
    )


LOCKED_OUT = {
    throttle.ACCOUNT: "Too many failed attempts. Logging in as this user is locked for {wait}; try again after that.",
    throttle.ADDRESS: "Too many failed attempts from your network. Logging in from it is locked for {wait}; "
    "try again after that.",
}


class LoginForm(PlainWords, AuthenticationForm):
    """Django's sign-in form, with plain messages and text checked as text."""

    username = UsernameField(label="Email or username", widget=forms.TextInput(attrs={"autofocus": True}))
    error_messages = {
        "invalid_login": "That email or username and password do not match an account here. Check both and try again.",
        "inactive": "This account is switched off. Ask an owner of your business to let you in again.",
    }


class LoginView(auth_views.LoginView):
    """Django's login, each attempt reserved against the account's and the address's limits before it is checked."""

    form_class = LoginForm
    template_name = "inbox/login.html"

    def post(self, request, *args, **kwargs):
        self.attempt = throttle.do_reserve(request.POST.get("username", ""), client_address(request))
        if self.attempt.refused:
            return self.locked_out()
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        if two_factor.is_on(form.get_user()):  # the throttle forgives this attempt only once the code is right
            return signin.ask_for_code(self.request, form.get_user(), self.get_success_url(), self.attempt)
        throttle.do_succeed(self.attempt)
        return super().form_valid(form)

    def locked_out(self):
        """429, saying for how long. The form is not bound: validating it would check the password."""
        now = timezone.now()
        username = self.request.POST.get("username", "")[: throttle.USERNAME_SHOWN]
        form = self.get_form_class()(self.request, initial={"username": username})
        message = LOCKED_OUT[self.attempt.refused].format(wait=throttle.describe_wait(self.attempt.until - now))
        response = self.render_to_response(self.get_context_data(form=form, locked_out=message), status=429)
        response["Retry-After"] = str(self.attempt.seconds_left(now))
        return response


def csrf_failure(request, reason: str = ""):
    """A form sent without its CSRF token, usually from a page left open across a log-in or a restart."""
    return render(request, "inbox/csrf_failure.html", {"reason": reason}, status=403)
