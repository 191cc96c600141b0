"""Delivery reports move a message forward, never backward, and teach us about the number."""

import itertools

import pytest

from textback.conftest import CALLER
from textback.messaging import actions
from textback.messaging.actions import StatusReport, do_message_status
from textback.messaging.models import ConsentEvent, Contact, Message, MessageStatus, MessageStatusEvent

pytestmark = pytest.mark.django_db

SID = "SM" + "1" * 32


@pytest.fixture
def sent(alpha_line, queue) -> Message:
    """A text Twilio accepted as SID."""
    message = queue(alpha_line)
    Message.objects.filter(pk=message.pk).update(provider_message_id=SID, status=MessageStatus.QUEUED)
    message.refresh_from_db()
    return message


def report(status: str, **kwargs) -> Message | None:
    return do_message_status(StatusReport(provider="twilio", provider_message_id=SID, status=status, **kwargs))


def status_of(message: Message) -> str:
    message.refresh_from_db()
    return message.status


def test_statuses_move_forward_in_order(sent):
    for word, ours in [("sending", "sending"), ("sent", "sent"), ("delivered", "delivered"), ("read", "read")]:
        report(word)
        assert status_of(sent) == ours


@pytest.mark.parametrize(
    ("first", "late"),
    [
        ("delivered", "sent"),
        ("delivered", "sending"),
        ("sent", "queued"),
        ("undelivered", "sent"),
        ("failed", "sending"),
        ("delivered", "undelivered"),
        ("read", "delivered"),
    ],
)
def test_a_late_status_never_moves_a_message_backward(sent, first, late):
    report(first)
    report(late)

    assert status_of(sent) == MessageStatus.FROM_PROVIDER[first]


def test_every_report_is_kept_in_the_history_with_whether_it_applied(sent):
    report("delivered")
    report("sent")

    history = list(MessageStatusEvent.objects.filter(message=sent).values_list("status", "applied"))
    assert history[-2:] == [("delivered", True), ("sent", False)]


def test_an_unknown_status_word_is_recorded_but_changes_nothing(sent):
    report("teleported")

    assert status_of(sent) == MessageStatus.QUEUED
    assert MessageStatusEvent.objects.filter(message=sent, status="teleported", applied=False).exists()


def test_sent_at_is_set_once_when_the_message_is_first_sent(sent):
    report("sent")
    sent.refresh_from_db()
    first = sent.sent_at
    report("delivered")
    sent.refresh_from_db()

    assert first is not None and sent.sent_at == first


def test_an_undelivered_report_keeps_its_error_code(sent):
    report("undelivered", error_code="30003")

    sent.refresh_from_db()
    assert (sent.status, sent.error_code) == (MessageStatus.UNDELIVERED, "30003")


def test_a_landline_error_marks_the_contact_as_a_landline(sent):
    report("undelivered", error_code="30006", consequence="landline")

    assert Contact.objects.get(number=CALLER).is_landline


def test_an_invalid_number_error_marks_the_contact_invalid(sent):
    report("failed", error_code="30005", consequence="invalid")

    assert Contact.objects.get(number=CALLER).is_invalid


def test_an_unsubscribed_error_records_one_opt_out_from_the_provider(alpha, sent):
    report("failed", error_code="21610", consequence="opted_out")
    report("failed", error_code="21610", consequence="opted_out")

    [event] = ConsentEvent.objects.all()
    assert (event.kind, event.source, event.number) == (ConsentEvent.OPT_OUT, ConsentEvent.PROVIDER, CALLER)
    assert actions.is_opted_out(alpha, CALLER)


def test_a_report_finds_the_message_by_our_reference_before_its_sid_is_known(alpha_line, queue):
    message = queue(alpha_line)  # the worker died before it recorded Twilio's answer

    found = do_message_status(
        StatusReport(provider="twilio", provider_message_id=SID, status="sent", ref=str(message.ref))
    )

    assert found == message
    message.refresh_from_db()
    assert (message.provider_message_id, message.status) == (SID, MessageStatus.SENT)


def test_a_report_for_an_unknown_message_is_ignored(sent):
    assert (
        do_message_status(StatusReport(provider="twilio", provider_message_id="SM" + "9" * 32, status="failed")) is None
    )
    assert status_of(sent) == MessageStatus.QUEUED


def test_a_garbled_reference_is_ignored(sent):
    assert (
        do_message_status(StatusReport(provider="twilio", provider_message_id="", status="failed", ref="nonsense"))
        is None
    )


def test_a_report_signed_by_another_account_cannot_touch_the_message(sent, beta_line):
    found = do_message_status(
        StatusReport(
            provider="twilio",
            provider_message_id=SID,
            status="failed",
            account_id=beta_line.account_id,
            consequence="opted_out",
        )
    )

    assert found is None
    assert status_of(sent) == MessageStatus.QUEUED
    assert not ConsentEvent.objects.exists()


def test_a_report_from_the_right_account_applies(sent):
    assert (
        do_message_status(
            StatusReport(
                provider="twilio", provider_message_id=SID, status="delivered", account_id=sent.line.account_id
            )
        )
        == sent
    )
    assert status_of(sent) == MessageStatus.DELIVERED


def test_the_same_sid_from_another_provider_is_another_message(sent):
    assert do_message_status(StatusReport(provider="sandbox", provider_message_id=SID, status="failed")) is None
    assert status_of(sent) == MessageStatus.QUEUED


def test_a_late_delivery_report_cannot_revive_a_text_we_stopped(alpha_line, queue):
    message = queue(alpha_line)
    Message.objects.filter(pk=message.pk).update(provider_message_id=SID, status=MessageStatus.SUPPRESSED)

    report("delivered")

    assert status_of(message) == MessageStatus.SUPPRESSED


def test_the_ranks_put_every_final_status_after_every_status_on_the_way():
    on_the_way = [
        MessageStatus.SCHEDULED,
        MessageStatus.SUBMITTING,
        MessageStatus.QUEUED,
        MessageStatus.SENDING,
        MessageStatus.SENT,
    ]
    final = [
        MessageStatus.DELIVERED,
        MessageStatus.UNDELIVERED,
        MessageStatus.FAILED,
        MessageStatus.CANCELED,
        MessageStatus.EXPIRED,
        MessageStatus.SUPPRESSED,
    ]
    for earlier, later in itertools.pairwise(on_the_way):
        assert MessageStatus.moves_forward(earlier, later) and not MessageStatus.moves_forward(later, earlier)
    for step in on_the_way:
        for end in final:
            assert MessageStatus.moves_forward(step, end) and not MessageStatus.moves_forward(end, step)
    for end in final:
        for other in final:
            assert not MessageStatus.moves_forward(end, other)
