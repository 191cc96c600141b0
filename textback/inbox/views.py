"""Staff pages: what happened to every call, every message and every opt-out.

Every object is looked up through the signed-in user's businesses, so a user
of one business gets 404 for another's calls, conversations and ledger.
"""

import hashlib

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from textback.accounts.models import Business, businesses_for
from textback.calls.decide import REASONS
from textback.calls.models import Call, WebhookEvent
from textback.messaging.models import ConsentEvent, Conversation, MessageStatusEvent

PAGE = 100
LOGIN_ATTEMPTS = 10
LOGIN_WINDOW_SECONDS = 15 * 60


def business_or_404(request, slug: str) -> Business:
    """The business, if the user belongs to it; its pages show times in its own time zone."""
    business = get_object_or_404(businesses_for(request.user), slug=slug)
    timezone.activate(business.time_zone)
    return business


@login_required
def home(request):
    businesses = list(businesses_for(request.user).order_by("name"))
    if len(businesses) == 1:
        return redirect("business", slug=businesses[0].slug)
    return render(request, "inbox/home.html", {"businesses": businesses})


@login_required
def business(request, slug: str):
    biz = business_or_404(request, slug)
    calls = Call.objects.filter(business=biz).select_related("line", "contact").order_by("-started_at", "-pk")[:PAGE]
    conversations = (
        Conversation.objects.filter(business=biz).select_related("contact", "line").order_by("-last_message_at")[:PAGE]
    )
    return render(
        request,
        "inbox/business.html",
        {"business": biz, "calls": calls, "conversations": conversations, "reasons": REASONS},
    )


@login_required
def call_detail(request, slug: str, pk: int):
    biz = business_or_404(request, slug)
    call = get_object_or_404(Call.objects.select_related("line", "contact"), business=biz, pk=pk)
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
def conversation(request, slug: str, pk: int):
    biz = business_or_404(request, slug)
    convo = get_object_or_404(Conversation.objects.select_related("contact", "line"), business=biz, pk=pk)
    texts = convo.messages.order_by("created_at", "pk").prefetch_related(
        Prefetch("status_events", queryset=MessageStatusEvent.objects.order_by("at", "pk"))
    )
    consent = ConsentEvent.objects.filter(business=biz, number=convo.contact.number).order_by("created_at")
    return render(
        request,
        "inbox/conversation.html",
        {"business": biz, "conversation": convo, "texts": texts, "consent": consent},
    )


@login_required
def consent_ledger(request, slug: str):
    biz = business_or_404(request, slug)
    events = ConsentEvent.objects.filter(business=biz).select_related("line").order_by("-created_at", "-pk")[: PAGE * 5]
    return render(request, "inbox/consent.html", {"business": biz, "events": events})


class LoginView(auth_views.LoginView):
    """Django's login, refusing further attempts for a while after repeated failures."""

    template_name = "inbox/login.html"

    def _key(self) -> str:
        """Per address and username as Django will read it (trimmed, any case), hashed to a safe cache key."""
        who = self.request.POST.get("username", "").strip().lower()
        digest = hashlib.sha256(f"{self.request.META.get('REMOTE_ADDR', '')}|{who}".encode()).hexdigest()
        return f"login-failures:{digest}"

    def post(self, request, *args, **kwargs):
        if cache.get(self._key(), 0) >= LOGIN_ATTEMPTS:
            form = self.get_form()
            form.add_error(None, "Too many failed attempts. Wait 15 minutes and try again.")
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        key = self._key()
        cache.add(key, 0, LOGIN_WINDOW_SECONDS)
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, LOGIN_WINDOW_SECONDS)
        return super().form_invalid(form)
