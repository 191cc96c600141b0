"""Django's SQLite backend, with the threads of one process taking turns to write.

SQLite lets one writer in at a time. A thread that finds the write lock taken
is put to sleep by SQLite's busy handler in growing steps (1, 2, 5 … 100 ms),
so under load a webhook or a due text can wait far longer than the write it
waits for. Here the threads of a process queue on a Python lock before
BEGIN IMMEDIATE instead, and each starts the moment the previous one commits.
Other processes still meet the busy handler (busy_timeout), as before.
"""

import threading

from django.db.backends.sqlite3 import base

_writers = threading.Lock()


class DatabaseWrapper(base.DatabaseWrapper):
    _holds_writer_lock = False

    def _start_transaction_under_autocommit(self):
        _writers.acquire()
        self._holds_writer_lock = True
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_writer_lock()
            raise

    def _release_writer_lock(self):
        if self._holds_writer_lock:
            self._holds_writer_lock = False
            _writers.release()

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._release_writer_lock()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._release_writer_lock()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._release_writer_lock()
