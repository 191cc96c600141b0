"""The outbox's cast: texts to queue, a worker tick run by hand, a clock, and a fake Twilio.

The fake Twilio sits behind `registry.use_transport(httpx.MockTransport(...))`,
the one seam TwilioClient has, and keeps the messages it "created" so a reconciling worker
can list them with GET Messages.json as it would at Twilio.
"""

import shutil
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from datetime import UTC
from email.utils import format_datetime
from urllib.parse import parse_qs

import httpx
import pytest
import time_machine
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

from textback.messaging.models import Message
from textback.providers import registry

Step = Callable[["FakeTwilio", httpx.Request], httpx.Response]


class WorkerDied(Exception):
    """Stands for a worker process killed while Twilio was answering."""


class FakeTwilio:
    """Twilio's Messages.json, remembered in a list. `script` says what the next POSTs do."""

    def __init__(self) -> None:
        self.messages: list[dict] = []
        self.requests: list[httpx.Request] = []
        self.script: list[Step] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        if not request.url.path.endswith("/Messages.json"):
            return httpx.Response(404, json={"code": 20404, "message": "not found", "status": 404})
        if request.method == "GET":
            return self.listing(request)
        if request.method == "POST":
            step = self.script.pop(0) if self.script else FakeTwilio.accept
            return step(self, request)
        return httpx.Response(405)

    # --- what Twilio does ---

    def create(self, request: httpx.Request) -> dict:
        form = {key: values[0] for key, values in parse_qs(request.content.decode()).items()}
        message = {
            "sid": "SM" + uuid.uuid4().hex,
            "to": form["To"],
            "from": form["From"],
            "body": form["Body"],
            "status": "queued",
            "direction": "outbound-api",
            "date_created": format_datetime(timezone.now().astimezone(UTC), usegmt=True),
            "status_callback": form.get("StatusCallback"),
        }
        self.messages.append(message)
        return message

    def accept(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(201, json=self.create(request))

    def listing(self, request: httpx.Request) -> httpx.Response:
        to, from_ = request.url.params.get("To"), request.url.params.get("From")
        found = [m for m in reversed(self.messages) if (not to or m["to"] == to) and (not from_ or m["from"] == from_)]
        return httpx.Response(200, json={"messages": found, "page": 0, "page_size": 50})

    def preload(self, to: str, from_: str, body: str, created) -> dict:
        message = {
            "sid": "SM" + uuid.uuid4().hex,
            "to": to,
            "from": from_,
            "body": body,
            "status": "delivered",
            "date_created": format_datetime(created.astimezone(UTC), usegmt=True),
        }
        self.messages.append(message)
        return message

    # --- what the tests look at ---

    @property
    def posts(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == "POST"]

    @property
    def gets(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == "GET"]

    def form(self, request: httpx.Request) -> dict[str, str]:
        return {key: values[0] for key, values in parse_qs(request.content.decode()).items()}


# Script steps: what one POST does.


def error(status: int, code: int | None, text: str = "error", headers: dict | None = None) -> Step:
    def step(fake: FakeTwilio, request: httpx.Request) -> httpx.Response:
        body = {"message": text, "status": status, "more_info": f"https://www.twilio.com/docs/errors/{code}"}
        if code is not None:
            body["code"] = code
        return httpx.Response(status, json=body, headers=headers)

    return step


def raises(exception: type[httpx.TransportError], *, after_creating: bool = False) -> Step:
    def step(fake: FakeTwilio, request: httpx.Request) -> httpx.Response:
        if after_creating:
            fake.create(request)
        raise exception("simulated", request=request)

    return step


def dies_after_creating(fake: FakeTwilio, request: httpx.Request) -> httpx.Response:
    fake.create(request)
    raise WorkerDied("the worker was killed before it read Twilio's answer")


@pytest.fixture
def fake_twilio(settings):
    settings.TWILIO_API_URL = "https://api.twilio.com"  # the transport answers; nothing leaves the machine
    fake = FakeTwilio()
    registry.use_transport(httpx.MockTransport(fake.handle))
    yield fake
    registry.use_transport(None)


@pytest.fixture
def clock():
    """Frozen time the test moves by hand (time_machine)."""
    with time_machine.travel("2025-03-03 15:00:00+00:00", tick=False) as traveller:
        yield traveller


OUTBOX_BODY = "AlphaPlumbing: sorry we missed your call, how can we help? Reply STOP to opt out."


@pytest.fixture
def queue(queue):
    """The shared queue fixture, with a body that needs no first-text additions."""

    def queue_for_outbox(line, body: str = OUTBOX_BODY, **kwargs) -> Message:
        return queue(line, body, **kwargs)

    return queue_for_outbox


# --- a database several threads can write to ------------------------------------------------
#
# The SQLite test database is in memory with a shared cache. Its connections lock whole
# tables and SQLite does not wait for those locks (busy_timeout does not apply), so a worker
# thread and its sending threads get "database table is locked". Production SQLite is a WAL
# file, where IMMEDIATE transactions wait their turn. Tests that run the real worker loop
# therefore get a migrated WAL file of their own; on PostgreSQL nothing changes.


def _in_memory_sqlite() -> bool:
    connection = connections[DEFAULT_DB_ALIAS]
    return connection.vendor == "sqlite" and connection.is_in_memory_db()


@contextmanager
def _default_database_at(path):
    """Point every thread's default connection at the SQLite file `path`, then put everything back."""
    old_settings, old_connection = connections.settings[DEFAULT_DB_ALIAS], connections[DEFAULT_DB_ALIAS]
    connections.settings[DEFAULT_DB_ALIAS] = {**old_settings, "NAME": str(path)}  # threads build theirs from this
    connections[DEFAULT_DB_ALIAS] = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        yield
    finally:
        connections[DEFAULT_DB_ALIAS].close()
        connections.settings[DEFAULT_DB_ALIAS] = old_settings
        connections[DEFAULT_DB_ALIAS] = old_connection  # still open: closing it would drop the in-memory database


@pytest.fixture(scope="module")
def _migrated_sqlite_file(django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock():
        if not _in_memory_sqlite():
            return None
        path = tmp_path_factory.mktemp("outbox-db") / "migrated.sqlite3"
        with _default_database_at(path):
            call_command("migrate", verbosity=0, interactive=False)
            with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture
def shared_database(transactional_db, _migrated_sqlite_file, tmp_path):
    """A database the worker's threads and the test can all use at once (see above)."""
    if _migrated_sqlite_file is None:
        yield
        return
    path = tmp_path / "outbox.sqlite3"
    shutil.copyfile(_migrated_sqlite_file, path)
    with _default_database_at(path):
        yield
