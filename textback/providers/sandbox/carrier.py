"""The sandbox carrier: a built-in stand-in for a real phone network.

It implements the same provider interface as Twilio. Texts it "sends" are kept
as SandboxMessage rows and shown on the simulated handset; a delivery report
follows through the outbox, as a real carrier's callback would. Simulated calls
go through the same call actions as a provider's webhooks.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from textback.calls import actions as calls
from textback.calls import outcomes
from textback.lib import phone
from textback.messaging import actions as messaging
from textback.outbox import wake, worker
from textback.outbox.models import OutboxItem
from textback.providers.base import OutgoingSms, ProviderError, Submitted
from textback.providers.sandbox import media as sandbox_media
from textback.providers.sandbox.models import SandboxHandset, SandboxMessage

PROVIDER = "sandbox"
DELIVERY_DELAY = timedelta(milliseconds=400)
DELIVERY_REPORT = "sandbox_dlr"


def new_sid(prefix: str) -> str:
    return prefix + uuid.uuid4().hex


class SandboxCarrier:
    name = PROVIDER

    def __init__(self, account):
        self.account = account

    def send_sms(self, sms: OutgoingSms) -> Submitted:
        if not phone.is_e164(sms.to):
            raise ProviderError(
                "the sandbox network has no such number", code="invalid", permanent=True, consequence="invalid"
            )
        if SandboxHandset.objects.filter(number=sms.to, landline=True).exists():
            raise ProviderError("the number is a landline", code="landline", permanent=True, consequence="landline")
        now = timezone.now()
        with transaction.atomic():
            carried = SandboxMessage.objects.create(
                account=self.account,
                sid=new_sid("SM"),
                direction=SandboxMessage.TO_HANDSET,
                from_number=sms.from_,
                to_number=sms.to,
                body=sms.body,
                status="sent",
                client_ref=sms.ref,
                status_callback=sms.status_callback or "",
                created_at=now,
            )
            due = now + DELIVERY_DELAY
            OutboxItem.objects.create(
                business=self.account.business,
                kind=DELIVERY_REPORT,
                idempotency_key=f"{DELIVERY_REPORT}:{carried.sid}",
                payload={"sid": carried.sid},
                due_at=due,
                created_at=now,
            )
            wake.after_commit(due)
        return Submitted(provider_message_id=carried.sid, status="sent")

    def find_sent(self, sms: OutgoingSms, since: datetime) -> list[Submitted]:
        carried = SandboxMessage.objects.filter(account=self.account, client_ref=sms.ref).order_by("created_at")
        return [Submitted(c.sid, c.status) for c in carried]


@worker.handles(DELIVERY_REPORT, lane=worker.TEXTS)
def report_delivery(item: OutboxItem, reconcile: bool) -> None:
    """The handset got the text: tell textback, as a carrier's delivery receipt would."""
    sid = item.payload.get("sid", "")
    with transaction.atomic():
        if not worker.still_ours(item):
            return
        carried = SandboxMessage.objects.filter(sid=sid).first()
        SandboxMessage.objects.filter(sid=sid).update(status="delivered")
        messaging.do_message_status(  # the ref finds the message even if its sender has not recorded the sid yet
            messaging.StatusReport(
                provider=PROVIDER,
                provider_message_id=sid,
                status="delivered",
                ref=carried.client_ref if carried else "",
            )
        )
        worker.finish(item, OutboxItem.DONE, "delivered")


# --- the simulated network's calls and handsets ----------------------------------------------

NO_ANSWER, BUSY, HANG_UP, SCREENED_OUT, ANSWERED = "no_answer", "busy", "hang_up", "screened_out", "answered"
SCENARIOS = {
    NO_ANSWER: ("Nobody answers", outcomes.NO_ANSWER),
    BUSY: ("The line is busy", outcomes.BUSY),
    HANG_UP: ("The caller hangs up while it rings", outcomes.CALLER_HUNG_UP),
    SCREENED_OUT: ("A phone picks up, nobody presses 1 (a cell's voicemail)", outcomes.SCREENED_OUT),
    ANSWERED: ("Someone answers and presses 1", outcomes.ANSWERED),
}


@dataclass(frozen=True)
class SimulatedCall:
    line: object
    caller: str
    scenario: str
    voicemail_seconds: int = 0  # a message left after the missed call; 0 for none


def place_call(sim: SimulatedCall):
    """Play a whole call through textback, as a carrier's webhooks would report it."""
    if sim.scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {sim.scenario!r}; choose one of {', '.join(SCENARIOS)}")
    outcome = SCENARIOS[sim.scenario][1]
    with transaction.atomic():
        call, _ = calls.start_call(
            calls.CallStart(
                line=sim.line,
                provider=PROVIDER,
                call_id=new_sid("CA"),
                from_number=sim.caller,
                to_number=sim.line.number,
            ),
            expect_new=True,
        )
        if outcome == outcomes.ANSWERED:
            calls.do_accept(call)
        leaves_voicemail = sim.voicemail_seconds > 0 and outcome not in (outcomes.ANSWERED, outcomes.CALLER_HUNG_UP)
        if leaves_voicemail:  # the simulated network reports the whole call at once, as a PBX does
            recording = sandbox_media.recording_url(sim.voicemail_seconds)
            call = calls.do_voicemail(call, sim.voicemail_seconds, recording, outcome=outcome)
        else:
            call = calls.do_call_ended(call, outcome)
    return call


def text_from_handset(line, from_number: str, body: str):
    """A simulated handset texts a business line."""
    with transaction.atomic():
        carried = SandboxMessage.objects.create(
            account=line.account,
            sid=new_sid("SM"),
            direction=SandboxMessage.FROM_HANDSET,
            from_number=from_number,
            to_number=line.number,
            body=body,
            status="received",
            created_at=timezone.now(),
        )
        return messaging.do_inbound_sms(
            messaging.Inbound(
                line=line, provider=PROVIDER, provider_message_id=carried.sid, from_number=from_number, body=body
            )
        )
