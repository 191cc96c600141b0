"""Timestamps read by raw SQL come back aware, in UTC, whatever form the database gave them in."""

from datetime import UTC, datetime

from textback.lib import sql


def test_sqlite_text_is_read_as_utc():
    assert sql.as_datetime("2026-12-07 21:10:00.5") == datetime(2026, 12, 7, 21, 10, 0, 500000, tzinfo=UTC)


def test_a_naive_datetime_is_taken_as_utc():
    assert sql.as_datetime(datetime(2026, 12, 7, 21, 10)) == datetime(2026, 12, 7, 21, 10, tzinfo=UTC)


def test_an_aware_datetime_and_none_are_kept():
    aware = datetime(2026, 12, 7, 21, 10, tzinfo=UTC)
    assert sql.as_datetime(aware) is aware and sql.as_datetime(None) is None
