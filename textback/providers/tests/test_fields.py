"""The shared input layer: fields are read through checks that name the field, and the event log stores
only what PostgreSQL can hold (SQLite stores anything, so these matter most in the PostgreSQL run)."""

import pytest
from django.utils import timezone

from textback.calls.models import WebhookEvent
from textback.providers.webhooks import (
    MAX_FIELD,
    Fields,
    Rejected,
    clean_payload,
    record_event,
    storable,
    unstorable,
)


def refusal(read) -> str:
    with pytest.raises(Rejected) as caught:
        read()
    assert caught.value.status == 400
    return caught.value.reason


@pytest.mark.parametrize(
    "value, reason",
    [
        ("+1512555\x000100", "To contains a NUL character"),
        ("\ud800", "To contains a lone surrogate"),
        ("ok\udfff", "To contains a lone surrogate"),
        ("x" * (MAX_FIELD + 1), f"To is longer than {MAX_FIELD} characters"),
        (["+15125550100"], "To must be text"),
        (15125550100, "To must be text"),
    ],
)
def test_a_field_the_database_could_not_store_is_refused_naming_it(value, reason):
    assert reason in refusal(lambda: Fields({"To": value}).get("To"))


def test_a_nul_is_refused_rather_than_silently_dropped():
    """Dropping it would store something the sender did not send (and sign)."""
    assert "NUL" in refusal(lambda: Fields({"Body": "STOP\x00"}).required("Body"))


def test_an_emoji_and_other_scripts_are_text_like_any_other():
    assert Fields({"Body": "🔧 Ça fuit — 水"}).get("Body") == "🔧 Ça fuit — 水"


def test_a_json_null_reads_as_an_absent_field():
    fields = Fields({"caller_name": None})

    assert fields.get("caller_name") == ""
    assert fields.integer("caller_name") is None


@pytest.mark.parametrize("value", ["²", "１２", "٣", "-1", "1.5", "1e3", " 1 2 "])
def test_a_whole_number_in_anything_but_ascii_digits_is_refused(value):
    assert "must be a whole number" in refusal(lambda: Fields({"n": value}).integer("n"))


def test_a_400_digit_number_is_refused_as_too_large():
    assert "must be at most 86400" in refusal(lambda: Fields({"n": "9" * 400}).integer("n", maximum=86400))


def test_leading_zeros_do_not_make_a_small_number_too_large():
    assert Fields({"n": "0" * 100 + "14"}).integer("n", maximum=86400) == 14


@pytest.mark.parametrize(
    "text, problem",
    [("fine", ""), ("a\x00b", "a NUL character"), ("\ud83d", "a lone surrogate (not valid Unicode)"), ("🔧", "")],
)
def test_unstorable_names_what_postgresql_refuses(text, problem):
    assert unstorable(text) == problem


def test_storable_marks_each_refused_character_with_a_replacement_character():
    assert storable("a\x00b\ud800c") == "a\ufffdb\ufffdc"


def test_the_logged_payload_is_text_postgresql_takes():
    payload = clean_payload(
        {
            "Caller\x00City": "AUS\x00TIN",
            "\ud800": "fine",
            "note": "\udfff",
            "n": 12,
            "tags": ["a", {"b": None}],
            "k" * 300: "v" * (MAX_FIELD + 50),
        }
    )

    assert payload == {
        "Caller\ufffdCity": "AUS\ufffdTIN",
        "\ufffd": "fine",
        "note": "\ufffd",
        "n": "12",
        "tags": '["a", {"b": null}]',
        "k" * 100: "v" * MAX_FIELD,
    }


def test_the_logged_payload_keeps_at_most_200_fields():
    assert len(clean_payload({f"f{i}": "x" for i in range(500)})) == 200


@pytest.mark.django_db
def test_an_event_with_such_text_is_stored_on_either_database(alpha):
    new = record_event(
        provider="twilio",
        endpoint="voice",
        key="CA1\x00",
        business=alpha,
        payload=clean_payload({"CallerCity": "\x00", "\ud800": "\udfff"}),
        token="tok\x00\ud800",
    )

    event = WebhookEvent.objects.get()
    assert new is True
    assert (event.key, event.idempotency_token) == ("CA1\ufffd", "tok\ufffd\ufffd")
    assert event.payload == {"CallerCity": "\ufffd", "\ufffd": "\ufffd"}
    assert event.received_at <= timezone.now()
