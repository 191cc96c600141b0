"""Voicemail recordings and MMS files, passed through from the provider for staff pages.

A page never carries a provider's URL: these views check the tenant (and, for agents, accounts/access.py's
rule: their lines and what was assigned to them), then
`providers.media.open_media` fetches the file with the account's credentials and only a file a page
shows (audio, pictures, video, PDF) comes back, marked private so no shared cache keeps it.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from textback.accounts.access import business_or_404, visible_calls, visible_messages
from textback.providers.media import MediaRefused, open_media

# Even though only media is passed on, a file opened on its own must not run anything in our origin.
MEDIA_POLICY = "default-src 'none'; img-src 'self'; media-src 'self'; sandbox"


@login_required
@require_GET
def message_media(request, slug: str, pk: int, n: int):
    business_or_404(request, slug)
    message = get_object_or_404(visible_messages(request.membership).select_related("line__account"), pk=pk)
    files = message.media or []
    if n >= len(files) or not isinstance(files[n], dict):
        raise Http404("The message has no such file")
    return _passed_on(message.line.account, str(files[n].get("url") or ""), f"text-{message.pk}-{n}")


@login_required
@require_GET
def call_recording(request, slug: str, pk: int):
    business_or_404(request, slug)
    call = get_object_or_404(visible_calls(request.membership).select_related("line__account"), pk=pk)
    if not call.recording_url:
        raise Http404("The call has no recording")
    return _passed_on(call.line.account, call.recording_url, f"voicemail-{call.pk}")


def _passed_on(account, url: str, name: str) -> HttpResponse:
    try:
        media = open_media(account, url)
    except MediaRefused as refusal:
        response = HttpResponse(str(refusal), status=refusal.status, content_type="text/plain; charset=utf-8")
        response["Cache-Control"] = "private, no-store"
    else:
        response = StreamingHttpResponse(media.chunks, content_type=media.content_type)
        if media.length is not None:
            response["Content-Length"] = str(media.length)
        response["Content-Disposition"] = f'inline; filename="{name}"'
        response["Cache-Control"] = "private, max-age=3600"
    response["Content-Security-Policy"] = MEDIA_POLICY
    return response
