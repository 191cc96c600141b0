"""The SQLite backend's in-process writer queue: threads take turns, and a turn always ends."""

import threading

import pytest
from django.db import connections

from textback.lib.sqlite.base import DatabaseWrapper


def connect(path) -> DatabaseWrapper:
    settings = {
        **connections.settings["default"],
        "ENGINE": "textback.lib.sqlite",
        "NAME": str(path),
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 0.05},
    }
    wrapper = DatabaseWrapper(settings, alias=f"scratch-{threading.get_ident()}")
    wrapper.ensure_connection()
    return wrapper


def write_many(path, count: int, errors: list) -> None:
    db = connect(path)
    try:
        for n in range(count):
            db._start_transaction_under_autocommit()
            db.cursor().execute("INSERT INTO t (n) VALUES (%s)", [n])
            db._commit()
    except Exception as exc:
        errors.append(exc)
    finally:
        db.close()


@pytest.fixture(autouse=True)
def scratch_databases_allowed(django_db_blocker):
    """These tests open their own SQLite files, not the test database."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def table(tmp_path):
    path = tmp_path / "w.sqlite3"
    db = connect(path)
    db.cursor().execute("PRAGMA journal_mode=WAL")
    db.cursor().execute("CREATE TABLE t (n INTEGER)")
    db.close()
    return path


def test_threads_writing_at_once_never_see_database_is_locked(table):
    """With a 50 ms busy timeout, SQLite's own waiting would give up; the queue never lets it come to that."""
    errors: list = []
    threads = [threading.Thread(target=write_many, args=(table, 200, errors)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    db = connect(table)
    assert db.cursor().execute("SELECT count(*) FROM t").fetchone() == (800,)
    db.close()


@pytest.mark.parametrize("end", ["_rollback", "close"])
def test_a_transaction_that_ends_without_commit_lets_the_next_writer_in(table, end):
    first = connect(table)
    first._start_transaction_under_autocommit()
    first.cursor().execute("INSERT INTO t (n) VALUES (1)")
    getattr(first, end)()

    done = threading.Event()

    def second_writer():
        write_many(table, 1, [])
        done.set()

    threading.Thread(target=second_writer, daemon=True).start()
    assert done.wait(5), "the writer lock was never released"
