"""What each web process of `textback serve` runs: the WSGI application, and (unless the command said
--no-worker) an outbox worker thread that its own webhooks wake at once.

Granian forks its web processes from `textback serve` and calls `application()` in each. Three things
happen there, once per process:
- the process asks the kernel to end it when `textback serve` ends, so a killed server never leaves
  web processes behind (Linux; elsewhere they notice at their next request);
- the secrets among the environment variables leave the process's environment once the settings have
  read them: Granian copies the environment into every request's WSGI environ, and nothing that prints a
  request (an error report, a debug page) may carry them;
- the outbox thread starts, and is stopped and waited for when the process exits.
"""

import ctypes
import os
import signal
import sys
import threading
from multiprocessing import util

WITH_WORKER = "TEXTBACK_SERVE_WITH_WORKER"  # set by `textback serve` for the processes it forks
STOP_WAIT_SECONDS = 10  # how long a stopping web process waits for the outbox's sends in flight

_stop = threading.Event()


def application():
    from textback.wsgi import application as app

    with_worker = os.environ.get(WITH_WORKER) == "1"
    _die_with_the_server()
    _forget_secrets()
    if with_worker:
        _start_outbox()
    return app


def _die_with_the_server() -> None:
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG


def _forget_secrets() -> None:
    for name in [name for name in os.environ if name.startswith("TEXTBACK_")]:
        del os.environ[name]


def _start_outbox() -> None:
    from textback.outbox import wake
    from textback.outbox.worker import Worker

    thread = threading.Thread(target=Worker(in_web_process=True).run, args=(_stop,), name="outbox", daemon=True)
    thread.start()

    def stop() -> None:
        _stop.set()
        wake.poke()
        thread.join(STOP_WAIT_SECONDS)

    util.Finalize(None, stop, exitpriority=10)  # runs as the forked process exits, after Granian stops serving
