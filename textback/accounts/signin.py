"""The second step of logging in for a person with two-factor on: between the password and the code.

A right password does not log in: the session remembers, for five minutes, who typed it (and the
password hash it matched, so a password changed meanwhile ends it) and where they were going. The code
step reserves an attempt in the login throttle like a password does, and the account's count is
cleared only when the code is right, so a known password does not buy endless guesses at the code.
"""

import time
from dataclasses import dataclass

from django.contrib.auth import get_user_model, login
from django.shortcuts import redirect, render
from django.utils import timezone

from textback.accounts import throttle

PENDING = "textback.signin.pending"
PENDING_FOR = 300  # seconds between the password and the code


@dataclass(frozen=True)
class Pending:
    user: object
    backend: str
    next_url: str
    password_attempt: throttle.Attempt


def ask_for_code(request, user, next_url: str, attempt: throttle.Attempt):
    """Instead of logging in: remember the password step, and ask for the code."""
    request.session[PENDING] = {
        "user": user.pk,
        "backend": user.backend,
        "hash": user.get_session_auth_hash(),
        "at": time.time(),
        "next": next_url,
        "attempt": [attempt.account, attempt.address],
    }
    return redirect("account:login-code")


def pending(request) -> Pending | None:
    state = request.session.get(PENDING)
    if not state or time.time() - state.get("at", 0) > PENDING_FOR:
        return None
    user = get_user_model().objects.filter(pk=state["user"], is_active=True).first()
    if user is None or user.get_session_auth_hash() != state["hash"]:
        return None
    account, address = state["attempt"]
    return Pending(user, state["backend"], state["next"], throttle.Attempt(account, address))


def reserve(request, pending: Pending) -> throttle.Attempt:
    from textback.inbox.views import client_address

    return throttle.do_reserve(pending.user.get_username(), client_address(request))


def finish(request, pending: Pending, attempt: throttle.Attempt) -> None:
    """The code was right: the throttle forgives both steps, and the person is logged in."""
    throttle.do_succeed(attempt)
    throttle.do_succeed(pending.password_attempt)
    del request.session[PENDING]
    login(request, pending.user, backend=pending.backend)


def locked_out(request, attempt: throttle.Attempt, context: dict):
    from textback.inbox.views import LOCKED_OUT

    now = timezone.now()
    message = LOCKED_OUT[attempt.refused].format(wait=throttle.describe_wait(attempt.until - now))
    response = render(request, "accounts/login_code.html", {**context, "locked_out": message}, status=429)
    response["Retry-After"] = str(attempt.seconds_left(now))
    return response
