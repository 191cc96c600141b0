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
worker: `RunningWorker` (the real loop in a thread) and `wait_for`. For tests that walk every page:
`staff_routes` (the URL patterns of the staff app) and `every_object` (one of each object a staff page shows,
all one business's, with `.url(route)` for each page), `PARAMETERS` (what each page reads, with values it
accepts), `encoded`, `send` and `every_row`. `a_long_thread` alone writes rows directly (bulk inserts), for
years of history in a second.
"""

import itertools
import re
import threading
import time
import uuid
from dataclasses import dataclass
from urllib.parse import quote

from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
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


# --- walking every staff page -------------------------------------------------------------------------

# Routes that are not the staff app's, or that show no tenant's objects.
NOT_TENANT_ROUTES = {
    "home",  # lists the user's own businesses (tested in test_isolation.py)
    "login",
    "logout",
    "healthz",
    "metrics",
    "generic-call",  # signed provider webhooks: their own tenant tests live with the providers
    "agency-reports",  # the businesses the user manages, side by side (tested in reports/tests/test_report_pages.py)
}
# account: the signed-in person's own pages (two-factor, sessions) and the links mails open (invitation,
# password reset), reached by who you are or by a token, never by a business's ids.
NOT_TENANT_PREFIXES = ("admin:", "twilio:", "account:", "api-v1:")  # /api/v1: token auth, tested in textback/api


@dataclass(frozen=True)
class Route:
    """A named URL pattern and its whole route, e.g. "b/<slug:slug>/contacts/<int:pk>"."""

    name: str
    route: str

    @property
    def params(self) -> list[str]:
        return re.findall(r"<(?:\w+:)?(\w+)>", self.route)


def url_patterns() -> dict[str, Route]:
    """Every named URL pattern of the project, by its (namespaced) name."""
    found = {}

    def walk(patterns, namespace="", prefix=""):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(
                    pattern.url_patterns, f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace, route
                )
            elif isinstance(pattern, URLPattern) and pattern.name:
                found[namespace + pattern.name] = Route(namespace + pattern.name, route)

    walk(get_resolver().url_patterns)
    return found


def staff_routes() -> dict[str, Route]:
    """The tenant routes of the staff app: each shows or changes one business's objects, under its slug."""
    return {
        name: route
        for name, route in url_patterns().items()
        if name not in NOT_TENANT_ROUTES and not name.startswith(NOT_TENANT_PREFIXES)
    }


# Which object a route's <pk> names (routes with no pk show the business as a whole).
ROUTE_OBJECT = {
    "call": "call",
    "call-recording": "call",
    "conversation": "conversation",
    "conversation-live": "conversation",
    "conversation-earlier": "conversation",
    "conversation-reply": "conversation",
    "conversation-note": "conversation",
    "conversation-close": "conversation",
    "conversation-reopen": "conversation",
    "conversation-assign": "conversation",
    "conversation-outcome": "conversation",
    "conversation-presence": "conversation",
    "conversation-followups-cancel": "conversation",
    "conversation-acknowledge": "conversation",
    "conversation-resume-automation": "conversation",
    "message-media": "picture",
    "contact": "contact",
    "contact-exclusion": "contact",
    "contact-consent-export": "contact",
    "contact-export": "contact",
    "contact-erase": "contact",
    "conversation-opt-out": "conversation",
    "conversation-not-opt-out": "conversation",
    "settings-line": "line",
    "settings-line-preview": "line",
    "settings-excluded-remove": "exclusion",
    "settings-canned-edit": "canned",
    "settings-canned-delete": "canned",
    "invitation-resend": "invitation",
    "invitation-revoke": "invitation",
    "member": "membership",
    "member-remove": "membership",
    "alert-webhook": "webhook",
    "alert-webhook-delete": "webhook",
    "alert-webhook-test": "webhook",
    "mail": "mail",
    "api-token-revoke": "api_token",
}


@dataclass
class Objects:
    """One of every object a staff page shows or changes, all of one business."""

    business: object
    line: object
    call: object
    conversation: object
    picture: object  # an inbound text with a picture (message-media shows its file 0)
    contact: object
    exclusion: object
    canned: object
    invitation: object
    membership: object  # a colleague's, for the staff member pages
    webhook: object
    mail: object
    api_token: object

    def url(self, route: str) -> str:
        """The route's URL for these objects (KeyError for a route with a <pk> nobody mapped in ROUTE_OBJECT)."""
        kwargs = {}
        for name in url_patterns()[route].params:
            if name == "slug":
                kwargs[name] = self.business.slug
            elif name == "pk":
                kwargs[name] = getattr(self, ROUTE_OBJECT[route]).pk
            elif name == "n":
                kwargs[name] = 0
        return reverse(route, kwargs=kwargs)


def every_object(line, *, owner, colleague, caller: str = CALLER) -> Objects:
    """Give the line's business one of each object the staff pages show: a missed call with a voicemail, its
    conversation with a picture message, an excluded number, a canned reply, a pending invitation, an alert
    webhook, a mail in the sandbox mailbox and an API token. `owner` sends the invitation; `colleague` is a member."""
    from textback.accounts import invitations
    from textback.accounts.models import Membership
    from textback.alerts.models import AlertWebhook
    from textback.api.tokens import do_create as a_token
    from textback.messaging.models import CannedReply, ExcludedNumber
    from textback.providers.sandbox import media as sandbox_media
    from textback.providers.sandbox.models import SandboxEmail

    business = line.business
    call = a_missed_call(line, caller=caller)
    recording = sandbox_media.recording_url(12)  # the sandbox's files are never fetched over a network
    Call.objects.filter(pk=call.pk).update(voicemail=True, voicemail_seconds=12, recording_url=recording)
    picture = an_inbound_text(
        line, "the leak", caller, media=[{"url": sandbox_media.picture_url(), "content_type": "image/png"}]
    )
    with transaction.atomic():
        invitation = invitations.do_invite(business, f"new@{business.slug}.example", Membership.AGENT, owner)
    return Objects(
        business=business,
        line=line,
        call=call,
        conversation=picture.conversation,
        picture=picture,
        contact=call.contact,
        exclusion=ExcludedNumber.objects.create(business=business, number="+15125550123", label="a vendor"),
        canned=CannedReply.objects.create(business=business, title="On our way", body="On our way, {first_name}."),
        invitation=invitation,
        membership=Membership.objects.get(business=business, user=colleague),
        webhook=AlertWebhook.objects.create(business=business, name="Dispatch", url="https://example.com/hook"),
        mail=SandboxEmail.objects.create(
            business=business, to=[owner.email], subject="Hello", body="A mail", sent_at=timezone.now()
        ),
        api_token=a_token(business, "Zapier", "read", owner).token,
    )


# --- what each people page reads ----------------------------------------------------------------------

_PROFILE = {"name": "Alpha", "time_zone": "America/Chicago", "country": "US", "help_contact": "call us",
           "textback_outcomes": "no_answer", "allowed_countries": "US", "cooldown_hours": "24",
           "staleness_minutes": "15", "sla_amber_minutes": "5", "sla_red_minutes": "15",
           "escalate_after_minutes": "5", "texts_per_hour": "200", "texts_per_day": "1000"}  # fmt: skip
_LINE = {"number": lambda o: o.line.number, "label": "Van", "active": "on", "call_mode": "carrier_forward",
        "forward_to": ALPHA_CELL, "ring_seconds": "20", "delay_seconds": "0", "staff_name": "Mike",
        "textback_enabled": "on", "textback_template": "Hi {first_name|there}, sorry we missed you.",
        "voicemail_template": "", "record_voicemail": "on", "greeting": "Leave a message.",
        "keyword_replies": "ours"}  # fmt: skip
_HOURS = {"mode": "weekly", "d0_opens_0": "08:00", "d0_closes_0": "17:00",
         **{f"d{day}_closed": "on" for day in range(1, 7)}}  # fmt: skip
_WEBHOOK = {"name": "Ops", "kind": "slack", "url": "https://hooks.slack.com/services/T0/B0/X", "on_reply": "on",
           "active": "on"}  # fmt: skip
_MY_SETTINGS = {"phone": "(512) 555-0188", "alert_email": "on", "alert_sms": "on", "alert_on_reply": "on",
               "quiet_start": "21:00", "quiet_end": "07:00"}  # fmt: skip
_FOLLOWUPS = {"enabled": "on", "window_start": "09:00", "window_end": "20:00", "delay_1": "60", "valid_1": "240",
              "template_1": "{business}: still need a hand?"}  # fmt: skip
_COSTS = {"trade": "plumbing", "software_monthly": "99", "price_per_segment": "0.0083", "number_monthly": "1.15",
          "per_call": "0", "average_ticket": "350"}  # fmt: skip
_ROI = {"monthly_calls": "600", "miss_rate": "35", "reply_rate": "60", "booking_rate": "30", "average_ticket": "350",
        "software_monthly": "99"}  # fmt: skip
_PASSWORD = {"name": "Newcomer", "password1": "a long pass phrase 9", "password2": "a long pass phrase 9"}

# The query and form parameters each people page reads, with a value it accepts:
# route: {"GET": {parameter: value}, "POST": {...}}; a value may be a function of the Objects.
PARAMETERS = {
    "business": {"GET": {"show": "all", "line": lambda o: o.line.pk, "q": "leak", "before": "1700000000000000,9"}},
    "inbox-live": {"GET": {"show": "all", "line": lambda o: o.line.pk, "q": "leak"}},
    "calls": {"GET": {}},
    "reports": {"GET": {"period": "30d", "from": "2026-11-01", "to": "2026-11-30", "line": lambda o: o.line.pk}},
    "agency-reports": {"GET": {"period": "custom", "from": "2026-11-01", "to": "2026-11-30"}},
    "call": {"GET": {}},
    "consent": {"GET": {}},
    "conversation": {"GET": {"canned": lambda o: o.canned.pk, "before": "1700000000000000-message-9"}},
    "conversation-live": {"GET": {"since": "1700000000000000-message-9"}},
    "conversation-earlier": {"GET": {"before": "1700000000000000-message-9"}},
    "conversation-reply": {"POST": {"body": "On our way", "token": "f00d"}},
    "conversation-note": {"POST": {"body": "Gate code 1234"}},
    "conversation-close": {"POST": {}},
    "conversation-reopen": {"POST": {}},
    "conversation-assign": {"POST": {"assignee": lambda o: o.membership.user_id}},
    "conversation-outcome": {"POST": {"outcome": "booked", "value": "350", "reason": ""}},
    "conversation-presence": {"POST": {"typing": "1", "left": ""}},
    "conversation-followups-cancel": {"POST": {}},
    "conversation-acknowledge": {"POST": {}},
    "conversation-resume-automation": {"POST": {}},
    "message-media": {"GET": {}},  # its file is fetched only once the tenant and line checks pass
    "call-recording": {"GET": {}},
    "settings": {"GET": {}},
    "settings-profile": {"POST": _PROFILE},
    "settings-hours": {"POST": _HOURS},
    "settings-holidays": {"POST": {"public_holidays": "on", "holiday_country": "US", "holiday_subdivision": "TX"}},
    "settings-closures": {
        "POST": {"first_day": "2026-12-24", "last_day": "2026-12-26", "label": "Break", "line": lambda o: o.line.pk}
    },  # fmt: skip
    "settings-lines": {"GET": {}},
    "settings-line-new": {"POST": {"number": "(512) 555-0177", "label": "Van", "forward_to": ALPHA_CELL}},
    "settings-line": {"POST": _LINE},
    "settings-line-preview": {
        "POST": {
            "staff_name": "Mike",
            "textback_template": "Hi {first_name}",
            "voicemail_template": "Got your voicemail",
        }
    },  # fmt: skip
    "settings-excluded": {"POST": {"number": "(512) 555-0166", "label": "Vendor"}},
    "settings-followups": {"GET": {"line": lambda o: o.line.pk}, "POST": {**_FOLLOWUPS, "follow_business": "1"}},
    "settings-excluded-remove": {"POST": {}},
    "settings-canned": {"POST": {"title": "Late", "body": "Running late, {first_name|there}."}},
    "settings-canned-edit": {"POST": {"title": "Late", "body": "Running late."}},
    "settings-canned-delete": {"POST": {}},
    "settings-on-call": {
        "POST": {"do": "add_slot", "person": lambda o: o.membership.pk, "days": "0", "starts": "17:00", "ends": "08:00"}
    },  # fmt: skip
    "contacts": {"GET": {"q": "512", "before": lambda o: o.contact.pk + 1}},
    "contact": {"POST": {"name": "Jane Doe", "owner": lambda o: o.membership.user_id, "tags": "vip"}},
    "contact-exclusion": {"POST": {"do": "include"}},
    "contact-consent-export": {"GET": {}},
    "contact-export": {"GET": {}},
    "contact-erase": {"POST": {"confirm": "on"}},
    "conversation-opt-out": {"POST": {}},
    "conversation-not-opt-out": {"POST": {}},
    "consent-export": {"GET": {}},
    "settings-retention": {"POST": {"days": "365"}},
    "settings-costs": {"POST": _COSTS},
    "reports-roi": {"GET": _ROI},
    "reports-exports": {"GET": {}},
    "reports-calls-csv": {"GET": {"period": "30d", "line": lambda o: o.line.pk}},
    "reports-conversations-csv": {"GET": {"from": "2026-11-01", "to": "2026-11-30", "line": lambda o: o.line.pk}},
    "reports-funnel-csv": {"GET": {"period": "7d", "total": "1", "line": lambda o: o.line.pk}},
    "mailbox": {"GET": {"before": "1700000000000000,9"}},
    "mail": {"GET": {}},
    "staff": {"GET": {}},
    "staff-invite": {"POST": {"email": "someone@example.com", "role": "agent"}},
    "invitation-resend": {"POST": {}},
    "invitation-revoke": {"POST": {}},
    "member": {"POST": {"role": "manager", "lines": lambda o: o.line.pk}},
    "member-remove": {"POST": {}},
    "my-settings": {"POST": _MY_SETTINGS},
    "my-phone-code": {"POST": {}},
    "my-phone-verify": {"POST": {"code": "123456"}},
    "alert-webhooks": {"POST": _WEBHOOK},
    "alert-webhook": {"POST": {**_WEBHOOK, "new_secret": "on"}},
    "alert-webhook-delete": {"POST": {}},
    "alert-webhook-test": {"POST": {}},
    "api-tokens": {"POST": {"name": "Zapier", "scope": "read_write"}},
    "api-token-revoke": {"POST": {}},
    "simulator": {"GET": {"handset": "+15125550147"}},
    "simulator-handset": {"GET": {"handset": "+15125550147"}},
    "simulator-call": {
        "POST": {
            "line": lambda o: o.line.pk,
            "caller": "+15125550147",
            "scenario": "no_answer",
            "voicemail_seconds": "0",
        }
    },  # fmt: skip
    "simulator-text": {"POST": {"line": lambda o: o.line.pk, "handset": "+15125550147", "body": "Hello?"}},
    # The person's own pages, and the pages a mail's link opens.
    "home": {"GET": {}},
    "login": {"POST": {"username": "alice@alpha.example", "password": "not her password"}},
    "account:home": {"GET": {}},
    "account:log-out-others": {"POST": {}},
    "account:two-factor-start": {"POST": {}},
    "account:two-factor-confirm": {"POST": {"code": "123456"}},
    "account:two-factor-off": {"POST": {"code": "123456"}},
    "account:recovery-codes": {"POST": {"code": "123456"}},
    "account:login-code": {"POST": {"code": "123456"}},
    "account:invite": {"POST": _PASSWORD},
    "account:password-reset": {"POST": {"email": "alice@alpha.example"}},
    "account:password-reset-confirm": {
        "POST": {"new_password1": "a long pass phrase 9", "new_password2": "a long pass phrase 9"}
    },  # fmt: skip
}
# Routes that take no parameter from a person: provider webhooks (fuzzed in providers/tests), health checks,
# the admin (Django's own), logging out.
NOT_PEOPLE_PAGES = ("admin:", "twilio:", "api-v1:")
NO_PARAMETERS = {"generic-call", "healthz", "metrics", "logout", "account:password-reset-sent",
                 "account:password-reset-complete"}  # fmt: skip
# Pages that are not under a business: their URL for the test.
OWN_URLS = {
    "home": "/",
    "agency-reports": "/reports/",
    "login": "/login",
    "account:home": "/account",
    "account:log-out-others": "/account/sessions/log-out-others",
    "account:two-factor-start": "/account/two-factor/start",
    "account:two-factor-confirm": "/account/two-factor/confirm",
    "account:two-factor-off": "/account/two-factor/off",
    "account:recovery-codes": "/account/two-factor/recovery-codes",
    "account:login-code": "/login/code",
    "account:invite": "/invite/not-a-real-token",
    "account:password-reset": "/password-reset",
    "account:password-reset-confirm": "/password-reset/MQ/set-password",
}


def every_row() -> dict:
    """Every row the people pages could write, as plain values (read marks, presence and the login throttle
    aside: opening a page or trying a password writes those by design)."""
    from django.apps import apps

    volatile = {"ConversationRead", "Presence", "LoginThrottle"}
    tables = [m for m in apps.get_models() if m.__module__.startswith("textback") and m.__name__ not in volatile]
    tables.append(apps.get_model("auth", "User"))
    return {m.__name__: list(m.objects.order_by("pk").values_list()) for m in tables}


def encoded(params: dict, objects: Objects, hostile_name: str = "", hostile: str = "") -> str:
    """A query string or form body of `params` (values, or functions of the objects), with `hostile` sent raw
    (percent-encoded bytes) in the parameter `hostile_name`."""
    pairs = []
    for name, value in params.items():
        if name == hostile_name:
            pairs.append(f"{quote(name)}={hostile}")
        else:
            value = value(objects) if callable(value) else value
            pairs.append(f"{quote(name)}={quote(str(value))}")
    return "&".join(pairs)


def send(client, method: str, url: str, data: str = "", **headers):
    """GET with `data` as the query string, or POST it as a form body."""
    if method == "GET":
        return client.get(f"{url}?{data}" if data else url, **headers)
    return client.post(url, data=data, content_type="application/x-www-form-urlencoded", **headers)


def a_long_thread(
    conversation: Conversation, entries: int, *, ending=None, every=None, at_once: int = 1, staff=None
) -> list[str]:
    """`entries` timeline entries written straight into `conversation` (bulk inserts: thousands a second),
    one each `every` (a minute; `at_once` of them share each moment) up to `ending` (a day ago): texts both
    ways, each one sent with its delivery report, by `staff` or else the automation; every 7th a staff note,
    every 11th a missed call, every 13th a HELP request. Returns their element ids on the page, oldest first."""
    from datetime import timedelta

    from django.utils import timezone

    from textback.messaging.models import ConsentEvent, ConversationEvent, MessageStatusEvent

    every = every or timedelta(minutes=1)
    ending = ending or timezone.now() - timedelta(days=1)
    rank = "cmke"  # at one moment the timeline shows a call, then texts, then consent, then staff events
    kinds = ["c" if i % 11 == 5 else "e" if i % 7 == 3 else "k" if i % 13 == 9 else "m" for i in range(entries)]
    plan = [(kind, i, ending - every * ((entries - 1 - i) // at_once)) for i, kind in enumerate(kinds)]
    plan.sort(key=lambda step: (step[2], rank.index(step[0])))
    made = {kind: [] for kind in rank}
    for kind, i, at in plan:
        made[kind].append(_thread_entry(conversation, kind, i, at, staff))
    Call.objects.bulk_create(made["c"])
    Message.objects.bulk_create(made["m"], batch_size=1000)
    ConsentEvent.objects.bulk_create(made["k"])
    ConversationEvent.objects.bulk_create(made["e"])
    MessageStatusEvent.objects.bulk_create(
        [MessageStatusEvent(message=m, status="delivered", at=m.status_at) for m in made["m"] if m.direction == "out"],
        batch_size=1000,
    )
    prefix = {"c": "call", "m": "m", "k": "consent", "e": "note"}
    position = {kind: iter(made[kind]) for kind in rank}
    return [f"{prefix[kind]}{next(position[kind]).pk}" for kind, _, _ in plan]


def _thread_entry(conversation: Conversation, kind: str, i: int, at, staff):
    from datetime import timedelta

    from textback.messaging.models import ConsentEvent, ConversationEvent

    business, line, contact = conversation.business, conversation.line, conversation.contact
    if kind == "c":
        return Call(
            business=business, line=line, contact=contact, provider=line.provider, provider_call_id=f"CA{uuid.uuid4().hex}",
            from_number=contact.number, to_number=line.number, state=Call.ENDED, outcome=outcomes.NO_ANSWER,
            started_at=at, ended_at=at + timedelta(seconds=20),
        )  # fmt: skip
    if kind == "k":
        return ConsentEvent(
            business=business, number=contact.number, kind=ConsentEvent.HELP, keyword="HELP", line=line, created_at=at
        )
    if kind == "e":
        return ConversationEvent(
            business=business,
            conversation=conversation,
            kind=ConversationEvent.NOTE,
            actor=staff,
            body=f"note {i}",
            at=at,
        )
    inbound = i % 2 == 0
    who = Message.CONTACT if inbound else Message.STAFF if staff else Message.AUTOMATION
    return Message(
        business=business, conversation=conversation, contact=contact, line=line, direction=Message.IN if inbound else Message.OUT,
        sender_kind=who, sent_by=None if inbound else staff, purpose=Message.INBOUND if inbound else Message.REPLY if staff else Message.FOLLOWUP,
        body=f"text {i}", encoding="GSM-7", units=len(f"text {i}"), segments=1, status="received" if inbound else "delivered",
        status_at=at, provider=line.provider, created_at=at,
    )  # fmt: skip
