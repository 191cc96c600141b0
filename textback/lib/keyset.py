"""Keyset pages, newest first, over (a timestamp column, id): the cursor a page link carries, and the page that
starts below it. A deep page costs what the first one does, unlike OFFSET, and a row written meanwhile does not
shift the next page."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Q, QuerySet

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: the last row's timestamp and id (the next page starts below it)."""

    at: datetime
    pk: int

    def encode(self) -> str:
        return f"{(self.at - EPOCH) // timedelta(microseconds=1)},{self.pk}"

    @classmethod
    def parse(cls, text: str) -> "Cursor | None":
        """The cursor of a page link; None for anything else (a link cut short, typed by hand)."""
        match = re.fullmatch(r"([0-9]{1,17}),([0-9]{1,18})", text or "")  # ASCII: \d would take "١٢" too
        if not match:
            return None
        return cls(EPOCH + timedelta(microseconds=int(match[1])), int(match[2]))

    def older(self, column: str) -> Q:
        """The rows after this cursor in (column, id) descending order. `<=` on the leading column lets both
        databases seek in an index on it; the OR only trims the tie."""
        return Q(**{f"{column}__lte": self.at}) & (Q(**{f"{column}__lt": self.at}) | Q(pk__lt=self.pk))


def page(rows: QuerySet, column: str, before: Cursor | None, size: int) -> tuple[list, Cursor | None]:
    """Up to `size` rows, newest `column` first, below `before`; and the cursor of the next page, if there is one."""
    if before is not None:
        rows = rows.filter(before.older(column))
    found = list(rows.order_by(f"-{column}", "-pk")[: size + 1])
    if len(found) <= size:
        return found, None
    found = found[:size]
    return found, Cursor(getattr(found[-1], column), found[-1].pk)
