"""textback worker: run outbox workers alone (scale out with as many as you like on PostgreSQL)."""

import signal
import threading

from django.core.management.base import BaseCommand

from textback.outbox import wake
from textback.outbox.worker import Worker


class Command(BaseCommand):
    help = "Send due texts and other outbound work. Stops cleanly on SIGTERM or Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument(
            "--threads", type=int, default=0, help="threads sending texts (default TEXTBACK_WORKER_THREADS or 4)"
        )
        parser.add_argument(
            "--alert-threads",
            type=int,
            default=0,
            help="threads sending email and webhooks (default TEXTBACK_WORKER_ALERT_THREADS or 4)",
        )

    def handle(self, *args, threads: int, alert_threads: int, **options):
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: (stop.set(), wake.poke()))
        Worker(threads=threads, alert_threads=alert_threads).run(stop)
