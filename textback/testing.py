"""The one test-support module (healthchecks' hc/test.py is the model): the cast and the shared helpers.

The cast (fixtures in textback/conftest.py):
- AlphaPlumbing (alpha): a Twilio line +15125550100 ringing Mike's cell +15125550199, and a sandbox
  line +17375550100. alice is its owner, mary a manager, bob an agent.
- BetaHVAC (beta): another tenant with its own Twilio account and line, which answers STOP/START/HELP
  itself (Twilio's replies switched off). charlie works there only.
- The caller is +15125550147 (Austin, TX).

The helpers make history the way the webhooks do, through the same do_* functions:
`a_missed_call`, `an_inbound_text`, `a_staff_reply`, `delivery_reports`; `a_staff_phone` gives a member their
own phone (verified, as if they typed back its code); for pages, `signed_in`, `page_text`, `flashed`. For the
worker: `RunningWorker` (the real loop in a thread) and `wait_for`.
"""

import itertools
import threading
import time

from django.db import transaction
from django.utils import timezone

from textback.calls import outcomes
from textback.calls.models import Call
from textback.messaging.models import Conversation, Message

ALPHA_SID = "AC0123456789abcdef0123456789abcdef"
ALPHA_TOKEN = "f1e2d3c4b5a697887766554433221100"
BETA_SID = "ACfedcba9876543210fedcba9876543210"
BETA_TOKEN = "00112233445566778899aabbccddeeff"
ALPHA_NUMBER = "+15125550100"
ALPHA_CELL = "+15125550199"
ALPHA_SANDBOX_NUMBER = "+17375550100"
BETA_NUMBER = "+12145550100"
CALLER = "+15125550147"

_ids = itertools.count(1)


def a_missed_call(line, caller: str = CALLER, outcome: str = outcomes.NO_ANSWER, caller_name: str = "") -> Call:
    """A call to the line that ended with `outcome`, decided (and texted, when the rules say so) at once."""
    from textback.calls import actions as calls

    with transaction.atomic():
        call, _ = calls.start_call(
            calls.CallStart(
                line=line,
                provider=line.provider,
                call_id=f"CA{next(_ids):032x}",
                from_number=caller,
                to_number=line.number,
                caller_name=caller_name,
            )
        )
        call = calls.do_call_ended(call, outcome)
    call.refresh_from_db()
    return call


def an_inbound_text(line, body: str, caller: str = CALLER, *, provider_type: str = "", media=()) -> Message | None:
    """The caller texts the line, as the provider's webhook reports it."""
    from textback.messaging import actions

    with transaction.atomic():
        return actions.do_inbound_sms(
            actions.Inbound(
                line=line,
                provider=line.provider,
                provider_message_id=f"SM{next(_ids):032x}",
                from_number=caller,
                body=body,
                provider_type=provider_type,
                media=list(media),
            )
        )


def a_staff_reply(
    conversation: Conversation, user, body: str = "We can be there at 2 today. Does that work?"
) -> Message:
    """A person answers from the inbox (queued in the outbox like every text)."""
    from textback.messaging import conversations

    with transaction.atomic():
        return conversations.do_staff_reply(conversation, user, body)


def a_staff_phone(user, number: str, *, verified: bool = True, **choices) -> None:
    """The user's own phone in their membership(s), verified unless told otherwise (on My settings: the code
    texted to it typed back), with any other alert choices (`alert_sms=True`…)."""
    from textback.accounts.models import Membership

    Membership.objects.filter(user=user).update(
        phone=number, phone_verified=number if verified else "", phone_verified_at=timezone.now() if verified else None,
        **choices,
    )  # fmt: skip


def signed_in(client, user):
    """The Django test client, signed in as this user."""
    client.force_login(user)
    return client


def page_text(response) -> str:
    return response.content.decode()


def flashed(response) -> str:
    """The page's flash messages (Django's messages framework), as one string."""
    return " ".join(str(m) for m in response.context["messages"])


def delivery_reports(message: Message, *statuses: str) -> None:
    """The provider accepted the text, then sent these delivery reports in this order."""
    from textback.messaging import actions

    if not message.provider_message_id:
        Message.objects.filter(pk=message.pk).update(provider_message_id=f"SM{next(_ids):032x}", status="queued")
        message.refresh_from_db()
    for status in statuses:
        actions.do_message_status(
            actions.StatusReport(
                provider=message.provider, provider_message_id=message.provider_message_id, status=status
            )
        )


# --- the real outbox worker, in a thread -------------------------------------------------------------


def wait_for(predicate, timeout: float = 5.0):
    """Poll until `predicate()` is truthy (returning it) or the timeout passes (returning its last answer)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.005)
    return predicate()


class RunningWorker:
    """The worker loop, as `textback worker` runs it, in a thread of the test process (the test needs a
    database its threads can share: the outbox tests' `shared_database`)."""

    def __init__(self, threads: int = 2, alert_threads: int = 0) -> None:
        from textback.outbox import worker

        self.stop = threading.Event()
        self.worker = worker.Worker(name="test-worker", threads=threads, alert_threads=alert_threads)
        self.thread = threading.Thread(target=self._run, name="outbox-test-loop", daemon=True)
        self.error: BaseException | None = None

    def _run(self) -> None:
        from django.db import connections

        try:
            self.worker.run(self.stop)
        except BaseException as exc:  # surfaced by the test, not lost in a thread
            self.error = exc
        finally:
            connections.close_all()

    def start(self) -> "RunningWorker":
        from textback.outbox import wake

        wake.Waiter().wait(0)  # forget wake-ups from before
        self.thread.start()
        time.sleep(0.3)  # let it find nothing to do and go to sleep
        return self

    def halt(self, timeout: float = 5.0) -> float:
        from textback.outbox import wake

        started = time.monotonic()
        self.stop.set()
        wake.poke()
        self.thread.join(timeout)
        return time.monotonic() - started
