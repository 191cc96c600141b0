"""Log out of all sessions: every other browser signed in as this person is signed out.

Sessions live in Django's session table (the database backend), each holding the user's id, so ending
someone's other sessions is deleting their rows but the current one. This reads every live session
once, which is fine for a button pressed rarely; the table is only ever as big as the signed-in staff.
"""

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.utils import timezone


def do_log_out_other_sessions(user, keep: str | None) -> int:
    """Delete the user's sessions except `keep` (the current session's key); how many ended."""
    mine = str(user.pk)
    ended = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=timezone.now()).exclude(session_key=keep).iterator()
        if str(session.get_decoded().get(SESSION_KEY)) == mine
    ]
    Session.objects.filter(session_key__in=ended).delete()
    return len(ended)
