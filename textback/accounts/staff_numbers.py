"""Which numbers are the business's own: the one rule for calls and texts.

A number is the business's own when it is one of its lines, a phone any of its lines rings (`forward_to`),
or a member's phone, verified or not. Such a number is never a customer: a call from it gets no
text-back and no missed-call alert (calls/decide.py, through messaging.caller_facts), and a text from it
never becomes a contact or a conversation (the SMS relay, alerts/relay.py, takes it). An unverified
member's phone counts too: it may well be a colleague's, so it is neither texted back nor relayed.

The rule is written once, as SQL: `staff_number()` asks it in one query, and `caller_facts` embeds the same
condition in its own single query so a missed call costs no extra round trip.
"""

import functools
from dataclasses import dataclass

from django.db import connection

from textback.lib import sql

_LINE = "EXISTS (SELECT 1 FROM providers_line sl WHERE sl.business_id = %s AND sl.number = %s)"
_MEMBER = "EXISTS (SELECT 1 FROM accounts_membership sm WHERE sm.business_id = %s AND sm.phone = %s)"


@functools.cache
def _ring_list(vendor: str) -> str:
    contains = (
        "sr.forward_to @> jsonb_build_array(%s::text)"
        if vendor == "postgresql"
        else "EXISTS (SELECT 1 FROM json_each(sr.forward_to) AS f WHERE f.value = %s)"
    )
    return f"EXISTS (SELECT 1 FROM providers_line sr WHERE sr.business_id = %s AND {contains})"


def own_number_sql(vendor: str) -> str:
    """The rule as one SQL condition, for a query that asks it among other things; its arguments are
    `own_number_args(business_id, number)`."""
    return f"({_LINE} OR {_ring_list(vendor)} OR {_MEMBER})"


def own_number_args(business_id: int, number: str) -> list:
    return [business_id, number] * 3


@dataclass(frozen=True)
class StaffNumber:
    """Why a number is the business's own (several may hold)."""

    line: bool  # one of the business's lines
    ring_list: bool  # a phone some line rings
    member_id: int | None  # the member whose phone it is
    verified: bool  # that member typed back the code texted to it


@functools.cache
def _staff_number_sql(vendor: str) -> str:
    return (
        f"SELECT {_LINE}, {_ring_list(vendor)}, sm.id, sm.phone_verified = sm.phone FROM (SELECT 1) AS one "
        "LEFT JOIN accounts_membership sm ON sm.business_id = %s AND sm.phone = %s"
    )


def staff_number(business_id: int, number: str) -> StaffNumber | None:
    """Why this number is the business's own, in one query; None when it is not (a customer, as far as
    textback knows)."""
    if not number:
        return None
    row = sql.fetchone(_staff_number_sql(connection.vendor), [business_id, number] * 3)
    line, ring_list, member_id, verified = row
    found = StaffNumber(sql.as_bool(line), sql.as_bool(ring_list), member_id, sql.as_bool(verified))
    return found if found.line or found.ring_list or found.member_id else None


def is_staff_number(business_id: int, number: str) -> bool:
    """True when the number is one of the business's lines, a phone a line rings, or a member's phone."""
    return staff_number(business_id, number) is not None
