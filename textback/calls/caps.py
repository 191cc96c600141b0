"""The caps on a business's automatic texts: the counters the text-back decision reads, and the owner's alert.

The decision reads the business's counters for this hour and this day in its one caller-facts query
(messaging/actions.py), so a cap costs no query per call; a text-back then adds one to both counters in
one statement, in the transaction that queues it. A call the cap stops adds one to that window's
`skipped`; the first one alerts the business's owners, once per window, on their email and verified
phone, whatever their quiet time (a flood on their account is worth waking for).

On PostgreSQL two calls deciding at the same moment both read the counter before either adds to it, so a
busy hour may end a few texts over its cap (at most the calls in flight at once), never far over.
"""

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils import timezone

from textback.accounts.models import AutoTextTally, Membership
from textback.calls import decide
from textback.lib import sql
from textback.rules import caps

TEXT_CAP = "text_cap"  # the Alert event

_COUNT_TEXT = """INSERT INTO accounts_autotexttally (business_id, period, starts_at, slot, texts, skipped)
    VALUES (%s, %s, %s, %s, 1, 0), (%s, %s, %s, %s, 1, 0)
    ON CONFLICT (business_id, period, starts_at, slot) DO UPDATE SET texts = accounts_autotexttally.texts + 1"""
# Skipped calls are counted in slot 0 alone: they are few (past the cap), and the first one alerts.
_COUNT_SKIP = """INSERT INTO accounts_autotexttally (business_id, period, starts_at, slot, texts, skipped)
    VALUES (%s, %s, %s, 0, 0, 1)
    ON CONFLICT (business_id, period, starts_at, slot) DO UPDATE SET skipped = accounts_autotexttally.skipped + 1
    RETURNING skipped"""


def windows_for(business) -> caps.Windows:
    return caps.windows(timezone.now(), business.time_zone)


def do_count_text(business, windows: caps.Windows, contact) -> None:
    """One more automatic text in this hour and this day (in the contact's slot)."""
    adapt = connection.ops.adapt_datetimefield_value
    b, slot = business.pk, contact.pk % AutoTextTally.SLOTS
    sql.execute(
        _COUNT_TEXT, [b, AutoTextTally.HOUR, adapt(windows.hour), slot, b, AutoTextTally.DAY, adapt(windows.day), slot]
    )


def do_count_skip(call, reason: str, windows: caps.Windows) -> None:
    """A call the cap stopped: counted in the cap's window, and the first one in it alerts the owners."""
    business = call.line.business
    hourly = reason == decide.HOURLY_CAP
    period, starts = (AutoTextTally.HOUR, windows.hour) if hourly else (AutoTextTally.DAY, windows.day)
    (skipped,) = sql.fetchone(_COUNT_SKIP, [business.pk, period, connection.ops.adapt_datetimefield_value(starts)])
    if caps.first_skip(int(skipped)):
        alert_owners(call, hourly, starts)


def alert_text(business, hourly: bool, until: str) -> str:
    cap = business.texts_per_hour if hourly else business.texts_per_day
    window = "this hour" if hourly else "today"
    return (
        f"textback: {business.name} reached its cap of {cap} automatic texts {window}. Missed calls are not "
        f"texted back until {until}; they still show in the inbox. Change the cap in Settings > Business profile."
    )


def alert_owners(call, hourly: bool, starts) -> int:
    """Queue one alert per owner per channel (the Alert's key makes a second one in the window a no-op)."""
    from textback.alerts import channels, recipients
    from textback.alerts.models import Alert

    business, line = call.line.business, call.line
    ends = starts + timedelta(hours=1) if hourly else caps.next_day(starts, business.time_zone)
    body = alert_text(business, hourly, ends.astimezone(ZoneInfo(business.time_zone)).strftime("%-I:%M %p"))
    subject = f"{business.name}: automatic texts paused by the {'hourly' if hourly else 'daily'} cap"
    owners = Membership.objects.filter(business=business, role=Membership.OWNER).select_related("user")
    count = 0
    for owner in owners.order_by("pk"):
        for channel in recipients.channels_for(owner):
            to = owner.user.email if channel == Alert.EMAIL else owner.phone
            key = f"cap:{business.pk}:{'h' if hourly else 'd'}:{starts.isoformat()}:{channel}:m{owner.pk}"
            channels.queue(
                business=business, event=TEXT_CAP, channel=channel, key=key, to=to, body=body, subject=subject,
                call=call, line=line, membership=owner,
            )  # fmt: skip
            count += 1
    return count
