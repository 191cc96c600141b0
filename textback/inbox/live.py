"""The inbox list's live poll, answered before Django when nothing changed.

An open inbox tab asks `b/<slug>/live` every POLL_SECONDS (1.5 s) with the ETag of the list it shows, and
nearly every answer is "304, nothing changed". Through Django that answer costs about 3 ms of CPU (the
session, the user, the membership and a dozen middleware), so 100 open tabs would keep 16 % of a core
busy doing nothing. Here the ETag is a token only the server can make: a keyed BLAKE2b MAC over the
session it was shown to, the list's URL and one row of facts (`facts`) that changes whenever the list
might: the session still signed in, the user's password hash and active flag, the membership's role,
lines and alert choice, the business's time zone and SLA thresholds, and the newest message, timeline
event and read mark. `answer_unchanged_polls` wraps the WSGI application: for a poll whose token still
matches that row it answers 304 at once; anything else (a change, a signed-out or foreign session, a
removed member, a token it cannot read, a database error) goes on to Django, which checks everything and
answers. Under `textback serve` the rows are read ahead of the polls, many in one statement (`Watch`).

What the shortcut can reveal is only "what you were shown is still current", and only to the session
it was shown to while that session is signed in and its person still a member.
"""

import hashlib
import hmac
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.http.cookie import parse_cookie
from django.utils import timezone

from textback.accounts.models import Business, Membership
from textback.messaging.models import Conversation, ConversationEvent, ConversationRead

log = logging.getLogger(__name__)

LIVE_PATH = re.compile(r"/b/[-\w]+/live\Z", re.ASCII)
TOKEN = re.compile(r'(?:W/)?"L1\.(\d{1,18})\.([0-9a-f]{32})"', re.ASCII)
_KEY = hashlib.blake2b(b"textback.inbox.live " + settings.SECRET_KEY.encode(), digest_size=32).digest()

Key = tuple[int, str]  # (membership id, session key): whose facts a row is

# How often an open inbox or conversation tab polls. A change reaches the tab within a poll, plus up to
# Watch.FRESH when the row was read ahead, plus the request: 1.5 + 0.35 + a few ms, inside the 2 s
# the product promises. Idle tabs cost CPU in proportion (bench/inbox.py --every).
POLL_SECONDS = 1.5
POLL_EVERY = f"{POLL_SECONDS:g}s"  # htmx's hx-trigger spelling


def _facts_sql(vendor: str, keys: int) -> str:
    """One statement for the facts of `keys` (membership, session) pairs: a row each, led by the pair."""
    quote = connection.ops.quote_name
    table = {
        name: quote(model._meta.db_table)
        for name, model in {
            "membership": Membership,
            "lines": Membership.lines.through,
            "business": Business,
            "user": Membership.user.field.related_model,
            "conversation": Conversation,
            "event": ConversationEvent,
            "read": ConversationRead,
        }.items()
    }
    mark = "?" if vendor == "sqlite" else "%s"
    wanted = ", ".join([f"(CAST({mark} AS BIGINT), CAST({mark} AS VARCHAR(40)))"] * keys)
    # Each subquery is one index lookup: the session; the membership's lines (its through rows only ever
    # gain higher ids, so a count and the newest id tell any change); the business's newest message
    # (conversation_latest), newest event (conversation_event_latest) and the person's newest read mark
    # (read_mark_latest).
    return f"""WITH wanted (mid, skey) AS (VALUES {wanted})
    SELECT w.mid, w.skey,
        (SELECT 1 FROM {quote("django_session")} s WHERE s.session_key = w.skey AND s.expire_date > {mark}),
        m.user_id, m.business_id, m.role, m.alert_browser, b.time_zone, b.sla_amber_minutes,
        b.sla_red_minutes, u.password, u.is_active,
        (SELECT COUNT(*) FROM {table["lines"]} ml WHERE ml.membership_id = m.id),
        (SELECT MAX(ml.id) FROM {table["lines"]} ml WHERE ml.membership_id = m.id),
        (SELECT MAX(c.last_message_at) FROM {table["conversation"]} c WHERE c.business_id = m.business_id),
        (SELECT MAX(e.id) FROM {table["event"]} e WHERE e.business_id = m.business_id),
        (SELECT MAX(r.read_at) FROM {table["read"]} r WHERE r.user_id = m.user_id)
    FROM wanted w
    JOIN {table["membership"]} m ON m.id = w.mid
    JOIN {table["business"]} b ON b.id = m.business_id
    JOIN {table["user"]} u ON u.id = m.user_id"""


_sql: dict[tuple[str, int], str] = {}  # by database vendor and number of keys, made on first use


def facts(keys: list[Key], now: datetime | None = None) -> dict[Key, tuple]:
    """The row of facts each key's ETag stands for, in one statement (a key with no such membership has
    none). Through the DB-API cursor of this thread's Django connection: a poll is too small for
    Django's cursor wrappers to be cheap beside it."""
    vendor = connection.vendor
    sql = _sql.get((vendor, len(keys))) or _sql.setdefault((vendor, len(keys)), _facts_sql(vendor, len(keys)))
    params = [value for key in keys for value in key]
    params.append(connection.ops.adapt_datetimefield_value(now or timezone.now()))
    connection.ensure_connection()
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql, params)
        return {(row[0], row[1]): tuple(row[2:]) for row in cursor.fetchall()}
    except Exception:
        connection.errors_occurred = True  # Django checks the connection before its next request uses it
        raise
    finally:
        cursor.close()


def _mac(url: str, session_key: str, row: tuple | None) -> str:
    return hashlib.blake2b(repr((url, session_key, row)).encode(), key=_KEY, digest_size=16).hexdigest()


def etag(membership_id: int, session_key: str, url: str) -> str:
    """The ETag of the list at `url` (the live endpoint's path and query) as this session sees it now."""
    row = facts([(membership_id, session_key)]).get((membership_id, session_key))
    return f'"L1.{membership_id}.{_mac(url, session_key, row)}"'


@dataclass
class _Tab:
    row: tuple | None
    read_at: float  # when the row was read (time.monotonic(), taken before the statement)
    polled_at: float
    every: float  # seconds between this tab's polls, as they come

    def read_from(self, ahead: float) -> float:
        """When its row is to be read ahead: `ahead` seconds before its next poll."""
        return self.polled_at + self.every - ahead


class Watch:
    """The open tabs this process answers, with the facts of each read ahead of its next poll.

    Without read-ahead, each poll reads its own row: one statement per poll. With it (`textback serve`),
    a thread of the process reads the rows of the tabs whose next poll is due within AHEAD, all in one
    statement, and a poll uses a row read less than FRESH ago (else reads its own). A database woken once
    for many polls costs a fraction of one woken for each (PostgreSQL spends most of a poll's CPU waking
    up), and what a poll may miss is a change made in the last FRESH seconds: it shows at the next poll,
    POLL_SECONDS later. The thread reads at most every TICK and sleeps until the next tab is due: with
    many tabs open it wakes every TICK, with one or two a couple of times a poll, with none not at all."""

    TICK = 0.15
    AHEAD = 0.2
    FRESH = 0.35
    FORGET = 15.0  # a tab unheard of this long was closed

    def __init__(self, *, read_ahead: bool, fetch: Callable[[list[Key]], dict] = facts, clock=time.monotonic):
        self.read_ahead, self.fetch, self.clock = read_ahead, fetch, clock
        self.tabs: dict[Key, _Tab] = {}
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.next_tick = float("inf")  # the clock time the thread means to wake at
        self.woken = threading.Event()  # a poll due before next_tick sets it

    def row(self, key: Key) -> tuple | None:
        """The facts for a poll of `key` (raises when the database fails)."""
        if not self.read_ahead:
            return self.fetch([key]).get(key)
        now = self.clock()
        with self.lock:
            tab = self.tabs.get(key)
        if tab is not None and now - tab.read_at <= self.FRESH:
            row, read_at = tab.row, tab.read_at
        else:
            row, read_at = self.fetch([key]).get(key), now
        with self.lock:
            every = min(max(now - tab.polled_at, 0.5), 10.0) if tab is not None else POLL_SECONDS
            self.tabs[key] = tab = _Tab(row, read_at, now, every)
            sooner = tab.read_from(self.AHEAD) < self.next_tick
        if sooner:
            self.woken.set()
        self._start()
        return row

    def tick(self) -> int:
        """Read ahead the rows of the tabs due to poll soon, in one statement; forget closed tabs; set
        next_tick. How many rows it read."""
        now = self.clock()
        with self.lock:
            for key in [key for key, tab in self.tabs.items() if now - tab.polled_at > self.FORGET]:
                del self.tabs[key]
            due = [
                key
                for key, tab in self.tabs.items()
                if tab.read_at <= tab.polled_at and tab.read_from(self.AHEAD) <= now
            ]
        rows = self.fetch(due) if due else {}
        with self.lock:
            for key in due:
                if key in self.tabs:
                    self.tabs[key].row, self.tabs[key].read_at = rows.get(key), now
            waiting = [tab.read_from(self.AHEAD) for tab in self.tabs.values() if tab.read_at <= tab.polled_at]
            if not waiting:  # every row is read: wake to forget the first tab that stops polling
                waiting = [tab.polled_at + self.FORGET for tab in self.tabs.values()] or [float("inf")]
            self.next_tick = max(min(waiting), now + self.TICK)
        return len(due)

    def _start(self) -> None:
        if self.thread is None:
            with self.lock:
                if self.thread is None:
                    self.thread = threading.Thread(target=self._run, name="inbox-read-ahead", daemon=True)
                    self.thread.start()

    def _run(self) -> None:
        while True:
            wait = self.next_tick - self.clock()
            if wait > 0:
                self.woken.wait(None if wait == float("inf") else wait)
            self.woken.clear()
            try:
                self.tick()
            except Exception:
                log.exception("inbox polls: reading ahead failed; polls read their own rows meanwhile")
                connection.close()
                self.next_tick = self.clock() + 1.0


def still_current(environ: dict, watch: Watch) -> bool:
    """Whether the poll's If-None-Match is a token this session was given for this URL and the facts it
    stands for are unchanged (so a 304 is the right answer)."""
    token = TOKEN.fullmatch(environ.get("HTTP_IF_NONE_MATCH", "").strip())
    session_key = parse_cookie(environ.get("HTTP_COOKIE", "")).get(settings.SESSION_COOKIE_NAME, "")
    if token is None or not session_key or len(session_key) > 40:
        return False
    query = environ.get("QUERY_STRING", "")
    url = environ["PATH_INFO"] + (f"?{query}" if query else "")
    try:
        row = watch.row((int(token[1]), session_key))
    except Exception:
        return False  # Django's own path checks the connection and answers
    if row is None or row[0] is None:  # no such member, or the session is over
        return False
    return hmac.compare_digest(token[2], _mac(url, session_key, row))


def answer_unchanged_polls(application, *, read_ahead: bool = False):
    """Wrap the WSGI application: an inbox poll whose list is unchanged gets its 304 here."""
    watch = Watch(read_ahead=read_ahead)
    headers = [
        ("Cache-Control", "no-store"),
        ("Vary", "Cookie"),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
    ]

    def wrapped(environ, start_response):
        if (
            environ.get("REQUEST_METHOD") == "GET"
            and "HTTP_IF_NONE_MATCH" in environ
            and LIVE_PATH.match(environ.get("PATH_INFO", ""))
            and still_current(environ, watch)
        ):
            start_response("304 Not Modified", [("ETag", environ["HTTP_IF_NONE_MATCH"].strip()), *headers])
            return []
        return application(environ, start_response)

    wrapped.watch = watch
    return wrapped
