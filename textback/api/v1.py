"""/api/v1: the Ninja API object, its token auth and rate limit, its errors, and its URLs.

Every answer is JSON. Errors are `{"detail": "…"}` with a 4xx: an unknown path or method, a validation error
(the detail names the field and why), a missing object (404: another business's objects do not exist for this
token), too big a body. Only a bearer token is accepted: a session cookie opens nothing here, and so the API
needs no CSRF token.
"""

import functools
import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError
from ninja.security import HttpBearer

from textback.api import tokens

log = logging.getLogger("textback.api")


class ApiError(HttpError):
    """An error answer with its status, detail and any headers (Retry-After, WWW-Authenticate)."""

    def __init__(self, status: int, detail: str, headers: dict | None = None) -> None:
        super().__init__(status, detail)
        self.headers = headers or {}


class TokenAuth(HttpBearer):
    """`Authorization: Bearer tbk_…`: the live token, counted against its rate limit; else 401 or 429 saying why."""

    def __call__(self, request):
        scheme, _, value = request.headers.get("Authorization", "").strip().partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise ApiError(401, "Send an API token: Authorization: Bearer <token>.", {"WWW-Authenticate": "Bearer"})
        return self.authenticate(request, value)

    def authenticate(self, request, token):
        try:
            found = tokens.authenticate(token)
        except tokens.Unauthorized as exc:
            raise ApiError(401, str(exc), {"WWW-Authenticate": 'Bearer error="invalid_token"'}) from None
        wait = tokens.do_count(found)
        if wait:
            raise ApiError(
                429,
                f"Rate limit: at most {settings.API_RATE_PER_MINUTE} requests a minute per token; retry in {wait} s.",
                {"Retry-After": str(wait)},
            )
        return found


def require_write(request) -> None:
    if not request.auth.can_write:
        raise ApiError(403, "This needs a read-write token; this token is read-only.")


api = NinjaAPI(
    title="textback API",
    version="1",
    description="A business's calls, conversations, contacts and recovery funnel. Authenticate with "
    "`Authorization: Bearer <token>` (tokens are made under Settings → API tokens, or `textback api-token create`).",
    auth=TokenAuth(),
    urls_namespace="api-v1",
    docs_url=None,  # Swagger UI loads from a CDN, which the Content-Security-Policy forbids
    openapi_url="/openapi.json",
)


def _answer(request, status: int, detail: str, headers: dict | None = None, **more) -> HttpResponse:
    response = api.create_response(request, {"detail": detail, **more}, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


@api.exception_handler(ApiError)
def _api_error(request, exc: ApiError):
    return _answer(request, exc.status_code, exc.message, exc.headers)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    if str(exc.message).startswith("Cannot parse request body"):
        return _answer(request, 400, "body: not valid JSON; send a JSON object with Content-Type: application/json.")
    return _answer(request, exc.status_code, str(exc.message))


@api.exception_handler(Http404)
def _not_found(request, exc: Http404):
    return _answer(request, 404, str(exc) or "Not found.")


def describe(errors: list[dict]) -> list[dict]:
    """Ninja's validation errors as {field, message}: the field is the parameter's or the body's key."""
    found = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        where = loc[1:] if loc and loc[0] in ("query", "path", "body", "header", "form") else loc
        if where[:1] == ["payload"] or (len(where) > 1 and where[0] in ("data", "body")):
            where = where[1:]
        found.append({"field": ".".join(where) or "body", "message": error.get("msg", "is not valid")})
    return found


@api.exception_handler(ValidationError)
def _invalid(request, exc: ValidationError):
    errors = describe(exc.errors)
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "The request is not valid."
    return _answer(request, 422, detail, errors=errors)


@api.exception_handler(Exception)
def _unexpected(request, exc: Exception):
    if isinstance(exc, RequestDataTooBig):
        return _answer(request, 413, "The request body is too large.")
    if isinstance(exc, SuspiciousOperation):
        return _answer(request, 400, "The request could not be read.")
    log.exception("api: %s %s failed", request.method, request.path)
    return _answer(request, 500, "Something went wrong on our side; it has been logged.")


# The endpoints register themselves on `api` (imported for that).
from textback.api import metrics, reads, writes  # noqa: E402, F401


def json_only(view):
    """Ninja's own refusals (405) come as text: answer them as JSON too."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code == 405:
            allowed = response.get("Allow", "")
            return JsonResponse(
                {"detail": f"{request.method} is not allowed here; use {allowed}."},
                status=405,
                headers={"Allow": allowed},
            )
        return response

    return csrf_exempt(wrapped)


def unknown(request, rest: str = ""):
    return JsonResponse({"detail": f"There is no /api/v1/{rest}; see /api/v1/openapi.json."}, status=404)


def urlpatterns() -> list:
    patterns, _app, _namespace = api.urls
    wrapped = [path(str(p.pattern), json_only(p.callback), name=p.name) for p in patterns]
    return [*wrapped, path("<path:rest>", csrf_exempt(unknown), name="unknown"), path("", csrf_exempt(unknown))]
