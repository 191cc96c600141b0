"""textback serve: the web server and an outbox worker in one command (the embedded default)."""

import threading

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connections

from textback.lib.env import env, envint

_stop = threading.Event()


def _start_outbox(worker) -> None:
    """Runs in each web process after it forks: the worker thread shares its wake-up pipe."""
    from textback.outbox.worker import Worker

    outbox = Worker(in_web_process=True)
    threading.Thread(target=outbox.run, args=(_stop,), name="outbox", daemon=True).start()


def _stop_outbox(server, worker) -> None:
    from textback.outbox import wake

    _stop.set()
    wake.poke()


class Command(BaseCommand):
    help = "Serve the web app (gunicorn) with an outbox worker in each web process."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=env("TEXTBACK_BIND", "127.0.0.1:8000"), help="host:port (TEXTBACK_BIND)")
        parser.add_argument("--workers", type=int, default=envint("TEXTBACK_WEB_PROCESSES", 1), help="web processes")
        parser.add_argument(
            "--threads", type=int, default=envint("TEXTBACK_WEB_THREADS", 4), help="threads per web process"
        )
        parser.add_argument("--no-worker", action="store_true", help="web only; run `textback worker` separately")
        parser.add_argument("--access-log", action="store_true", help="log every request")

    def handle(self, *args, bind, workers, threads, no_worker, access_log, **options):
        from gunicorn.app.base import BaseApplication

        config = {
            "bind": bind,
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            "timeout": 30,
            "graceful_timeout": 10,
            "accesslog": "-" if access_log else None,
            "errorlog": "-",
            "loglevel": "info",
            "proc_name": "textback",
            "control_socket_disable": True,  # one shared ~/.gunicorn socket would clash between instances
        }
        if not no_worker:
            config.update(post_worker_init=_start_outbox, worker_exit=_stop_outbox)

        class Server(BaseApplication):
            def load_config(self):
                for key, value in config.items():
                    self.cfg.set(key, value)

            def load(self):
                from textback.wsgi import application

                return application

        mode = "web only" if no_worker else "web + outbox worker"
        self.stdout.write(f"textback on {settings.PUBLIC_URL} (listening on {bind}, {mode})")
        connections.close_all()  # never share a database connection across the fork
        Server().run()
