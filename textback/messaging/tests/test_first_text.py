"""The first text a contact gets names the business and says how to stop; every text's cost is stored exactly."""

import pytest

from textback.conftest import CALLER
from textback.lib import gsm7
from textback.messaging.actions import MAX_BODY
from textback.messaging.models import Message, MessageStatus

pytestmark = pytest.mark.django_db

PLAIN = "Sorry we missed your call, how can we help?"
STOP_LINE = "Reply STOP to opt out."


def test_the_first_text_gets_the_business_name_and_how_to_opt_out(alpha_sandbox_line, queue):
    message = queue(alpha_sandbox_line, PLAIN)

    assert message.body == f"AlphaPlumbing: {PLAIN} {STOP_LINE}"


def test_nothing_is_added_when_the_template_already_has_both(alpha_sandbox_line, queue):
    body = f"Hi, this is Mike at AlphaPlumbing, sorry we missed your call. {STOP_LINE}"

    assert queue(alpha_sandbox_line, body).body == body


def test_the_business_name_is_recognised_in_any_case(alpha_sandbox_line, queue):
    body = f"alphaplumbing here, sorry we missed you. {STOP_LINE}"

    assert queue(alpha_sandbox_line, body).body == body


def test_only_the_missing_part_is_added(alpha_sandbox_line, queue):
    assert queue(alpha_sandbox_line, "AlphaPlumbing: sorry we missed you.").body == (
        f"AlphaPlumbing: sorry we missed you. {STOP_LINE}"
    )


def test_the_opt_out_instruction_is_added_when_the_text_only_says_stop_by(alpha_sandbox_line, queue):
    # "stop by" is not an opt-out instruction; the contact would not learn how to stop.
    message = queue(alpha_sandbox_line, "AlphaPlumbing: sorry we missed you. When can we stop by?")

    assert message.body.endswith(STOP_LINE)


def test_the_second_text_gets_nothing_added(alpha_sandbox_line, queue, run_outbox):
    queue(alpha_sandbox_line, PLAIN)
    run_outbox()

    second = queue(alpha_sandbox_line, "We can be there at 3pm.", purpose=Message.REPLY)

    assert second.body == "We can be there at 3pm."


def test_a_second_text_queued_before_the_first_went_out_gets_nothing_added(alpha_sandbox_line, queue):
    queue(alpha_sandbox_line, PLAIN, due_in=30)

    assert queue(alpha_sandbox_line, "Are you there?", purpose=Message.REPLY).body == "Are you there?"


@pytest.mark.parametrize("status", MessageStatus.NOT_SENT)
def test_a_text_that_never_went_out_does_not_count_as_the_first(alpha_sandbox_line, queue, status):
    earlier = queue(alpha_sandbox_line, PLAIN, due_in=30)
    Message.objects.filter(pk=earlier.pk).update(status=status)

    assert queue(alpha_sandbox_line, "Still need help?", purpose=Message.REPLY).body == (
        f"AlphaPlumbing: Still need help? {STOP_LINE}"
    )


def test_a_text_the_provider_refused_does_not_count_as_the_first(alpha_sandbox_line, queue):
    earlier = queue(alpha_sandbox_line, PLAIN)
    Message.objects.filter(pk=earlier.pk).update(status=MessageStatus.FAILED, error_code="30003")

    assert queue(alpha_sandbox_line, "Still need help?", purpose=Message.REPLY).body == (
        f"AlphaPlumbing: Still need help? {STOP_LINE}"
    )


def test_another_business_texting_the_number_does_not_make_it_our_second_text(alpha_sandbox_line, beta_line, queue):
    queue(beta_line, "BetaHVAC: hello. Reply STOP to opt out.")

    assert queue(alpha_sandbox_line, PLAIN).body == f"AlphaPlumbing: {PLAIN} {STOP_LINE}"


def test_texts_from_the_contact_do_not_count(alpha_sandbox_line, queue, text_in):
    text_in(alpha_sandbox_line, "hello?")

    assert queue(alpha_sandbox_line, "Hi! How can we help?", purpose=Message.REPLY).body.startswith("AlphaPlumbing: ")


@pytest.mark.parametrize("purpose", [Message.OPT_OUT_CONFIRMATION, Message.OPT_IN_CONFIRMATION])
def test_confirmations_are_sent_exactly_as_written(alpha_sandbox_line, queue, purpose):
    assert queue(alpha_sandbox_line, "You are unsubscribed.", purpose=purpose).body == "You are unsubscribed."


def test_the_opt_out_instruction_survives_a_long_first_text(alpha_sandbox_line, queue):
    message = queue(alpha_sandbox_line, "x" * MAX_BODY, purpose=Message.REPLY)

    assert len(message.body) <= MAX_BODY
    assert message.body.startswith("AlphaPlumbing")
    assert STOP_LINE in message.body


# --- encoding and segments, exactly --------------------------------------------------------


def body_of_length(length: int, filler: str = "x") -> str:
    """A text that needs no first-text additions, exactly `length` characters long."""
    head, tail = "AlphaPlumbing: ", f" {STOP_LINE}"
    return head + filler * (length - len(head) - len(tail)) + tail


def stored(message: Message) -> tuple[str, int, int]:
    message.refresh_from_db()
    return message.encoding, message.units, message.segments


@pytest.mark.parametrize(("length", "segments"), [(100, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)])
def test_gsm7_segments_are_counted_exactly(alpha_sandbox_line, queue, length, segments):
    body = body_of_length(length)

    message = queue(alpha_sandbox_line, body)

    assert message.body == body
    assert stored(message) == ("GSM-7", length, segments)


def test_an_extension_character_costs_two_units(alpha_sandbox_line, queue):
    body = body_of_length(155) + "€€€€€"  # 155 + 10 = 165 septets

    assert stored(queue(alpha_sandbox_line, body)) == ("GSM-7", 165, 2)


def test_one_emoji_makes_the_whole_text_ucs2(alpha_sandbox_line, queue):
    body = body_of_length(60) + " 👍"  # 62 characters; the emoji is 2 UTF-16 units

    assert stored(queue(alpha_sandbox_line, body)) == ("UCS-2", 63, 1)


@pytest.mark.parametrize(("length", "segments"), [(70, 1), (71, 2), (134, 2), (135, 3)])
def test_ucs2_segments_are_counted_exactly(alpha_sandbox_line, queue, length, segments):
    body = body_of_length(length, filler="ж")

    assert stored(queue(alpha_sandbox_line, body)) == ("UCS-2", length, segments)


def test_curly_quotes_and_dashes_are_straightened_so_the_text_stays_gsm7(alpha_sandbox_line, queue):
    message = queue(alpha_sandbox_line, f"AlphaPlumbing: we\u2019re sorry \u2014 \u201ccall us\u201d\u2026 {STOP_LINE}")

    assert message.body == f'AlphaPlumbing: we\'re sorry - "call us"... {STOP_LINE}'
    assert stored(message) == ("GSM-7", len(message.body), 1)


def test_the_stored_shape_is_the_shape_of_the_stored_body(alpha_sandbox_line, queue):
    message = queue(alpha_sandbox_line, "Hi Zoë, sorry we missed you – call back?")

    shape = gsm7.shape(message.body)
    assert stored(message) == (shape.encoding, shape.units, shape.segments)
    assert message.contact.number == CALLER


def test_a_business_name_inside_another_word_does_not_count_as_naming_it(alpha_sandbox_line, queue):
    """A business called "Ace" is not named by "replace"."""
    business = alpha_sandbox_line.business
    business.name = "Ace"
    business.save()

    message = queue(alpha_sandbox_line, "We can replace that part today. Reply STOP to opt out.")

    assert message.body.startswith("Ace: ")
