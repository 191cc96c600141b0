"""Measure one conversation page and its live part with a two-year thread, over real HTTP.

    .venv/bin/python bench/conversation.py                        # both databases (also `make bench-conversation`)
    .venv/bin/python bench/conversation.py --db sqlite --entries 5000 --requests 100

One business with two conversations is bulk-inserted through the ORM inside `textback shell`: a long
one of `--entries` timeline entries over two years (texts both ways, each outbound text with its
delivery reports, calls, staff notes and events, opt-outs and opt-ins) and a short one of 20, so the
figures can be compared. Then `textback serve` answers: the whole page, the live part answering 200
(no ETag) and 304 (nothing changed), and, when the page offers one, its "Earlier" fragment from the
middle of the thread. Prints p50/p95/p99 in ms and the load average. See bench/README.md.
"""

import argparse
import os
import re
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from inbox import (  # noqa: E402
    OWNER,
    PASSWORD,
    SLUG,
    figures,
    log_in,
    new_system,
    remove,
    run_each_database,
    seed,
    timed,
)

LONG, SHORT = "+15125550001", "+15125550002"


def seed_inside() -> None:
    """Runs inside `textback shell` (Django set up): the business, its two conversations, then ANALYZE."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from textback.accounts.models import Business, Membership
    from textback.providers.models import SANDBOX, Line, ProviderAccount

    with transaction.atomic():
        business = Business.objects.create(name="Bench Plumbing", slug=SLUG)
        account = ProviderAccount.objects.create(business=business, provider=SANDBOX, label="bench")
        line = Line.objects.create(business=business, account=account, number="+17375550100", label="Office")
        owner = get_user_model().objects.create_user(OWNER, password=PASSWORD, first_name="Olive")
        Membership.objects.create(user=owner, business=business, role=Membership.OWNER)
        long = _thread(business, line, owner, LONG, int(os.environ["BENCH_ENTRIES"]))
        short = _thread(business, line, owner, SHORT, 20)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"conversations long={long} short={short}", flush=True)


def _thread(business, line, owner, number: str, entries: int) -> int:
    """A conversation of about `entries` timeline entries, one every few hours over the last two years:
    of each 25, 18 texts (half of them outbound, with sent and delivered reports), 2 calls, 4 notes or
    staff events and 1 opt-out or opt-in (the last one an opt-in, so the caller can be texted)."""
    from django.utils import timezone

    from textback.calls.models import Call
    from textback.messaging.models import ConsentEvent, Contact, Conversation, ConversationEvent, Message
    from textback.messaging.models import MessageStatusEvent as Status

    now = timezone.now()
    step = timedelta(days=730) / entries
    first = now - step * entries
    contact = Contact.objects.create(business=business, number=number, name=f"Caller {number[-4:]}")
    convo = Conversation.objects.create(
        business=business, line=line, contact=contact, last_message_at=now, last_inbound_at=now
    )
    kinds = "mmmcmmmmemmmmmemmkmmcmemm"  # m text, c call, e staff event, k consent: 25 entries
    texts, calls, events, consent = [], [], [], []
    for n in range(entries):
        at = first + step * n
        kind = kinds[n % len(kinds)]
        if kind == "m":
            inbound = len(texts) % 2 == 0
            texts.append(
                Message(
                    business=business, conversation=convo, contact=contact, line=line,
                    direction=Message.IN if inbound else Message.OUT,
                    sender_kind=Message.CONTACT if inbound else Message.STAFF, sent_by=None if inbound else owner,
                    purpose=Message.INBOUND if inbound else Message.REPLY, body=f"text {n}: is 3pm ok?",
                    encoding="GSM-7", units=20, segments=1, status="received" if inbound else "delivered",
                    status_at=at, provider="sandbox", created_at=at,
                )
            )  # fmt: skip
        elif kind == "c":
            calls.append(
                Call(
                    business=business, line=line, contact=contact, provider="sandbox",
                    provider_call_id=f"CA{number}-{n}", from_number=number, to_number=line.number, state="ended",
                    outcome="no_answer", started_at=at, ended_at=at + timedelta(seconds=20),
                    decision=Call.TEXT, decided_at=at + timedelta(seconds=20),
                )
            )  # fmt: skip
        elif kind == "e":
            note = len(events) % 3 != 2
            events.append(
                ConversationEvent(
                    business=business, conversation=convo, actor=owner, at=at,
                    kind=ConversationEvent.NOTE if note else ConversationEvent.CLOSED,
                    body=f"note {n}: quoted $350" if note else "",
                )
            )  # fmt: skip
        else:
            consent.append(ConsentEvent(business=business, number=number, kind="opt_out", created_at=at, line=line))
    for n, event in enumerate(reversed(consent)):
        event.kind = ConsentEvent.OPT_IN if n % 2 == 0 else ConsentEvent.OPT_OUT
        event.keyword = "START" if n % 2 == 0 else "STOP"
    Message.objects.bulk_create(texts, batch_size=2000)
    Call.objects.bulk_create(calls)
    ConversationEvent.objects.bulk_create(events)
    ConsentEvent.objects.bulk_create(consent)
    reports = []
    for text in texts:
        if text.direction == Message.OUT:
            reports.append(Status(message=text, status="sent", at=text.created_at + timedelta(seconds=1)))
            reports.append(Status(message=text, status="delivered", at=text.created_at + timedelta(seconds=4)))
    Status.objects.bulk_create(reports, batch_size=2000)
    return convo.pk


# --- the measuring side ------------------------------------------------------------------------


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--entries", type=int, default=5000, help="timeline entries of the long conversation")
    parser.add_argument("--requests", type=int, default=100, help="requests per measured endpoint")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    return parser.parse_args(argv)


def measure(client, pk: int, requests: int) -> dict:
    """The page, its live part (200 and 304) and, when offered, an "Earlier" fragment halfway back."""
    page = f"/b/{SLUG}/conversations/{pk}"
    live = f"{page}/live"
    html = client.get(page).text
    since = re.search(r'name="since" id="live-since" value="([^"]*)"', html)
    query = {"since": since[1]} if since else {}
    etag = client.get(live, params=query).headers["ETag"]
    results = {
        "page": timed(client, page, requests),
        "live: 200 (no ETag)": timed(client, live + _query(query), requests),
        "live: 304 (nothing changed)": timed(client, live + _query(query), requests, {"If-None-Match": etag}, 304),
    }
    earlier = re.search(r'hx-get="([^"]+/earlier\?before=[^"]+)"', html)
    for _ in range(40 if earlier else 0):  # walk back about half of a 5,000-entry thread
        fragment = client.get(earlier[1].replace("&amp;", "&")).text
        earlier = re.search(r'hx-get="([^"]+/earlier\?before=[^"]+)"', fragment) or earlier
    if earlier:
        results["earlier: a page halfway back"] = timed(client, earlier[1].replace("&amp;", "&"), requests)
    return results


def _query(params: dict) -> str:
    from urllib.parse import urlencode

    return f"?{urlencode(params)}" if params else ""


def run(engine: str, args) -> dict:
    import httpx

    system = new_system(engine, args, "conversation")
    try:
        system.cli("migrate", "-v", "0")
        print(f"[{engine}] seeding a conversation of {args.entries:,} entries …", flush=True)
        system.extra_env.update(BENCH_ENTRIES=str(args.entries))
        ids = dict(re.findall(r"(long|short)=(\d+)", seed(system, __file__, timeout=1800)))
        system.start_web(with_worker=True)
        client = httpx.Client(base_url=system.url, timeout=60)
        log_in(client)
        load_before = os.getloadavg()
        out = {"engine": engine, "entries": args.entries, "latency_ms": {}}
        for name, pk in (("long", ids["long"]), ("short", ids["short"])):
            for endpoint, values in measure(client, int(pk), args.requests).items():
                out["latency_ms"][f"{name}: {endpoint}"] = figures(values)
        out["load_average"] = {"before": [round(v, 2) for v in load_before], "after": list(os.getloadavg())}
        client.close()
        return out
    finally:
        remove(system, args.keep)


def report(out: dict) -> None:
    print(f"\n== {out['engine']}: a {out['entries']:,}-entry conversation and a 20-entry one ==")
    print(f"{'endpoint':44} {'p50':>8} {'p95':>8} {'p99':>8}   (ms)")
    for name, f in out["latency_ms"].items():
        print(f"{name:44} {f['p50']:8} {f['p95']:8} {f['p99']:8}")
    print(f"load average before {out['load_average']['before']}, after {out['load_average']['after']}")


def main(argv=None) -> None:
    run_each_database(parse_args(argv), run, report)


if __name__ == "seed":
    seed_inside()
elif __name__ == "__main__":
    main()
