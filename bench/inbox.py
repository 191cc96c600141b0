"""Measure the inbox list and its live endpoint against ARCHITECTURE §8, over real HTTP.

    .venv/bin/python bench/inbox.py                          # both databases (also `make bench-inbox`)
    .venv/bin/python bench/inbox.py --db sqlite --conversations 10000 --messages 100000 --idle-seconds 10

One business with 100,000 conversations and 1,000,000 messages (ten a conversation, over a year; 5 %
open, some assigned, half read by the owner) among two small ones is bulk-inserted through the ORM
inside `textback shell`, then `textback serve` (web + in-process worker, the embedded default)
answers the requests. The figures: p50/p95/p99 of the list's first page (open and all), a page
50,000 conversations deep, five searches (a name, a number as people type it, a rare and a common
word in the texts, a word in none), and the live endpoint answering 200 (no ETag) and 304 (nothing changed); then
100 idle tabs, each polling the live endpoint with its ETag every 1.5 s (the page's) for 60 s, and the server's CPU over that minute as
a share of one core (PostgreSQL backends included). See bench/README.md.
"""

import argparse
import json
import os
import re
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

SLUG, OWNER, PASSWORD = "bench", "owner@bench.example", "bench-passphrase-123"
FIRST = ["Jane", "Luis", "Priya", "Tom", "Aisha", "Mike", "Chen", "Olga", "Sam", "Fatima", "Noah", "Grace"]
LAST = ["Rodriguez", "Nguyen", "Patel", "Baker", "Okafor", "Smith", "Kowalski", "Haddad", "Jensen", "Silva"]
WORDS = [
    "Can you come today?",
    "The water heater is leaking",
    "Sink is backed up again",
    "What time works for you?",
    "Thanks, see you then!",
    "How much for a new faucet?",
    "Is 3pm ok?",
    "We can be there at 2 today. Does that work?",
    "The toilet keeps running",
    "No hot water since this morning",
]
RARE = "boiler"  # in one message of a thousand: a search that must look through many texts
COMMON = "leaking"  # in one message of ten (two conversations in three): many matches to put in order
NOWHERE = "xylophone"  # in no text and no name: a typo, the search that has to look through everything


def seed_inside() -> None:
    """Runs inside `textback shell` (Django set up): bulk inserts, then ANALYZE."""
    import random

    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from textback.accounts.models import Business, Membership
    from textback.providers.models import SANDBOX, Line, ProviderAccount

    rng = random.Random(6)
    now = timezone.now()
    user_model = get_user_model()
    total, per = int(os.environ["BENCH_CONVERSATIONS"]), int(os.environ["BENCH_MESSAGES_PER"])
    for index, (slug, count) in enumerate([(SLUG, total), ("other-a", 1000), ("other-b", 1000)]):
        business = Business.objects.create(name=f"Bench {slug}", slug=slug)
        account = ProviderAccount.objects.create(business=business, provider=SANDBOX, label="bench")
        lines = [
            Line.objects.create(
                business=business, account=account, number=f"+1737555{index}{k:03d}", label=f"Office {k + 1}"
            )
            for k in range(3)
        ]
        owner = user_model.objects.create_user(
            OWNER if slug == SLUG else f"owner@{slug}.example", password=PASSWORD, first_name="Olive"
        )
        Membership.objects.create(user=owner, business=business, role=Membership.OWNER)
        agent = user_model.objects.create_user(f"agent@{slug}.example", password=PASSWORD, first_name="Alex")
        Membership.objects.create(user=agent, business=business, role=Membership.AGENT).lines.set([lines[0]])
        step = 5000
        for start in range(0, count, step):
            with transaction.atomic():
                _seed_chunk(rng, now, business, lines, owner, agent, start, min(step, count - start), per)
            if slug == SLUG and start % 20000 == 0:
                print(f"  {start + step:,} conversations", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _seed_chunk(rng, now, business, lines, owner, agent, start, count, per) -> None:
    from textback.messaging.models import Contact, Conversation, ConversationEvent, ConversationRead, Message

    year = 365 * 86400
    contacts = Contact.objects.bulk_create(
        [
            Contact(
                business=business,
                number=f"+1512{2000000 + start + i:07d}",
                name=f"{rng.choice(FIRST)} {rng.choice(LAST)}" if rng.random() < 0.7 else "",
            )
            for i in range(count)
        ]
    )
    conversations = []
    for i, contact in enumerate(contacts):
        last = now - timedelta(seconds=rng.uniform(0, year) ** 1.3 / year**0.3)  # more of it recent
        is_open = (start + i) % 20 == 0
        waiting = is_open and rng.random() < 0.5
        conversations.append(
            Conversation(
                business=business,
                line=lines[(start + i) % 3],
                contact=contact,
                status=Conversation.OPEN if is_open else Conversation.CLOSED,
                last_message_at=last,
                last_inbound_at=last if waiting or rng.random() < 0.5 else last - timedelta(minutes=3),
                awaiting_since=last - timedelta(minutes=rng.uniform(0, 30)) if waiting else None,
                staff_replied_at=None if waiting else last,
                assignee=(owner if rng.random() < 0.5 else agent) if rng.random() < 0.3 else None,
                closed_at=None if is_open else last,
            )
        )
    conversations = Conversation.objects.bulk_create(conversations)
    messages, reads, events = [], [], []
    for c in conversations:
        for j in range(per):
            inbound = j % 2 == 0 if c.awaiting_since is None else j % 2 == 1
            body = RARE + " is making a noise" if rng.random() < 0.001 else rng.choice(WORDS)
            at = c.last_message_at - timedelta(minutes=(per - 1 - j) * 7)
            messages.append(
                Message(
                    business=business, conversation=c, contact_id=c.contact_id, line_id=c.line_id,
                    direction=Message.IN if inbound else Message.OUT,
                    sender_kind=Message.CONTACT if inbound else Message.STAFF,
                    purpose=Message.INBOUND if inbound else Message.REPLY, body=body, encoding="GSM-7",
                    units=len(body), segments=1, status="received" if inbound else "delivered", status_at=at,
                    provider="sandbox", created_at=at,
                )
            )  # fmt: skip
        if rng.random() < 0.5:
            reads.append(ConversationRead(user=owner, conversation=c, read_at=c.last_message_at))
        if c.assignee_id:
            events.append(
                ConversationEvent(
                    business=business, conversation=c, kind="assigned", actor=owner, subject_id=c.assignee_id,
                    at=c.last_message_at,
                )
            )  # fmt: skip
    Message.objects.bulk_create(messages, batch_size=2000)
    ConversationRead.objects.bulk_create(reads)
    ConversationEvent.objects.bulk_create(events)


# --- the measuring side ------------------------------------------------------------------------


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200, help="requests per measured endpoint")
    parser.add_argument("--tabs", type=int, default=100)
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    parser.add_argument(
        "--every", type=float, default=1.5, help="the page's poll interval, seconds (live.POLL_SECONDS)"
    )
    parser.add_argument("--web-processes", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    return parser.parse_args(argv)


def log_in(client) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
    response = client.post("/login", data={"username": OWNER, "password": PASSWORD, "csrfmiddlewaretoken": token})
    assert response.status_code == 302, response.text[:300]


def deep_cursor(database, depth: int) -> str:
    rows = database.query(
        "SELECT c.last_message_at, c.id FROM messaging_conversation c JOIN accounts_business b ON b.id = c.business_id"
        " WHERE b.slug = %s ORDER BY c.last_message_at DESC, c.id DESC LIMIT 1 OFFSET %s",
        (SLUG, depth),
    )
    at, pk = rows[0]
    if isinstance(at, str):
        at = datetime.fromisoformat(at).replace(tzinfo=UTC)
    return f"{(at - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)},{pk}"


def timed(client, path: str, count: int, headers: dict | None = None, expect: int = 200) -> list[float]:
    client.get(path, headers=headers or {})  # warm
    took = []
    for _ in range(count):
        start = time.perf_counter()
        response = client.get(path, headers=headers or {})
        took.append(time.perf_counter() - start)
        assert response.status_code == expect, (path, response.status_code)
    return took


def figures(values: list[float]) -> dict:
    from missed_calls import percentile

    return {f"p{p}": round(percentile(values, p) * 1000, 1) for p in (50, 95, 99)}


def idle_tabs(base_url: str, tabs: int, seconds: float, every: float, path: str, measure) -> dict:
    """`tabs` pollers with ETags, each signed in on its own (its own session, as 100 people's tabs are) and
    on its own keep-alive connection, staggered over one interval.

    Each tab first loads the list (as the page hands it its ETag); `measure()` is called once all
    have, and again when the last poll is done, so the CPU between counts only the idle polling."""
    import httpx

    statuses: dict = {}
    took: list[float] = []
    lock = threading.Lock()
    ready = threading.Barrier(tabs + 1)
    sign_ins = threading.Lock()
    stop = 0.0

    def tab(offset: float) -> None:
        with httpx.Client(base_url=base_url, timeout=30) as client:
            with sign_ins:  # one at a time: each checks the password (argon2), which takes a while
                log_in(client)
            etag = client.get(path).headers["ETag"]
            ready.wait()
            next_at = time.monotonic() + offset
            while True:
                time.sleep(max(0.0, next_at - time.monotonic()))
                if time.monotonic() >= stop:
                    return
                start = time.perf_counter()
                try:
                    response = client.get(path, headers={"If-None-Match": etag})
                except httpx.TransportError:  # the server closed an idle keep-alive connection
                    with lock:  # just as the next poll goes out; a browser, too, tries again next time
                        statuses["reset"] = statuses.get("reset", 0) + 1
                    next_at += every
                    continue
                with lock:
                    took.append(time.perf_counter() - start)
                    statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                etag = response.headers.get("ETag", etag)
                next_at += every

    threads = [threading.Thread(target=tab, args=(every * i / tabs,)) for i in range(tabs)]
    for thread in threads:
        thread.start()
    stop = time.monotonic() + 3600
    ready.wait()
    measure()
    stop = time.monotonic() + seconds
    for thread in threads:
        thread.join()
    measure()
    return {"statuses": statuses, "latency_ms": figures(took), "polls_per_s": round(len(took) / seconds, 1)}


def run(engine: str, args) -> dict:
    import httpx
    from missed_calls import PostgresMonitor, cpu_ticks, cpu_used, process_trees

    system = new_system(engine, args, "inbox")
    database = system.database
    try:
        system.cli("migrate", "-v", "0")
        started = time.monotonic()
        print(f"[{engine}] seeding {args.conversations:,} conversations, {args.messages:,} messages …", flush=True)
        system.extra_env.update(
            BENCH_CONVERSATIONS=str(args.conversations),
            BENCH_MESSAGES_PER=str(max(args.messages // args.conversations, 1)),
        )
        print(seed(system, __file__, timeout=3600), end="")
        seeded_s = time.monotonic() - started
        system.start_web(with_worker=True, web_processes=args.web_processes)
        client = httpx.Client(base_url=system.url, timeout=30)
        log_in(client)
        deep = deep_cursor(database, args.conversations // 2)
        base = f"/b/{SLUG}/"
        live = f"/b/{SLUG}/live"
        etag = client.get(live).headers["ETag"]
        results = {
            "list: first page (open)": timed(client, base, args.requests),
            "list: first page (all)": timed(client, f"{base}?show=all", args.requests),
            f"list: {args.conversations // 2:,} deep (all)": timed(
                client, f"{base}?show=all&before={deep}", args.requests
            ),
            "search: a name (all)": timed(client, f"{base}?show=all&q=rodriguez", args.requests),
            "search: a number, typed (all)": timed(client, f"{base}?show=all&q=(512)%20204-2000", args.requests),
            f"search: a rare word '{RARE}' (all)": timed(client, f"{base}?show=all&q={RARE}", args.requests),
            f"search: a common word '{COMMON}' (all)": timed(client, f"{base}?show=all&q={COMMON}", args.requests),
            f"search: a word in no text '{NOWHERE}' (all)": timed(
                client, f"{base}?show=all&q={NOWHERE}", args.requests
            ),
            "live: 200 (no ETag)": timed(client, live, args.requests),
            "live: 304 (nothing changed)": timed(client, live, args.requests, {"If-None-Match": etag}, 304),
        }
        out = {"engine": engine, "seed_seconds": round(seeded_s, 1), "latency_ms": {}}
        for name, values in results.items():
            out["latency_ms"][name] = figures(values)
        monitor = PostgresMonitor(database) if database.is_postgres else None
        roots = [system.web.pid]
        load_before = os.getloadavg()

        def reading():
            serve = cpu_ticks(process_trees(roots))
            backends = cpu_ticks(monitor.backend_pids()) if monitor else {}
            readings.append((serve, backends, time.monotonic()))

        readings = []
        tabs = idle_tabs(system.url, args.tabs, args.idle_seconds, args.every, live, reading)
        (serve_before, db_before, began), (serve_after, db_after, ended) = readings
        serve_cpu, db_cpu = cpu_used(serve_before, serve_after), cpu_used(db_before, db_after)
        out["idle_tabs"] = {
            "tabs": args.tabs,
            "seconds": args.idle_seconds,
            "server_cpu_percent_of_one_core": round(100 * (serve_cpu + db_cpu) / (ended - began), 2),
            "serve_cpu_percent": round(100 * serve_cpu / (ended - began), 2),
            "database_backends_cpu_percent": round(100 * db_cpu / (ended - began), 2),
            **tabs,
        }
        out["load_average"] = {"before": [round(v, 2) for v in load_before], "after": list(os.getloadavg())}
        if monitor:
            monitor.close()
        client.close()
        return out
    finally:
        remove(system, args.keep)


def new_system(engine: str, args, name: str):
    """A textback (not yet migrated nor started) on a new database of `engine`, in a new data directory."""
    from tests.support.harness import System, new_database

    directory = Path(tempfile.mkdtemp(prefix=f"bench-{name}-{engine}-"))
    database = new_database(directory, args.postgres if engine == "postgres" else None)
    return System(database=database, data_dir=directory, twilio_api_url="http://127.0.0.1:9")


def seed(system, script: str, timeout: float) -> str:
    """Run the bench `script` as "seed" inside `textback shell` (Django set up, the system's settings); its output."""
    from tests.support.harness import ROOT, TEXTBACK, run

    code = f"import runpy; runpy.run_path({str(Path(script))!r}, run_name='seed')"
    result = run([*TEXTBACK, "shell", "-c", code], env=system.env(), cwd=ROOT, timeout=timeout)
    if result.returncode:
        raise RuntimeError(f"seeding failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def remove(system, keep: bool) -> None:
    """Stop it and drop its database; its data directory too, unless `keep`."""
    import shutil

    system.stop()
    system.database.drop()
    if not keep:
        shutil.rmtree(system.data_dir, ignore_errors=True)


def report(out: dict) -> None:
    print(f"\n== {out['engine']}: seeded in {out['seed_seconds']} s ==")
    print(f"{'endpoint':44} {'p50':>8} {'p95':>8} {'p99':>8}   (ms; budget p95 < 100)")
    for name, f in out["latency_ms"].items():
        print(f"{name:44} {f['p50']:8} {f['p95']:8} {f['p99']:8}")
    tabs = out["idle_tabs"]
    print(
        f"{tabs['tabs']} idle tabs for {tabs['seconds']:.0f} s: server CPU {tabs['server_cpu_percent_of_one_core']} %"
        f" of one core (budget < 5 %): textback serve {tabs['serve_cpu_percent']} %,"
        f" PostgreSQL backends {tabs['database_backends_cpu_percent']} %; {tabs['polls_per_s']} polls/s, statuses {tabs['statuses']},"
        f" poll latency {tabs['latency_ms']}"
    )
    print(f"load average before {out['load_average']['before']}, after {out['load_average']['after']}")


def run_each_database(args, run, report) -> None:
    """`run` on each database `--db` names, printed by `report` as it ends; all the figures to `--json` too."""
    engines = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    print(f"load average at start: {os.getloadavg()}")
    outs = []
    for engine in engines:
        outs.append(run(engine, args))
        report(outs[-1])
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(outs, indent=2))


def main(argv=None) -> None:
    run_each_database(parse_args(argv), run, report)


if __name__ == "seed":
    seed_inside()
elif __name__ == "__main__":
    main()
