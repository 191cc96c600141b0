"""Measure the recovery report (dashboard) and /api/v1/metrics against ARCHITECTURE §8, over real HTTP.

    .venv/bin/python -u bench/reports.py                                     # SQLite, then PostgreSQL
    .venv/bin/python -u bench/reports.py --db postgres --postgres postgresql://postgres@127.0.0.1:5432
    .venv/bin/python -u bench/reports.py --db sqlite --busy-calls 200 --small 9     # a quick look

The data (inserted in bulk through the ORM inside `textback shell`, timed):

- **the busy business** ("bench", America/Chicago, so the year crosses both DST changes): one year of
  `--busy-calls` (1,000) calls a day on three lines (two forward-and-screen, one carrier-forwarding),
  fewer at weekends, most within opening hours (Mon–Fri 8–18, Sat 9–13) and some at night; about 30 %
  missed (no answer, busy, caller hung up, screened out, voicemail); 9 in 10 of the missed texted back
  (the rest skipped for a recorded reason), the text-back's status mostly delivered, some undelivered,
  failed or still sent; 40 % of callers reply within minutes, staff answer most of them (minutes in
  opening hours, hours outside), a third of the replied conversations are booked with a job value (some
  lost or no-show), a follow-up for a tenth of the silent ones; repeat callers reuse their conversation;
- **`--small` (99) small businesses**: `--small-calls` (20) calls a day over the last `--small-days` (90)
  days each, with the same shape, so the busy business's rows sit among others' in every table.

Then `textback serve` answers, signed in as the busy business's owner (a session cookie; the dashboard)
and with a read API token made by `textback api-token create` (the API):

- `GET /b/bench/reports/?period=30d` and `?period=365d`;
- `GET /api/v1/metrics?from=…&to=…` for the same 30 and 365 days.

Each is measured **cold** (the kept days, reports.RollupDay, deleted before every request, so every day
is figured from the rows: what the first report after an upgrade costs), **recent** (the settled days kept,
the recent days' figures expired: the first report more than funnel.PROVISIONAL after the last one, which
figures the last funnel.SETTLE_DAYS + 1 days from the rows) and **warm** (a report within
funnel.PROVISIONAL of the last: only today is figured from the rows). p50/p95/max in ms over `--requests`
requests after one warm-up (cold: `--cold-requests`), and the serving process's RSS afterwards. Before the
HTTP part, `funnel.total` is timed in-process the same three ways. An endpoint that answers 404 (not merged yet) is reported as missing, not measured.
"""

import argparse
import os
import re
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

SLUG, OWNER, PASSWORD, ZONE = "bench", "owner@bench.example", "bench-passphrase-123", "America/Chicago"


# --- the data, inside `textback shell` ------------------------------------------------------------------------


def seed_inside() -> None:
    """Runs inside `textback shell` (Django set up): bulk inserts, then ANALYZE."""
    import random

    from django.contrib.auth import get_user_model
    from django.db import connection

    from textback.accounts.models import Membership

    rng = random.Random(8)
    days = int(os.environ["BENCH_DAYS"])
    started = time.monotonic()
    busy = _business(SLUG, "Bench Plumbing (busy)")
    owner = get_user_model().objects.create_user(OWNER, password=PASSWORD, first_name="Olive")
    Membership.objects.create(user=owner, business=busy, role=Membership.OWNER)
    counts = _year(rng, busy, owner, days, int(os.environ["BENCH_BUSY_CALLS"]), report=True)
    print(f"  busy business: {_said(counts)} in {time.monotonic() - started:.0f} s", flush=True)
    small_started, small_counts = time.monotonic(), {}
    user_model = get_user_model()
    for n in range(int(os.environ["BENCH_SMALL"])):
        business = _business(f"small-{n:02d}", f"Small {n:02d}", lines=1, index=n + 1)
        user = user_model.objects.create_user(f"owner@small-{n:02d}.example", password=PASSWORD)
        Membership.objects.create(user=user, business=business, role=Membership.OWNER)
        for key, value in _year(
            rng, business, user, int(os.environ["BENCH_SMALL_DAYS"]), int(os.environ["BENCH_SMALL_CALLS"])
        ).items():
            small_counts[key] = small_counts.get(key, 0) + value
    print(f"  small businesses: {_said(small_counts)} in {time.monotonic() - small_started:.0f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"  seeded in {time.monotonic() - started:.0f} s", flush=True)


def _said(counts: dict) -> str:
    return ", ".join(f"{value:,} {key}" for key, value in counts.items())


def _business(slug: str, name: str, lines: int = 3, index: int = 0):
    from datetime import time as clock

    from textback.accounts.models import Business, OpeningHours
    from textback.providers.models import SANDBOX, Line, ProviderAccount

    business = Business.objects.create(name=name, slug=slug, time_zone=ZONE)
    OpeningHours.objects.bulk_create(
        [OpeningHours(business=business, weekday=d, opens=clock(8), closes=clock(18)) for d in range(5)]
        + [OpeningHours(business=business, weekday=5, opens=clock(9), closes=clock(13))]
    )
    account = ProviderAccount.objects.create(business=business, provider=SANDBOX, label="bench")
    for k in range(lines):
        Line.objects.create(
            business=business, account=account, number=f"+1737{index:03d}{k:04d}", label=f"Office {k + 1}",
            call_mode=Line.CARRIER_FORWARD if k == 2 else Line.FORWARD_SCREEN, forward_to=["+15125550199"],
        )  # fmt: skip
    return business


MISSED = [("no_answer", 40), ("busy", 8), ("caller_hung_up", 25), ("screened_out", 12), ("voicemail", 15)]
SKIPPED = [("cooldown", 50), ("landline", 20), ("opted_out", 10), ("excluded", 5), ("anonymous", 15)]
TB_STATUS = [("delivered", 90), ("sent", 3), ("undelivered", 4), ("failed", 2), ("expired", 1)]
BODIES = ["Can you come today?", "Yes please, the sink is leaking", "How much for a water heater?", "Is 3pm ok?"]


def _pick(rng, weighted):
    return rng.choices([k for k, _ in weighted], [w for _, w in weighted])[0]


def _local_moment(rng, day: date, zone):
    """A call's start on a local day: mostly in opening hours, some evenings and nights."""
    from datetime import datetime

    r = rng.random()
    if day.weekday() < 5:
        hour = rng.uniform(8, 18) if r < 0.8 else rng.uniform(18, 23) if r < 0.93 else rng.uniform(0, 8)
    else:
        hour = rng.uniform(9, 13) if r < 0.5 else rng.uniform(7, 21)
    start = datetime(day.year, day.month, day.day, tzinfo=zone) + timedelta(hours=hour)
    return start.astimezone(zone)  # a wall time in a DST gap moves forward, as a clock would


def _year(rng, business, owner, days: int, per_day: int, report: bool = False) -> dict:
    """`days` local days of calls up to today for the business, inserted a week at a time."""
    from zoneinfo import ZoneInfo

    from django.db import transaction
    from django.utils import timezone

    from textback.messaging.models import Contact, Conversation
    from textback.providers.models import Line

    zone = ZoneInfo(ZONE)
    lines = list(Line.objects.filter(business=business).order_by("pk"))
    pool = max(per_day * 150, 50)  # callers: a new one most of the time, some call again (and again)
    contacts = Contact.objects.bulk_create(
        [Contact(business=business, number=f"+1312{n:07d}") for n in range(pool)],
        batch_size=2000,
    )
    state = {"conversations": {}, "counts": {"calls": 0, "messages": 0, "conversations": 0}, "contacts": contacts}
    today = timezone.now().astimezone(zone).date()
    first = today - timedelta(days=days - 1)
    week: list[date] = []
    for n in range(days):
        week.append(first + timedelta(days=n))
        if len(week) == 7 or n == days - 1:
            with transaction.atomic():
                _days(rng, business, owner, lines, week, per_day, zone, state)
            week = []
            if report and n % 91 == 90:
                print(f"    {n + 1} days: {_said(state['counts'])}", flush=True)
    # last_message_at for the list and the live poll, in one statement
    Conversation.objects.filter(business=business).update(last_message_at=_latest_message(), status=Conversation.CLOSED)
    return state["counts"]


def _latest_message():
    from django.db.models import Max, OuterRef, Subquery

    from textback.messaging.models import Message

    return Subquery(
        Message.objects.filter(conversation_id=OuterRef("pk"))
        .values("conversation_id")
        .annotate(m=Max("created_at"))
        .values("m")[:1]
    )


def _days(rng, business, owner, lines, week, per_day, zone, state) -> None:
    """One week of calls, their text-backs, replies, answers, follow-ups and outcomes."""
    from django.utils import timezone

    from textback.calls.models import Call
    from textback.messaging.models import Conversation

    now = timezone.now()
    calls, plans = [], []
    for day in week:
        count = int(per_day * (1.1 if day.weekday() < 5 else 0.55) * rng.uniform(0.85, 1.15))
        for _ in range(count):
            start = _local_moment(rng, day, zone)
            if start >= now:
                continue
            line = rng.choice(lines)
            contact = state["contacts"][int(len(state["contacts"]) * rng.random() ** 2)]
            carrier = line.call_mode == line.CARRIER_FORWARD
            outcome = _pick(rng, MISSED) if carrier or rng.random() < 0.3 else "answered"
            ended = start + timedelta(seconds=rng.uniform(5, 40) if outcome != "answered" else rng.uniform(30, 600))
            missed = outcome != "answered"
            texted = missed and rng.random() < 0.9
            reason = "missed_call" if texted else "" if not missed else _pick(rng, SKIPPED)
            calls.append(
                Call(
                    business=business, line=line, contact=contact, provider="sandbox",
                    provider_call_id=f"CA{business.pk:04d}{len(calls):06d}{rng.getrandbits(48):012x}",
                    from_number=contact.number, to_number=line.number, state=Call.ENDED, outcome=outcome,
                    voicemail=outcome == "voicemail", started_at=start, ended_at=ended,
                    decision="" if not missed else Call.TEXT if texted else Call.SKIP, decision_reason=reason,
                    decided_at=ended if missed else None,
                )
            )  # fmt: skip
            plans.append(texted)
    calls = Call.objects.bulk_create(calls, batch_size=2000)
    state["counts"]["calls"] += len(calls)
    texted_calls = [c for c, texted in zip(calls, plans, strict=True) if texted]
    convos = state["conversations"]
    new = {}
    for call in texted_calls:
        key = (call.line_id, call.contact_id)
        if key not in convos and key not in new:
            new[key] = Conversation(
                business=business, line_id=call.line_id, contact_id=call.contact_id, status=Conversation.CLOSED,
                source=Conversation.MISSED_CALL, outcome="", lost_reason="", created_at=call.ended_at,
            )  # fmt: skip
    for c in Conversation.objects.bulk_create(list(new.values()), batch_size=2000):
        convos[(c.line_id, c.contact_id)] = c
    state["counts"]["conversations"] += len(new)
    messages, outcomes = [], []
    for call in texted_calls:
        _thread(rng, convos[(call.line_id, call.contact_id)], call, owner, now, messages, outcomes)
    _insert(messages, outcomes)
    state["counts"]["messages"] += len(messages)


def _thread(rng, conversation, call, owner, now, messages, outcomes) -> None:
    """The text-back of one missed call and what followed it."""
    from textback.messaging.models import Conversation, Message

    at = call.ended_at + timedelta(seconds=rng.uniform(0.5, 4))
    status = _pick(rng, TB_STATUS)
    messages.append(_message(conversation, call, Message.OUT, Message.SYSTEM, Message.TEXTBACK, status, at, rng))
    if status not in ("delivered", "sent") or rng.random() >= 0.4:
        if status == "delivered" and rng.random() < 0.1:
            later = at + timedelta(days=1)
            if later < now:
                messages.append(
                    _message(conversation, None, Message.OUT, Message.AUTOMATION, Message.FOLLOWUP, "delivered", later, rng)
                )  # fmt: skip
        return
    reply = at + timedelta(seconds=rng.lognormvariate(5.0, 1.0))  # a couple of minutes, sometimes much longer
    if reply >= now:
        return
    messages.append(_message(conversation, None, Message.IN, Message.CONTACT, Message.INBOUND, "received", reply, rng))
    if rng.random() < 0.85:
        opening = 8 <= reply.hour < 18
        answer = reply + timedelta(seconds=rng.lognormvariate(5.5, 1.0) if opening else rng.uniform(3600, 14 * 3600))
        if answer < now:
            messages.append(
                _message(conversation, None, Message.OUT, Message.STAFF, Message.REPLY, "delivered", answer, rng, owner)
            )
            r = rng.random()
            outcome = Conversation.BOOKED if r < 0.33 else Conversation.LOST if r < 0.4 else ""
            outcome = Conversation.NO_SHOW if 0.4 <= r < 0.43 else outcome
            if outcome:
                value = round(rng.uniform(90, 2500), 2) if outcome == Conversation.BOOKED else None
                outcomes.append(
                    (conversation.pk, outcome, value, answer + timedelta(minutes=5), owner, conversation.business_id)
                )


def _message(conversation, call, direction, kind, purpose, status, at, rng, user=None):
    from textback.messaging.models import Message

    body = rng.choice(BODIES) if direction == Message.IN else "Sorry we missed your call. How can we help?"
    return Message(
        business_id=conversation.business_id, conversation=conversation, contact_id=conversation.contact_id,
        line_id=conversation.line_id, call=call, direction=direction, sender_kind=kind, sent_by=user,
        purpose=purpose, body=body, encoding="GSM-7", units=len(body), segments=1 if len(body) < 70 else 2,
        status=status, status_at=at, provider="sandbox", created_at=at,
        sent_at=at + timedelta(seconds=rng.uniform(0.1, 1.5)) if direction == Message.OUT else None,
    )  # fmt: skip


def _insert(messages, outcomes) -> None:
    from textback.messaging.models import Conversation, ConversationEvent, Message

    Message.objects.bulk_create(messages, batch_size=2000)
    changed, events = {}, []
    for pk, outcome, value, at, user, business_id in outcomes:  # the latest outcome wins, as a person would have it
        changed[pk] = Conversation(pk=pk, outcome=outcome, outcome_value=value, outcome_at=at, outcome_by=user)
        # The timeline row the inbox writes with every outcome (messaging/conversations.py do_set_outcome): the
        # report counts bookings from these, episode by episode.
        detail = f"${value:,.2f}" if outcome == Conversation.BOOKED and value is not None else ""
        events.append(ConversationEvent(
            business_id=business_id, conversation_id=pk, kind=ConversationEvent.OUTCOME, actor=user,
            body=f"{outcome}:{detail}" if detail else outcome, at=at,
        ))  # fmt: skip
    fields = ["outcome", "outcome_value", "outcome_at", "outcome_by"]
    Conversation.objects.bulk_update(list(changed.values()), fields, batch_size=500)
    ConversationEvent.objects.bulk_create(events, batch_size=2000)


# --- timing funnel.total in-process, inside `textback shell` -------------------------------------------------


def _forget_recent(business) -> None:
    """As if the recent days' figures had outlived funnel.PROVISIONAL: only the settled days stay kept."""
    from datetime import date, timedelta

    from textback.reports import funnel
    from textback.reports.models import RollupDay

    RollupDay.objects.filter(business=business, day__gte=date.today() - timedelta(days=funnel.SETTLE_DAYS + 1)).delete()


def direct_inside() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from textback.accounts.models import Business
    from textback.reports import funnel
    from textback.reports.models import RollupDay
    from textback.reports.periods import last_days

    business = Business.objects.get(slug=SLUG)
    reps = int(os.environ["BENCH_DIRECT_REPS"])
    page_queries(business)
    for days in (30, 365):
        period = last_days(days, business.time_zone)
        cold = []
        for _ in range(3):
            RollupDay.objects.filter(business=business).delete()
            start = time.perf_counter()
            figures = funnel.total(business, period)
            cold.append(time.perf_counter() - start)
        recent = []
        for _ in range(reps):
            _forget_recent(business)
            start = time.perf_counter()
            funnel.total(business, period)
            recent.append(time.perf_counter() - start)
        warm = []
        for _ in range(reps):
            start = time.perf_counter()
            funnel.total(business, period)
            warm.append(time.perf_counter() - start)
        with CaptureQueriesContext(connection) as warm_queries:
            funnel.total(business, period)
        RollupDay.objects.filter(business=business).delete()
        with CaptureQueriesContext(connection) as cold_queries:
            funnel.total(business, period)
        print(f"DIRECT {days}d cold {_ms(cold)}, {len(cold_queries)} queries", flush=True)
        print(f"DIRECT {days}d recent {_ms(recent)} (the recent days' kept figures expired)", flush=True)
        print(f"DIRECT {days}d warm {_ms(warm)}, {len(warm_queries)} queries", flush=True)
        print(
            f"  {days}d: {figures.calls:,} calls, {figures.answered:,} answered, {sum(figures.missed.values()):,} "
            f"missed, {figures.texted:,} texted, {figures.replied:,} replied, {figures.booked:,} booked, "
            f"${figures.revenue_cents / 100:,.0f}",
            flush=True,
        )


def page_queries(business) -> None:
    """The SQL statements of one dashboard request (warm: its kept days already there), through Django's test
    client in this process: no debug header needed in the served code."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=OWNER))
    for preset in ("30d", "365d"):
        path = f"/b/{SLUG}/reports/?period={preset}"
        if client.get(path).status_code != 200:  # also fills the kept days
            print(f"QUERIES dashboard {preset}: not there yet (no 200)", flush=True)
            continue
        with CaptureQueriesContext(connection) as queries:
            client.get(path)
        print(f"QUERIES dashboard {preset} (warm): {len(queries)}", flush=True)


def _ms(values: list[float]) -> str:
    from missed_calls import percentile

    return (
        f"n={len(values)} p50={percentile(values, 50) * 1000:.1f} p95={percentile(values, 95) * 1000:.1f} "
        f"max={max(values) * 1000:.1f} ms"
    )


# --- the measuring side ---------------------------------------------------------------------------------------


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--days", type=int, default=365, help="days of the busy business")
    parser.add_argument("--busy-calls", type=int, default=1000, help="the busy business's calls a day")
    parser.add_argument("--small", type=int, default=99, help="small businesses beside it")
    parser.add_argument("--small-calls", type=int, default=20)
    parser.add_argument("--small-days", type=int, default=90)
    parser.add_argument("--requests", type=int, default=30, help="warm requests per endpoint (after one warm-up)")
    parser.add_argument("--cold-requests", type=int, default=3, help="cold requests per endpoint")
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--no-direct", action="store_true", help="skip the in-process timing of funnel.total")
    return parser.parse_args(argv)


def stats(values: list[float]) -> dict:
    from missed_calls import percentile

    return {
        "n": len(values),
        "p50": round(percentile(values, 50) * 1000, 1),
        "p95": round(percentile(values, 95) * 1000, 1),
        "max": round(max(values) * 1000, 1),
    }


def endpoints() -> dict[str, str]:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    today = datetime.now(ZoneInfo(ZONE)).date()
    month, year = today - timedelta(days=29), today - timedelta(days=364)
    return {
        "dashboard 30d": f"/b/{SLUG}/reports/?period=30d",
        "dashboard 365d": f"/b/{SLUG}/reports/?period=365d",
        "api metrics 30d": f"/api/v1/metrics?from={month}&to={today}",
        "api metrics 365d": f"/api/v1/metrics?from={year}&to={today}",
    }


def api_token(system) -> str | None:
    result = system.cli("api-token", "create", "--business", SLUG, "--name", "bench", "--scope", "read", check=False)
    if result.returncode:
        print(f"  no API token ({(result.stderr or result.stdout).strip().splitlines()[-1:]}): API rows skipped")
        return None
    found = re.findall(r"\S{20,}", result.stdout)
    return found[-1] if found else None


def measure(client, path: str, headers: dict, count: int, before=None) -> tuple[list[float], list[int]]:
    took, queries = [], []
    for _ in range(count):
        if before:
            before()
        start = time.perf_counter()
        response = client.get(path, headers=headers)
        took.append(time.perf_counter() - start)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
        if "X-Queries" in response.headers:
            queries.append(int(response.headers["X-Queries"]))
    return took, queries


def run(engine: str, args) -> dict:
    import httpx
    from inbox import log_in, new_system, remove, seed
    from missed_calls import _children, memory_mb

    system = new_system(engine, args, "reports")
    database = system.database
    try:
        system.cli("migrate", "-v", "0")
        print(f"[{engine}] seeding …", flush=True)
        system.extra_env.update(
            BENCH_DAYS=str(args.days), BENCH_BUSY_CALLS=str(args.busy_calls), BENCH_SMALL=str(args.small),
            BENCH_SMALL_CALLS=str(args.small_calls), BENCH_SMALL_DAYS=str(args.small_days),
            BENCH_DIRECT_REPS=str(args.requests), TEXTBACK_API_RATE_PER_MINUTE="100000",
        )  # fmt: skip
        started = time.monotonic()
        print(seed(system, __file__, timeout=3600), end="", flush=True)
        out = {"engine": engine, "seed_seconds": round(time.monotonic() - started, 1), "http": {}}
        if engine == "sqlite":
            out["database_mb"] = round(Path(database.url.removeprefix("sqlite:///")).stat().st_size / 2**20)
        else:
            out["database_mb"] = round(database.query("SELECT pg_database_size(current_database())")[0][0] / 2**20)
        print(f"[{engine}] funnel.total in-process (cold: kept days deleted first; warm: kept) …", flush=True)
        system.extra_env["BENCH_MODE"] = "queries" if args.no_direct else "direct"
        direct = seed(system, __file__, timeout=3600)
        print(direct, end="", flush=True)
        out["direct"] = [line for line in direct.splitlines() if line.startswith(("DIRECT", "QUERIES"))]
        del system.extra_env["BENCH_MODE"]
        token = api_token(system)
        system.start_web(with_worker=True)
        client = httpx.Client(base_url=system.url, timeout=120)
        log_in(client)

        def forget_kept_days():
            database.execute(
                "DELETE FROM reports_rollupday WHERE business_id = (SELECT id FROM accounts_business WHERE slug = %s)",
                (SLUG,),
            )

        def forget_recent_days():
            database.execute(
                "DELETE FROM reports_rollupday WHERE business_id = (SELECT id FROM accounts_business WHERE slug = %s)"
                " AND day >= %s",
                (SLUG, (date.today() - timedelta(days=7)).isoformat()),
            )

        load_before = Path("/proc/loadavg").read_text().strip()
        for name, path in endpoints().items():
            headers = {}
            if name.startswith("api"):
                if token is None:
                    out["http"][name] = "skipped: no API token (the API's CLI is not there yet)"
                    continue
                headers = {"Authorization": f"Bearer {token}"}
            probe = client.get(path, headers=headers)
            if probe.status_code == 404:
                out["http"][name] = "missing: 404 (not merged yet)"
                continue
            assert probe.status_code == 200, (path, probe.status_code, probe.text[:300])
            cold, cold_queries = measure(client, path, headers, args.cold_requests, before=forget_kept_days)
            measure(client, path, headers, 1)  # the warm-up
            recent, _ = measure(client, path, headers, args.requests, before=forget_recent_days)
            warm, warm_queries = measure(client, path, headers, args.requests)
            out["http"][name] = {"cold": stats(cold), "recent": stats(recent), "warm": stats(warm),
                                 "queries": warm_queries[:1] or None}  # fmt: skip
        out["load_average"] = {"before": load_before, "after": Path("/proc/loadavg").read_text().strip()}
        out["rss_mb"] = round(memory_mb([system.web.pid], _children())[0])
        client.close()
        return out
    finally:
        remove(system, args.keep)


def report(out: dict) -> None:
    print(f"\n== {out['engine']}: seeded in {out['seed_seconds']} s, database {out['database_mb']} MB ==")
    print("funnel.total in-process (ms):")
    for line in out["direct"]:
        print(f"  {line.removeprefix('DIRECT ').removeprefix('QUERIES ')}")
    print(f"{'over HTTP':22} {'':5} {'n':>4} {'p50':>8} {'p95':>8} {'max':>8}   (ms; budget p95 < 250)")
    for name, f in out["http"].items():
        if isinstance(f, str):
            print(f"{name:22} {f}")
            continue
        for kind in ("cold", "recent", "warm"):
            s = f[kind]
            print(f"{name:22} {kind:5} {s['n']:>4} {s['p50']:8} {s['p95']:8} {s['max']:8}")
    print(f"textback serve RSS after: {out['rss_mb']} MB")
    print(f"/proc/loadavg before: {out['load_average']['before']}; after: {out['load_average']['after']}")


def main(argv=None) -> None:
    from inbox import run_each_database

    run_each_database(parse_args(argv), run, report)


if __name__ == "seed":
    if os.environ.get("BENCH_MODE") == "direct":
        direct_inside()
    elif os.environ.get("BENCH_MODE") == "queries":
        from textback.accounts.models import Business

        page_queries(Business.objects.get(slug=SLUG))
    else:
        seed_inside()
elif __name__ == "__main__":
    main()
