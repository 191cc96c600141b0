"""The inbox list's live poll, answered before Django when nothing changed.

An open inbox tab asks `b/<slug>/live` every 2 s with the ETag of the list it shows, and nearly every
answer is "304, nothing changed". Through Django that answer costs about 3 ms of CPU (the session, the
user, the membership and a dozen middleware), so 100 open tabs would keep 16 % of a core busy doing
nothing. Here the ETag is a token only the server can make: an HMAC over the session it was shown to,
the list's URL and one row of facts (`STATE_SQL`) that changes whenever the list might: the session
still signed in, the user's password hash and active flag, the membership's role, lines and alert
choice, the business's time zone and SLA thresholds, and the newest message, timeline event and read
mark. `answer_unchanged_polls` wraps the WSGI application: for a poll whose token still matches that
row it answers 304 at once; anything else (a change, a signed-out or foreign session, a removed member,
a token it cannot read, a database error) goes on to Django, which checks everything and answers.

What the shortcut can reveal is only "what you were shown is still current", and only to the session
it was shown to while that session is signed in and its person still a member.
"""

import hashlib
import hmac
import re
from datetime import datetime

from django.conf import settings
from django.db import DatabaseError, connection
from django.http.cookie import parse_cookie
from django.utils import timezone

from textback.accounts.models import Business, Membership
from textback.messaging.models import Conversation, ConversationEvent, ConversationRead

LIVE_PATH = re.compile(r"/b/[-\w]+/live\Z", re.ASCII)
TOKEN = re.compile(r'(?:W/)?"L1\.(\d{1,18})\.([0-9a-f]{32})"', re.ASCII)
_KEY = hashlib.blake2b(b"textback.inbox.live " + settings.SECRET_KEY.encode(), digest_size=32).digest()


def _state_sql() -> str:
    table = {
        name: connection.ops.quote_name(model._meta.db_table)
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
    session = connection.ops.quote_name("django_session")
    # Each subquery is one index lookup: the membership's lines (its through rows only ever gain
    # higher ids, so a count and the newest id tell any change), and the business's newest message
    # (conversation_latest), newest event (conversation_event_latest) and the person's newest read
    # mark (read_mark_latest).
    return f"""SELECT m.user_id, m.business_id, m.role, m.alert_browser, b.time_zone, b.sla_amber_minutes,
        b.sla_red_minutes, u.password, u.is_active,
        (SELECT 1 FROM {session} s WHERE s.session_key = %s AND s.expire_date > %s),
        (SELECT COUNT(*) FROM {table["lines"]} ml WHERE ml.membership_id = m.id),
        (SELECT MAX(ml.id) FROM {table["lines"]} ml WHERE ml.membership_id = m.id),
        (SELECT MAX(c.last_message_at) FROM {table["conversation"]} c WHERE c.business_id = m.business_id),
        (SELECT MAX(e.id) FROM {table["event"]} e WHERE e.business_id = m.business_id),
        (SELECT MAX(r.read_at) FROM {table["read"]} r WHERE r.user_id = m.user_id)
    FROM {table["membership"]} m
    JOIN {table["business"]} b ON b.id = m.business_id
    JOIN {table["user"]} u ON u.id = m.user_id
    WHERE m.id = %s"""


_sql: dict[str, str] = {}  # by database vendor, made on first use (the app registry is ready by then)


def state(membership_id: int, session_key: str, now: datetime | None = None) -> tuple | None:
    """The row of facts the list's ETag stands for; None when there is no such membership."""
    sql = _sql.get(connection.vendor) or _sql.setdefault(connection.vendor, _state_sql())
    with connection.cursor() as cursor:
        cursor.execute(sql, [session_key, now or timezone.now(), membership_id])
        return cursor.fetchone()


def _mac(url: str, session_key: str, row: tuple) -> str:
    return hmac.new(_KEY, repr((url, session_key, row)).encode(), "blake2b").hexdigest()[:32]


def etag(membership_id: int, session_key: str, url: str) -> str:
    """The ETag of the list at `url` (the live endpoint's path and query) as this session sees it now."""
    row = state(membership_id, session_key)
    return f'"L1.{membership_id}.{_mac(url, session_key, row)}"'


def still_current(environ: dict) -> bool:
    """Whether the poll's If-None-Match is a token this session was given for this URL and the facts it
    stands for are unchanged (so a 304 is the right answer)."""
    token = TOKEN.fullmatch(environ.get("HTTP_IF_NONE_MATCH", "").strip())
    session_key = parse_cookie(environ.get("HTTP_COOKIE", "")).get(settings.SESSION_COOKIE_NAME, "")
    if token is None or not session_key or len(session_key) > 40:
        return False
    query = environ.get("QUERY_STRING", "")
    url = environ["PATH_INFO"] + (f"?{query}" if query else "")
    try:
        row = state(int(token[1]), session_key)
    except DatabaseError:
        return False  # Django's own path notices a broken connection and reconnects
    if row is None or row[9] is None:  # no such member, or the session is over
        return False
    return hmac.compare_digest(token[2], _mac(url, session_key, row))


def answer_unchanged_polls(application):
    """Wrap the WSGI application: an inbox poll whose list is unchanged gets its 304 here."""
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
            and still_current(environ)
        ):
            start_response("304 Not Modified", [("ETag", environ["HTTP_IF_NONE_MATCH"].strip()), *headers])
            return []
        return application(environ, start_response)

    return wrapped
