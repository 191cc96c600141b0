"""The inbox: the conversations staff answer, filtered and searched, live within two seconds; and the
list of calls.

The page polls `inbox-live` every 1.5 s (htmx, live.POLL_EVERY). That endpoint answers 304 Not Modified
when nothing changed since the ETag the tab holds, else the refreshed first page. A poll is a short
request: no web thread waits on an idle tab, and an unchanged list's 304 is answered before Django
(inbox/live.py).
"""

from dataclasses import replace

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseNotModified
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from textback.accounts import access
from textback.accounts.access import business_or_404
from textback.calls.decide import REASONS
from textback.inbox import listing, search
from textback.inbox import live as live_poll
from textback.inbox.search import SearchBox
from textback.lib import phone
from textback.providers.models import Line

CALLS_PAGE = 100


class FilterForm(SearchBox):
    """The list's filters, from the query string; a bad value is reported and that filter ignored."""

    show = forms.ChoiceField(choices=list(listing.SHOWS.items()), required=False)
    line = forms.TypedChoiceField(coerce=int, empty_value=None, required=False)
    source = forms.ChoiceField(choices=[("", "Any source"), *listing.SOURCE_TAGS.items()], required=False)
    outcome = forms.ChoiceField(choices=[("", "Any outcome"), *listing.OUTCOME_FILTERS.items()], required=False)

    def __init__(self, data, *, lines):
        super().__init__(data)
        self.fields["show"].error_messages["invalid_choice"] = "That is not one of the lists; showing the open ones."
        self.fields["line"].choices = [("", "All lines"), *((line.pk, line_name(line)) for line in lines)]
        self.fields["line"].error_messages["invalid_choice"] = "That line is not one of yours; showing every line."
        self.fields["source"].error_messages["invalid_choice"] = "That is not a source tag; showing every source."
        self.fields["outcome"].error_messages["invalid_choice"] = "That is not an outcome; showing every outcome."

    def clean_before(self):
        text = self.cleaned_data["before"]
        cursor = listing.Cursor.parse(text)
        if text and cursor is None:
            raise forms.ValidationError("That page link is broken; showing the newest conversations.")
        return cursor

    def query(self) -> listing.Query:
        self.is_valid()
        data = self.cleaned_data
        return listing.Query(
            show=data.get("show") or "open",
            line_id=data.get("line"),
            q=(data.get("q") or "").strip(),
            source=data.get("source") or "",
            outcome=data.get("outcome") or "",
            before=data.get("before"),
        )


def line_name(line: Line) -> str:
    return f"{line.label} · {phone.pretty(line.number)}" if line.label else phone.pretty(line.number)


def _lines(business, membership) -> list[Line]:
    lines = Line.objects.filter(business=business).order_by("label", "number")
    ids = access.visible_line_ids(membership)
    return list(lines if ids is None else lines.filter(pk__in=ids))


def _filter_params(query: listing.Query) -> dict:
    params = {"show": query.show} if query.show != "open" else {}
    if query.line_id is not None:
        params["line"] = query.line_id
    if query.q:
        params["q"] = query.q
    if query.source:
        params["source"] = query.source
    if query.outcome:
        params["outcome"] = query.outcome
    return params


def _live_url(business, query: listing.Query) -> str:
    return f"{reverse('inbox-live', args=[business.slug])}?{urlencode(_filter_params(query))}".rstrip("?")


def _list_context(request, business, query: listing.Query) -> dict:
    membership = request.membership
    result = listing.page(business, membership, query)
    params = _filter_params(query)
    older = urlencode({**params, "before": result.next.encode()}) if result.next else ""
    live_url = _live_url(business, query)
    return {
        "business": business,
        "rows": result.rows,
        "query": query,
        "names_only": search.names_only(query.q),
        "older": older,
        "live_url": live_url if query.before is None else "",
        "poll_every": live_poll.POLL_EVERY,
        "unread": listing.unread_count(business, membership),
        "unread_cap": listing.UNREAD_CAP,
        "now_ms": listing.epoch_ms(timezone.now()),
        "today": timezone.localdate(),
    }


@require_GET
@login_required
def inbox(request, slug: str):
    business = business_or_404(request, slug)
    lines = _lines(business, request.membership)
    form = FilterForm(request.GET, lines=lines)
    query = form.query()
    # The ETag first: a change made while the list is read then shows at the first poll, never is missed.
    etag = "" if query.before else _etag(request, business, replace(query, before=None))
    context = _list_context(request, business, query)
    tabs = [
        (key, label, urlencode({**_filter_params(query), "show": key}), key == query.show)
        for key, label in listing.SHOWS.items()
    ]
    context.update(
        form=form,
        problems=form.problems(),
        tabs=tabs,
        several_lines=len(lines) > 1,
        browser_alerts=request.membership.alert_browser,
        etag=etag,  # the poller's first request can then be a 304
    )
    return render(request, "inbox/inbox.html", context)


def _etag(request, business, query: listing.Query) -> str:
    """The live list's ETag for this session (see inbox/live.py, which answers most polls with it)."""
    return live_poll.etag(request.membership.pk, request.session.session_key, _live_url(business, query))


@require_GET
def live(request, slug: str):
    """The first page of the list for the poller: 304 when nothing changed since the ETag it holds."""
    if not request.user.is_authenticated:  # a session that ended while the tab was open: go to the login page
        response = HttpResponse(status=401)
        response["HX-Redirect"] = f"{reverse('login')}?{urlencode({'next': reverse('business', args=[slug])})}"
        return response
    business = business_or_404(request, slug)
    lines = _lines(business, request.membership) if "line" in request.GET else []
    query = FilterForm(request.GET, lines=lines).query()
    query = replace(query, before=None)  # always the newest page
    etag = _etag(request, business, query)
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:
        context = _list_context(request, business, query)
        response = render(request, "inbox/_inbox_live.html", {**context, "etag": etag})
    response["ETag"] = etag
    response["Cache-Control"] = "no-store"  # inbox.js sends If-None-Match itself and sees the 304
    return response


@require_GET
@login_required
def calls(request, slug: str):
    business = business_or_404(request, slug)
    found = (
        access.visible_calls(request.membership)
        .select_related("line", "contact")
        .order_by("-started_at", "-pk")[:CALLS_PAGE]
    )
    return render(request, "inbox/calls.html", {"business": business, "calls": found, "reasons": REASONS})
