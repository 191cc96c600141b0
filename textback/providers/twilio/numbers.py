"""How a Twilio number must be set up for a line, what stands in the way, and setting it up.

The rules are pure functions of Twilio's IncomingPhoneNumber resource (the
dict the API answers with): which of its webhooks a line needs by call mode,
where they differ from what Twilio holds (for `textback check --online`), and
the one update that fixes them (for `--configure-provider`). `prepare` and
`apply` run them against a TwilioClient.

A number wired to a TwiML App (voice_application_sid, sms_application_sid) or
a SIP trunk (trunk_sid) makes Twilio ignore the URLs on the number, so those
come first. Twilio clears such a reference when it is set to the empty string,
as its own examples show an unset one ("voice_application_sid": "").
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.urls import reverse

from textback.lib.urls import is_local
from textback.providers.models import TWILIO, Line
from textback.providers.twilio import ids
from textback.providers.twilio.client import created_at


@dataclass(frozen=True)
class Hook:
    """One webhook of a number: its resource field, its update parameter, where the console shows it."""

    field: str
    method_field: str
    param: str
    method_param: str
    label: str
    route: str


HOOKS = {
    hook.field: hook
    for hook in (
        Hook("voice_url", "voice_method", "VoiceUrl", "VoiceMethod", 'Voice "A call comes in"', "twilio:voice"),
        Hook(
            "status_callback",
            "status_callback_method",
            "StatusCallback",
            "StatusCallbackMethod",
            'Voice "Call status changes"',
            "twilio:call-status",
        ),
        Hook("sms_url", "sms_method", "SmsUrl", "SmsMethod", 'Messaging "A message comes in"', "twilio:sms"),
    )
}
HOOKS_BY_MODE = {
    Line.FORWARD_SCREEN: ("voice_url", "status_callback", "sms_url"),
    Line.CARRIER_FORWARD: ("voice_url", "status_callback", "sms_url"),
    Line.STATUS_ONLY: ("status_callback", "sms_url"),  # the business's own flow answers the call
    Line.GENERIC_PBX: ("sms_url",),  # calls are reported to /hooks/generic/call
}
VOICE = ("voice_url", "status_callback")


@dataclass(frozen=True)
class Override:
    """A reference on the number that makes Twilio ignore some of its URLs."""

    field: str
    param: str
    kind: str
    hides: tuple[str, ...]
    handles: str


VOICE_APP = Override("voice_application_sid", "VoiceApplicationSid", "TwiML App", VOICE, "calls")
TRUNK = Override("trunk_sid", "TrunkSid", "SIP trunk", VOICE, "calls")  # Twilio: it also replaces a voice app
SMS_APP = Override("sms_application_sid", "SmsApplicationSid", "TwiML App", ("sms_url",), "texts")
OVERRIDES = (VOICE_APP, TRUNK, SMS_APP)


def hook_url(route: str) -> str:
    return settings.PUBLIC_URL + reverse(route)


def wanted(call_mode: str) -> dict[str, str]:
    """IncomingPhoneNumber field → the URL it must hold for a line in this call mode."""
    return {name: hook_url(HOOKS[name].route) for name in HOOKS_BY_MODE[call_mode]}


def _method(resource: dict, hook: Hook) -> str:
    return (resource.get(hook.method_field) or "POST").upper()  # Twilio's default is POST


def hook_problems(resource: dict, call_mode: str, skip: set[str] = frozenset()) -> list[str]:
    """Where the number's webhooks, as Twilio has them, differ from what this line needs (but those in skip)."""
    problems = []
    for name, url in wanted(call_mode).items():
        if name in skip:
            continue
        hook, current = HOOKS[name], resource.get(name) or ""
        if current != url:
            problems.append(
                f"Twilio's {hook.label} is {current or 'empty'}; set it to {url} (HTTP POST) in the Twilio console"
            )
        elif _method(resource, hook) != "POST":
            problems.append(
                f"Twilio's {hook.label} uses HTTP {_method(resource, hook)}; switch it to HTTP POST in the Twilio console"
            )
    return problems


def in_the_way(resource: dict, call_mode: str) -> list[tuple[Override, str]]:
    """The app and trunk references on the number that hide a URL this line needs, with their SIDs."""
    needed = set(HOOKS_BY_MODE[call_mode])
    return [(o, resource[o.field]) for o in OVERRIDES if resource.get(o.field) and needed & set(o.hides)]


def hidden(resource: dict, call_mode: str) -> set[str]:
    """The needed webhooks Twilio ignores on this number because an app or trunk takes their place."""
    return {name for override, _ in in_the_way(resource, call_mode) for name in override.hides}


def stray_voice_url(resource: dict, call_mode: str) -> str | None:
    """A line that does not answer calls, on a number whose calls still come to textback's voice webhook."""
    if "voice_url" in HOOKS_BY_MODE[call_mode] or resource.get(VOICE_APP.field) or resource.get(TRUNK.field):
        return None
    if resource.get("voice_url") != hook_url("twilio:voice"):
        return None
    return (
        f"its {HOOKS['voice_url'].label} still points at textback, which answers every call as missed on a "
        f"{call_mode} line: point it at your own call flow in the Twilio console"
    )


def app_reports_here(app: dict | None) -> bool:
    """True when a TwiML App sends call status to textback (what a status-only line needs)."""
    if not app:
        return False
    method = (app.get("status_callback_method") or "POST").upper()
    return app.get("status_callback") == hook_url("twilio:call-status") and method == "POST"


def _own_flow(call_mode: str, override: Override) -> bool:
    """A status-only line keeps the business's own call flow: its app or trunk must stay."""
    return call_mode == Line.STATUS_ONLY and override.hides == VOICE


def override_problems(resource: dict, line: Line, app: dict | None = None) -> list[str]:
    """Why Twilio ignores this line's URLs on the number, each with its fix."""
    take_over = f"`textback line set {line.number} --configure-provider --take-over`"
    problems = []
    for override, sid in in_the_way(resource, line.call_mode):
        if override is VOICE_APP and _own_flow(line.call_mode, override):
            if not app_reports_here(app):
                problems.append(
                    f"calls to it are answered by TwiML App {sid}, so Twilio sends call status to the app's status "
                    f"callback, not the number's: set the app's Status Callback URL to {hook_url('twilio:call-status')} "
                    f"(HTTP POST) in the Twilio console (Voice > TwiML Apps > {sid})"
                )
        elif override is TRUNK and _own_flow(line.call_mode, override):
            problems.append(
                f"calls to it go to SIP trunk {sid}, which ignores the number's status callback, so textback never "
                "hears of them: report them from your PBX with `--mode generic` (see the README), "
                "or take the number off the trunk"
            )
        else:
            hidden = " and ".join(HOOKS[name].label for name in override.hides)
            problems.append(
                f"its {override.handles} go to {override.kind} {sid}, so Twilio ignores its {hidden}: remove the "
                f"{override.kind} from the number in the Twilio console, or run {take_over}"
            )
    return problems


# --- configuring ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    what: str
    was: str
    now: str

    def __str__(self) -> str:
        return f"{self.what + ':':34} {self.now}, was {self.was}"


@dataclass(frozen=True)
class Plan:
    """The update that sets a number up for a line, or why it must not be made."""

    sid: str
    number: str
    params: dict[str, str] = field(default_factory=dict)
    changes: tuple[Change, ...] = ()
    already: tuple[str, ...] = ()  # the hooks that are right as they are
    held: tuple[str, ...] = ()  # what Twilio uses instead of the number's URLs: "its calls go to TwiML App AP…"
    refused: str = ""
    needs_take_over: bool = False


def _shown(url: str, method: str) -> str:
    return f"{url} (HTTP {method})" if url else "empty"


def plan(resource: dict, call_mode: str, *, take_over: bool, app: dict | None = None) -> Plan:
    """The IncomingPhoneNumber update for a line in this call mode: its URLs and methods, and with
    `take_over` the app and trunk references that hide them. Only the fields the mode needs."""
    sid, number = resource.get("sid") or "", resource.get("phone_number") or ""
    blocking = [(o, s) for o, s in in_the_way(resource, call_mode) if not (o is VOICE_APP and app_reports_here(app))]
    kept = [(o, s) for o, s in blocking if _own_flow(call_mode, o)]
    if kept:
        return Plan(sid, number, refused=_kept_message(kept))
    held = tuple(f"its {o.handles} go to {o.kind} {ref}" for o, ref in blocking)
    if blocking and not take_over:
        return Plan(sid, number, held=held, refused=_take_over_message(held), needs_take_over=True)
    params, changes, already = {}, [], []
    for name, url in wanted(call_mode).items():
        hook, current, method = HOOKS[name], resource.get(name) or "", _method(resource, HOOKS[name])
        if current == url and method == "POST":
            already.append(hook.label)
            continue
        params.update({hook.param: url, hook.method_param: "POST"})
        changes.append(Change(hook.label, _shown(current, method), f"{url} (HTTP POST)"))
    for override, ref in blocking:
        params[override.param] = ""
        changes.append(Change(f"{override.kind} for {override.handles}", ref, "removed (--take-over)"))
    return Plan(sid, number, params, tuple(changes), tuple(already), held)


def _take_over_message(held: tuple[str, ...]) -> str:
    return (
        f"the number is wired elsewhere ({'; '.join(held)}), so Twilio would ignore the URLs textback sets; nothing was "
        "changed. Take it over with --take-over (that removes the reference from the number; the app or trunk "
        "itself is kept), or change it in the Twilio console"
    )


def _kept_message(kept: list[tuple[Override, str]]) -> str:
    override, sid = kept[0]  # a number has a TwiML App or a trunk for its calls, never both
    if override is TRUNK:
        return (
            f"calls to the number go to your SIP trunk {sid}, which a status_only line keeps, so textback does not "
            "change it; the trunk ignores the number's status callback, so report calls from your PBX with "
            "--mode generic instead"
        )
    return (
        f"calls to the number are answered by your own TwiML App {sid}, which a status_only line keeps, so textback "
        f"does not change it; set the app's status callback to {hook_url('twilio:call-status')} (HTTP POST) in the "
        f"Twilio console (Voice > TwiML Apps > {sid})"
    )


class NotConfigured(Exception):
    """The number was not set up. `usage`: the user must change what they asked for (exit status 2).

    `taken_over` is the plan --take-over would carry out, when that is what it takes.
    """

    def __init__(self, message: str, *, usage: bool, taken_over: Plan | None = None):
        super().__init__(message)
        self.usage = usage
        self.taken_over = taken_over


def setup_problem(line: Line) -> str | None:
    """Why textback cannot set up this line's number at all, before asking Twilio anything."""
    account = line.account
    if account.provider != TWILIO:
        return f"account {account.pk} is a {account.provider} account, not Twilio"
    problem = ids.stored_sid_problem(account.account_sid) or ids.token_problem(account.auth_token)
    if problem:
        return f"Twilio account {account.pk}: {problem}; fix it with `textback account set {account.pk}`"
    if is_local(settings.PUBLIC_URL):
        return (
            f"Twilio cannot reach TEXTBACK_PUBLIC_URL {settings.PUBLIC_URL}; set it to this server's public https "
            "URL first"
        )
    return None


def prepare(client, line: Line, *, take_over: bool) -> Plan:
    """Read the number and plan its update, changing nothing. Raises NotConfigured or ProviderError."""
    resource = client.find_number(line.number)
    if resource is None:
        raise NotConfigured(
            f"{line.number} is not a number of Twilio account {client.account_sid}: buy or port it there, or give "
            "the line the account that has it (--account ID)",
            usage=True,
        )
    return _plan_for(client, resource, line, take_over)


def prepare_by_sid(client, line: Line, sid: str, *, take_over: bool) -> Plan:
    """The same, for the exact resource a confirmation page showed (it must still be this line's number)."""
    resource = client.fetch_number(sid)
    if resource.get("phone_number") != line.number:
        raise NotConfigured(f"Twilio number {sid} is no longer {line.number}; start again", usage=True)
    return _plan_for(client, resource, line, take_over)


def _plan_for(client, resource: dict, line: Line, take_over: bool) -> Plan:
    app = None
    app_sid = resource.get(VOICE_APP.field)
    if line.call_mode == Line.STATUS_ONLY and app_sid:
        app = client.fetch_application(app_sid)
    found = plan(resource, line.call_mode, take_over=take_over, app=app)
    if found.refused:
        taken = plan(resource, line.call_mode, take_over=True, app=app) if found.needs_take_over else None
        raise NotConfigured(found.refused, usage=True, taken_over=taken)
    return found


def apply(client, prepared: Plan, line: Line) -> None:
    """Send the planned update (nothing when nothing differs) and make sure Twilio now holds it."""
    if not prepared.params:
        return
    after = client.update_number(prepared.sid, prepared.params)
    left = hook_problems(after, line.call_mode)
    left += [
        f"{o.kind} {after[o.field]} is still set"
        for o in OVERRIDES
        if o.param in prepared.params and after.get(o.field)
    ]
    if left:
        raise NotConfigured("Twilio took the update but does not show it: " + "; ".join(left), usage=False)


SERVICE_ROUTING = (
    "Twilio hands the texts of a number in a Messaging Service to the service's own webhook unless the service "
    "defers to the number's: in the Twilio console, open Messaging > Services > {service} > Integration and set "
    'Incoming Messages to "Defer to sender\'s webhook"'
)
INBOUND_NOTE = (
    "If the number is in a Messaging Service: "
    + SERVICE_ROUTING.format(service="(the service)")
    + " (textback cannot read that setting; `textback check --online` tells once a text has come in)."
)
SETTLE_SECONDS = 60  # a text this recent may still be on its way to our webhook


@dataclass(frozen=True)
class Verdict:
    level: str  # "ok", "info" or "warn"
    text: str


def inbound_verdict(received: list[dict], recorded: set[str], since: datetime, now: datetime) -> Verdict:
    """Whether texts to the number reach textback, judged from the texts Twilio says it received.

    A Messaging Service's routing setting lives in the Messaging Services API
    (messaging.twilio.com), which textback does not talk to, and the Message
    resource's messaging_service_sid cannot tell membership apart (Twilio fills
    in a default when no service is used). What can be seen is the outcome: a
    text Twilio received after the line was added that never reached our SMS
    webhook. `recorded` holds the MessageSids textback received.
    """
    settled = [m for m in received if (now - created_at(m)).total_seconds() >= SETTLE_SECONDS]
    latest = max(settled, key=created_at, default=None)
    if latest is None or created_at(latest) < since:
        return Verdict(
            "info",
            "no text to it has come in since the line was added, so where Twilio sends its texts "
            f"is not known yet. {INBOUND_NOTE}",
        )
    if latest.get("sid") in recorded:
        return Verdict("ok", "the latest text to it reached textback")
    listed = latest.get("messaging_service_sid") or ""
    service = listed if ids.MESSAGING_SERVICE_SID.fullmatch(listed) else "(the service)"
    return Verdict(
        "warn",
        f"Twilio received a text to it at {created_at(latest):%Y-%m-%d %H:%M} UTC ({latest.get('sid')}) that never "
        f"reached textback. {SERVICE_ROUTING.format(service=service)}; if it is in none, look for the error in the "
        "Twilio console's Monitor > Logs",
    )


def report(done: Plan) -> list[str]:
    """What an applied plan changed at Twilio and what was there before, one line each."""
    if not done.params:
        lines = [f"Twilio number {done.number} ({done.sid}) already points here; nothing was changed."]
    else:
        lines = [f"Configured Twilio number {done.number} ({done.sid}):"]
        lines += [f"  {change}" for change in done.changes]
        lines += [f"  {label + ':':34} already right" for label in done.already]
    return [*lines, INBOUND_NOTE]


def failure(exc: Exception, account) -> str:
    """What went wrong talking to Twilio, and what to do about it (never with the token)."""
    if getattr(exc, "refused_credentials", False):
        return (
            "Twilio refused the Account SID and auth token (HTTP 401): copy both again from console.twilio.com and "
            f"run `textback account set {account.pk} --sid AC… --token-stdin`"
        )
    if not getattr(exc, "reached", True):
        return f"{exc}: check the network"
    return str(exc)
