"""Reading HTTP response headers that other servers send us, which may hold anything."""

import math
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

MAX_WAIT = 3600.0  # no server makes a piece of work wait longer than an hour
_SECONDS = re.compile(r"-?[0-9]{1,12}(\.[0-9]{1,9})?")  # ASCII only: float() also reads "١٢", "1e5" and "inf"


def retry_after(header: str | None, now: datetime, cap: float = MAX_WAIT) -> float | None:
    """Seconds to wait from a Retry-After value: delay-seconds or an HTTP date (RFC 9110 §10.2.3), at most `cap`.

    None when there is none or it cannot be read ("²", "soon", "nan"); a date in the past, or a negative
    number, means 0. Fractions are read too, as some servers send them."""
    value = (header or "").strip()
    if not value:
        return None
    if _SECONDS.fullmatch(value):
        seconds = float(value)
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        seconds = ((when if when.tzinfo else when.replace(tzinfo=UTC)) - now).total_seconds()
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), cap)
