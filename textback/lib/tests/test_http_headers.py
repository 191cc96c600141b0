"""Retry-After as other servers send it: seconds or an HTTP date, or anything at all."""

from datetime import UTC, datetime

import pytest

from textback.lib.http_headers import MAX_WAIT, retry_after

NOW = datetime(2025, 3, 3, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("30", 30.0),
        (" 30 ", 30.0),
        ("1.5", 1.5),
        ("Mon, 03 Mar 2025 15:01:00 GMT", 60.0),
        ("Mon, 03 Mar 2025 14:00:00 GMT", 0.0),  # already past: go now
        ("-4", 0.0),
        ("86400", MAX_WAIT),  # a day: kept to an hour
        ("Mon, 03 Mar 2125 15:00:00 GMT", MAX_WAIT),
        ("\u00b2", None),  # "²".isdigit() is True, and float() refuses it
        ("\u0661\u0662", None),  # float() reads it as 12.0
        ("1e5", None),
        ("inf", None),
        ("nan", None),
        ("9" * 400, None),
        ("soon", None),
        ("Fri, 31 Dec 99999 23:59:60 GMT", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_reads_seconds_and_http_dates_and_nothing_else(header, seconds):
    assert retry_after(header, NOW) == seconds


def test_a_caller_may_allow_a_shorter_wait():
    assert retry_after("600", NOW, cap=60.0) == 60.0
