"""The owner's settings page for /api/v1 tokens: list, create (the token is shown once), revoke."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render

from textback.accounts.access import business_or_404
from textback.accounts.plain_forms import PlainWords
from textback.api import tokens
from textback.api.models import ApiToken
from textback.inbox.setup import post_only


class TokenForm(PlainWords, forms.Form):
    name = forms.CharField(max_length=tokens.MAX_NAME, help_text="What will use it, e.g. Zapier or CRM sync.")
    scope = forms.ChoiceField(
        choices=[(ApiToken.READ, "Read only"), (ApiToken.READ_WRITE, "Read and write (send texts, set outcomes)")],
        initial=ApiToken.READ,
    )


def _page(request, business, form, made=None, status=200):
    rows = ApiToken.objects.filter(business=business).select_related("created_by").order_by("-created_at", "-pk")
    context = {"business": business, "form": form, "tokens": rows, "made": made}
    response = render(request, "api/tokens.html", context, status=status)
    if made:
        response["Cache-Control"] = "no-store"  # the only page that ever shows the whole token
    return response


@login_required
def api_tokens(request, slug: str):
    business = business_or_404(request, slug, "manage_api_tokens")
    if request.method != "POST":
        return _page(request, business, TokenForm())
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _page(request, business, form, status=400)
    try:
        with transaction.atomic():
            made = tokens.do_create(business, form.cleaned_data["name"], form.cleaned_data["scope"], request.user)
    except tokens.Refused as exc:
        form.add_error(None, str(exc))
        return _page(request, business, form, status=400)
    return _page(request, business, TokenForm(), made=made)


@login_required
def revoke(request, slug: str, pk: int):
    business = business_or_404(request, slug, "manage_api_tokens")
    token = get_object_or_404(ApiToken, business=business, pk=pk)
    if refused := post_only(request):
        return refused
    with transaction.atomic():
        done = tokens.do_revoke(token)
    if done:
        messages.success(request, f"Revoked {token}: it stops working at once.")
    else:
        messages.info(request, f"{token} was already revoked.")
    return redirect("api-tokens", slug)
