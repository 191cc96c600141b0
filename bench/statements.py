"""Count the SQL statements each webhook and outbox step runs, by kind, on SQLite and PostgreSQL.

    .venv/bin/python bench/statements.py                        # both databases (also `make bench-sql`)
    .venv/bin/python bench/statements.py --db sqlite
    .venv/bin/python bench/statements.py --json bench/results/sql.json

Everything runs in this process against a fresh, migrated database seeded through the CLI verbs:
the webhooks through Django's test client at their public URLs, signed as Twilio signs them, and
the worker's steps through the outbox's own functions, sending to a local Twilio stub over HTTP.
Each step's statements are counted with `connection.execute_wrapper`; a transaction is counted
once, at its COMMIT. See bench/README.md for how to read the table.

The script reaches textback only through the names in `need(...)` calls. When the lead engineer
moves one of them, the script stops with a message naming it, rather than counting the wrong thing.
"""

import argparse
import contextlib
import importlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432"
PUBLIC_URL = "http://127.0.0.1:8000"  # webhooks are signed for this origin; nothing listens there
AUTH_TOKEN = "5ca1ab1e" * 4
CARRIER_LINE = "+15125550102"  # carrier forwarding, no voicemail: one /voice is one missed call
SCREEN_LINE = "+15125550100"  # forward and screen, rings STAFF_CELL, no voicemail
STATUS_LINE = "+15125550104"  # status only: the business's own Twilio flow, StatusCallback to us
VOICEMAIL_LINE = "+15125550105"  # carrier forwarding with voicemail
STAFF_CELL = "+15125550199"
BATCH = 50

KINDS = ("SELECT", "INSERT", "UPDATE", "DELETE", "SAVEPOINT", "COMMIT", "NOTIFY", "other", "health")
HEADINGS = {"SAVEPOINT": "SAVEPT", "COMMIT": "BEGIN/COMMIT"}


def need(module: str, name: str | None = None):
    """Import a name the script relies on, or stop saying which one moved and where to fix it."""
    target = f"{module}.{name}" if name else module
    try:
        found = importlib.import_module(module)
        return getattr(found, name) if name else found
    except (ImportError, AttributeError) as exc:
        raise SystemExit(
            f"bench/statements.py: cannot import {target} ({exc}).\n"
            "It has moved or been renamed: point the need(...) call for it in bench/statements.py at its new place."
        ) from None


# --- counting --------------------------------------------------------------------------------


def kind_of(sql: str) -> str:
    text = sql.lstrip(" \t\n(").upper()
    if "PG_NOTIFY(" in text or text.startswith("NOTIFY"):
        return "NOTIFY"
    if text.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
        return "SAVEPOINT"
    word = text.split(None, 1)[0] if text else ""
    return word if word in ("SELECT", "INSERT", "UPDATE", "DELETE", "BEGIN") else "other"


@dataclass
class Tally:
    """Statements of one step by kind; `autocommit` of them ran outside any transaction."""

    kinds: Counter = field(default_factory=Counter)
    autocommit: int = 0

    @property
    def statements(self) -> int:
        """Every statement sent, BEGIN and COMMIT included (two per transaction)."""
        return sum(self.kinds.values()) + self.kinds["COMMIT"] + self.kinds["ROLLBACK"]

    @property
    def commits(self) -> int:
        """Transactions the database commits: explicit ones plus each statement run in autocommit
        (what pg_stat_database counts as xact_commit)."""
        return self.kinds["COMMIT"] + self.autocommit

    def __add__(self, other: "Tally") -> "Tally":
        return Tally(self.kinds + other.kinds, self.autocommit + other.autocommit)

    def as_dict(self) -> dict:
        return {
            **{kind: self.kinds[kind] for kind in (*KINDS, "ROLLBACK")},
            "autocommit": self.autocommit,
            "statements": self.statements,
            "commits": self.commits,
        }


@contextlib.contextmanager
def counting(connection):
    """Count what `connection` runs inside the block.

    Statements come through execute_wrapper. A transaction is counted at its COMMIT (or ROLLBACK),
    which Django issues through connection.commit() and the driver, not as SQL; SQLite's
    BEGIN IMMEDIATE, which does come through, is left out so both databases count alike.
    CONN_HEALTH_CHECKS' `SELECT 1` on PostgreSQL, which Django sends on the driver's own cursor,
    is counted as "health" (and as a commit: it runs in autocommit) by wrapping is_usable().
    """
    tally = Tally()

    def wrapper(execute, sql, params, many, context):
        kind = kind_of(sql)
        if kind != "BEGIN":
            tally.kinds[kind] += _executions(params) if many else 1
            if connection.get_autocommit() and not connection.in_atomic_block:
                tally.autocommit += 1
        return execute(sql, params, many, context)

    def counted(kind, method, autocommit=False):
        def call(*args, **kwargs):
            tally.kinds[kind] += 1
            tally.autocommit += autocommit
            return method(*args, **kwargs)

        return call

    wrapped = {"commit": counted("COMMIT", connection.commit), "rollback": counted("ROLLBACK", connection.rollback)}
    if connection.vendor == "postgresql":  # SQLite's is_usable() sends nothing
        wrapped["is_usable"] = counted("health", connection.is_usable, autocommit=True)
    for name, method in wrapped.items():
        setattr(connection, name, method)
    try:
        with connection.execute_wrapper(wrapper):
            yield tally
    finally:
        for name in wrapped:
            delattr(connection, name)  # the class's own method again


def _executions(params) -> int:
    try:
        return len(params)
    except TypeError:
        return 1


# --- a fresh database ------------------------------------------------------------------------


def create_database(engine: str, directory: Path, server: str) -> str:
    name = f"textback_sql_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    if engine == "sqlite":
        return f"sqlite:///{directory / name}.sqlite3"
    import psycopg

    try:
        with psycopg.connect(f"{server}/postgres", autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        raise SystemExit(
            f"PostgreSQL does not answer at {server} ({exc}); start it, pass --postgres, or use --db sqlite"
        ) from None
    return f"{server}/{name}"


def drop_database(url: str) -> None:
    if url.startswith("postgresql://"):
        import psycopg

        server, name = url.rsplit("/", 1)
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def configure(database_url: str, directory: Path, twilio_url: str) -> None:
    """Settings come from the environment only, as in production; then Django starts."""
    for key in [k for k in os.environ if k.startswith("TEXTBACK_")]:
        del os.environ[key]
    os.environ.update(
        DJANGO_SETTINGS_MODULE="textback.settings",
        TEXTBACK_DATABASE_URL=database_url,
        TEXTBACK_DATA_DIR=str(directory),
        TEXTBACK_PUBLIC_URL=PUBLIC_URL,
        TEXTBACK_TWILIO_API_URL=twilio_url,
        TEXTBACK_SECRET_KEY="bench-" + "x" * 60,
        TEXTBACK_LOG_LEVEL="WARNING",
    )
    import django

    django.setup()


def seed() -> None:
    """One business, a Twilio account and a line per call mode, through the CLI verbs."""
    call_command = need("django.core.management", "call_command")
    account_sid = need("textback.providers.twilio.tests.helpers", "fixture")("voice_incoming")["AccountSid"]
    call_command("migrate", verbosity=0)
    quiet = {"stdout": io.StringIO(), "stderr": io.StringIO()}  # set-up advice meant for a person
    call_command("business", "create", "--name", "AlphaPlumbing", "--slug", "alpha", **quiet)
    added = io.StringIO()
    call_command(
        "account",
        "add",
        "--business",
        "alpha",
        "--provider",
        "twilio",
        "--sid",
        account_sid,
        "--token-stdin",
        stdin=io.StringIO(AUTH_TOKEN + "\n"),
        stdout=added,
    )
    account = added.getvalue().strip().splitlines()[-1].split()[-1]
    common = ["line", "add", "--business", "alpha", "--account", account, "--staff-name", "Mike"]
    for number, extra in [
        (CARRIER_LINE, ["--mode", "carrier_forward", "--no-voicemail"]),
        (SCREEN_LINE, ["--mode", "forward_screen", "--forward-to", STAFF_CELL, "--no-voicemail"]),
        (STATUS_LINE, ["--mode", "status_only", "--no-voicemail"]),
        (VOICEMAIL_LINE, ["--mode", "carrier_forward", "--voicemail"]),
    ]:
        call_command(*common, "--number", number, *extra, **quiet)


# --- the steps -------------------------------------------------------------------------------


def callers():
    """Distinct valid US numbers, so no caller meets the per-caller cool-down."""
    for index in range(10_000):
        yield f"+1512300{index:04d}"


class Session:
    """Posts webhooks and runs worker passes, counting each as one step."""

    def __init__(self, stub) -> None:
        self.stub = stub
        self.connection = need("django.db", "connections")["default"]  # this thread's, not the proxy
        self.close_old_connections = need("django.db", "close_old_connections")
        self.client = need("django.test", "Client")()
        self.fixture = need("textback.providers.twilio.tests.helpers", "fixture")
        self.signed = need("textback.providers.twilio.tests.helpers", "signed")
        self.claim_jobs = need("textback.outbox.worker", "claim_jobs")
        self.handlers = need("textback.outbox.worker", "HANDLERS")
        self.batched = need("textback.outbox.worker", "BATCHED")
        self.atomic = need("django.db.transaction", "atomic")
        need("textback.messaging.sending")  # registers the handler that sends a text
        self.steps: dict[str, Tally] = {}
        self.measuring = True

    def record(self, name: str, tally: Tally) -> None:
        if self.measuring:
            self.steps[name] = tally

    def post(self, name: str, endpoint: str, fixture: str, query: str = "", **fields) -> None:
        """One webhook as Twilio sends it. close_old_connections() first, as Django's request_started
        signal does in production (the test client leaves it out): it arms the health check."""
        _url, body, headers = self.signed(PUBLIC_URL, endpoint, self.fixture(fixture, **fields), AUTH_TOKEN, query)
        path = f"/hooks/twilio/{endpoint}" + (f"?{query}" if query else "")
        self.close_old_connections()
        with counting(self.connection) as tally:
            response = self.client.post(
                path,
                data=body,
                content_type=headers["Content-Type"],
                HTTP_HOST=PUBLIC_URL.split("//", 1)[1],
                HTTP_X_TWILIO_SIGNATURE=headers["X-Twilio-Signature"],
                HTTP_I_TWILIO_IDEMPOTENCY_TOKEN=str(uuid.uuid4()),
            )
        if response.status_code not in (200, 204):
            raise SystemExit(f"{name}: HTTP {response.status_code} {response.content[:300]!r}")
        self.record(name, tally)

    def worker_pass(self, name: str, expect: int | None = None, limit: int = BATCH, lane: str | None = "texts") -> int:
        """What a worker's tick does for one lane, in this thread: claim due rows and take a batch's texts in
        one transaction, hand each to the provider, then record the batch's results in one transaction
        (Worker._tick, _run_one and _record_finished). Rows of other kinds run one at a time. The texts lane
        is the one a missed call's text goes through; lane=None claims every lane's work (to drain).
        Returns how many rows were claimed."""
        with counting(self.connection) as tally:
            jobs, claimed = self.claim_jobs("bench-worker", limit, lane=lane)
            results: dict[str, list] = {}
            for job in jobs:
                if job.work is not None:
                    results.setdefault(job.item.kind, []).append((job, self.batched[job.item.kind].run(job)))
                else:
                    self.handlers[job.item.kind](job.item, job.reconcile)
            for kind, finished in results.items():
                with self.atomic():
                    self.batched[kind].record(finished)
        if expect is not None and claimed != expect:
            kinds = Counter(job.item.kind for job in jobs)
            raise SystemExit(f"{name}: the worker claimed {claimed} rows ({dict(kinds)}), not {expect}")
        self.record(name, tally)
        return claimed

    def drain(self) -> None:
        """Carry out whatever the steps so far left in the outbox, without counting it."""
        measuring, self.measuring = self.measuring, False
        while self.worker_pass("drain", lane=None):
            pass
        self.measuring = measuring

    def text_to(self, number: str) -> tuple[str, str]:
        """(the MessageSid the stub gave our text to number, the m= of its StatusCallback)."""
        sent = self.stub.sent(to=number)
        if not sent:
            raise SystemExit(f"no text reached the Twilio stub for {number}: the missed call was not texted")
        sid = next(m["sid"] for m in reversed(self.stub.messages) if m["to"] == number)
        return sid, sent[-1].form["StatusCallback"].split("?", 1)[1]


def carrier_call_and_reply(s: Session, caller: str) -> None:
    s.post("carrier-forwarded missed call: /voice", "voice", "voice_incoming", **call(caller, CARRIER_LINE))
    sent = len(s.stub.sent(to=caller))
    s.worker_pass("worker: send one text", expect=1)
    if len(s.stub.sent(to=caller)) != sent + 1:
        raise SystemExit("worker: send one text: the worker did not send the text-back")
    sid, query = s.text_to(caller)
    status = {"MessageSid": sid, "SmsSid": sid, "To": caller, "From": CARRIER_LINE}
    s.post("/sms-status sent", "sms-status", "sms_status_sent", query, **status)
    s.post("/sms-status delivered", "sms-status", "sms_status_delivered", query, **status)
    reply = {"MessageSid": "SM" + uuid.uuid4().hex, "From": caller, "To": CARRIER_LINE}
    s.post("inbound /sms reply", "sms", "sms_incoming", **{**reply, "SmsSid": reply["MessageSid"]})


def call(caller: str, line: str, sid: str | None = None) -> dict:
    return {"CallSid": sid or "CA" + uuid.uuid4().hex, "From": caller, "Caller": caller, "To": line, "Called": line}


def screened_call_answered(s: Session, caller: str) -> None:
    parent, leg = "CA" + uuid.uuid4().hex, "CA" + uuid.uuid4().hex
    voice, legs = call(caller, SCREEN_LINE, parent), {"CallSid": leg, "ParentCallSid": parent, "From": caller}
    s.post("screen: /voice (ring staff)", "voice", "voice_incoming", **voice)
    s.post("screen: /screen prompt", "screen", "screen_prompt", **legs)
    s.post("screen: /screen Digits=1", "screen", "screen_pressed_1", **legs)
    s.post("screen: leg call-status", "call-status", "leg_status_no_answer", **legs, CallStatus="completed")
    s.post("screen: /dial answered", "dial", "dial_completed_bridged", **voice, DialCallSid=leg)
    s.post("screen: parent call-status", "call-status", "call_status_completed", **voice)


def screened_call_missed(s: Session, caller: str) -> None:
    voice = call(caller, SCREEN_LINE)
    s.post("screen, missed: /voice", "voice", "voice_incoming", **voice)
    s.post("screen, missed: /dial no-answer", "dial", "dial_no_answer", **voice)
    s.post("screen, missed: parent call-status", "call-status", "call_status_completed", **voice)


def status_only_call(s: Session, caller: str) -> None:
    s.post("status-only: parent call-status", "call-status", "call_status_no_answer", **call(caller, STATUS_LINE))


def voicemail_call(s: Session, caller: str) -> None:
    voice, recording = call(caller, VOICEMAIL_LINE), {"RecordingSid": "RE" + uuid.uuid4().hex}
    s.post("voicemail: /voice", "voice", "voice_incoming", **voice)
    s.post("voicemail: /recording action", "recording", "recording_action", **voice, **recording)
    status = {"CallSid": voice["CallSid"], **recording}
    s.post("voicemail: /recording status", "recording", "recording_status_completed", **status)


def batch(s: Session, numbers) -> None:
    measuring, s.measuring = s.measuring, False
    for _ in range(BATCH):
        s.post("setup", "voice", "voice_incoming", **call(next(numbers), CARRIER_LINE))
    s.measuring = measuring
    before = len(s.stub.sent())
    s.worker_pass(f"worker: a batch of {BATCH}", expect=BATCH)
    if len(s.stub.sent()) != before + BATCH:
        raise SystemExit(f"worker: a batch of {BATCH}: {len(s.stub.sent()) - before} texts reached the stub")


def run_steps(s: Session, numbers) -> None:
    carrier_call_and_reply(s, next(numbers))
    screened_call_answered(s, next(numbers))
    screened_call_missed(s, next(numbers))
    status_only_call(s, next(numbers))
    voicemail_call(s, next(numbers))
    s.drain()
    batch(s, numbers)
    s.drain()


def measure(engine: str, server: str) -> dict[str, dict]:
    directory = Path(tempfile.mkdtemp(prefix=f"textback-sql-{engine}-"))
    try:
        url = create_database(engine, directory, server)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    stub = need("tests.support.twilio_stub", "TwilioStub")().start()
    try:
        configure(url, directory, stub.url)
        seed()
        session, numbers = Session(stub), callers()
        session.measuring = False
        run_steps(session, numbers)  # first imports, caches and prepared statements are not the steady state
        session.measuring = True
        run_steps(session, numbers)
        need("django.db", "connections").close_all()
        return summarise(session.steps)
    finally:
        stub.stop()
        drop_database(url)
        shutil.rmtree(directory, ignore_errors=True)


def summarise(steps: dict[str, Tally]) -> dict[str, dict]:
    rows = {name: tally.as_dict() for name, tally in steps.items()}
    missed_call = steps["carrier-forwarded missed call: /voice"] + steps["worker: send one text"]
    rows["= one missed call (/voice + one text)"] = missed_call.as_dict()
    batch_step = f"worker: a batch of {BATCH}"
    rows[f"  {batch_step}, per text"] = {k: round(v / BATCH, 2) for k, v in rows[batch_step].items()}
    return rows


# --- the report ------------------------------------------------------------------------------


def print_table(engine: str, rows: dict[str, dict]) -> None:
    columns = [*KINDS, "autocommit", "statements", "commits"]
    headings = [HEADINGS.get(c, c) for c in columns]
    width = max(len(name) for name in rows)
    print(f"\n### {engine}: SQL statements per step (BEGIN/COMMIT = transactions; commits = what the database commits)")
    print(f"{'step':<{width}}  " + "  ".join(f"{h:>{max(len(h), 6)}}" for h in headings))
    for name, row in rows.items():
        cells = [fmt(row[c]) for c in columns]
        print(f"{name:<{width}}  " + "  ".join(f"{c:>{max(len(h), 6)}}" for c, h in zip(cells, headings, strict=True)))
    rollbacks = sum(row["ROLLBACK"] for row in rows.values())
    if rollbacks:
        print(f"  ({rollbacks:g} ROLLBACKs, counted in statements)")


def fmt(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


# --- main ------------------------------------------------------------------------------------


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--postgres", default=POSTGRES_SERVER, help="PostgreSQL server URL (no database name)")
    parser.add_argument("--json", metavar="PATH", help="also write the counts as JSON")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.db != "both":
        rows = measure(args.db, args.postgres)
        print_table(args.db, rows)
        if args.json:
            Path(args.json).write_text(json.dumps({args.db: rows}, indent=2) + "\n")
        return 0
    # Django is set up once per process, so each database gets a process of its own.
    results = {}
    for engine in ("sqlite", "postgres"):
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            command = [sys.executable, __file__, "--db", engine, "--postgres", args.postgres, "--json", out.name]
            if subprocess.run(command, cwd=ROOT).returncode != 0:
                return 1
            results.update(json.loads(Path(out.name).read_text()))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
