"""textback serve: the web server and an outbox worker in one command (the embedded default).

The server is Granian: its HTTP handling is compiled code, so a request costs Python only the
application's own work (an open inbox tab's 304 poll costs about a third of what it did under gunicorn;
bench/README.md has the figures). Its web processes are forked from this one (textback/ops/web.py).
"""

import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from textback.lib.env import env, envint
from textback.ops import web


def parse_bind(bind: str) -> tuple[str, int]:
    host, _, port = bind.rpartition(":")
    if not host or not port.isascii() or not port.isdigit() or not 0 < int(port) < 65536:
        raise CommandError(f"--bind {bind!r}: give host:port, e.g. 127.0.0.1:8000 or 0.0.0.0:8000")
    return host.strip("[]"), int(port)


class Command(BaseCommand):
    help = "Serve the web app (Granian) with an outbox worker in each web process."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=env("TEXTBACK_BIND", "127.0.0.1:8000"), help="host:port (TEXTBACK_BIND)")
        parser.add_argument("--workers", type=int, default=envint("TEXTBACK_WEB_PROCESSES", 1), help="web processes")
        parser.add_argument(
            "--threads", type=int, default=envint("TEXTBACK_WEB_THREADS", 4), help="threads per web process"
        )
        parser.add_argument("--no-worker", action="store_true", help="web only; run `textback worker` separately")
        parser.add_argument("--access-log", action="store_true", help="log every request")

    def handle(self, *args, bind, workers, threads, no_worker, access_log, **options):
        from granian import Granian
        from granian.constants import Interfaces

        host, port = parse_bind(bind)
        if workers < 1 or threads < 1:
            raise CommandError("--workers and --threads must be at least 1")
        os.environ[web.WITH_WORKER] = "0" if no_worker else "1"
        server = Granian(
            "textback.ops.web:application",
            factory=True,
            address=host,
            port=port,
            interface=Interfaces.WSGI,
            workers=workers,
            blocking_threads=threads,
            respawn_failed_workers=True,
            workers_kill_timeout=web.STOP_WAIT_SECONDS + 5,
            log_level="info",
            log_access=access_log,
        )
        mode = "web only" if no_worker else "web + outbox worker"
        self.stdout.write(f"textback on {settings.PUBLIC_URL} (listening on {bind}, {mode})", ending="\n")
        self.stdout.flush()
        connections.close_all()  # never share a database connection across the fork
        server.serve()
