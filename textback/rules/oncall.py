"""Who is on call at a moment, in the order they are paged: a pure rule on the business's schedule.

A schedule is weekly slots in the business's time zone (Monday 17:00 - 08:00 Mike: a slot that ends
at or before its start runs past midnight, like opening hours, so DST moves it with the wall clock),
an ordered on-call list (the escalation order) and the owners, the final fallback. At a moment:

1. the people whose slot covers it, in the on-call list's order (people not on the list after them,
   in slot order);
2. then the rest of the on-call list, in its order;
3. then the owners not named yet.

Nobody appears twice. Paging (paging.py) pages these one step at a time; the owners left at the end
are paged together in one last step.
"""

from dataclasses import dataclass
from datetime import datetime, time

from textback.accounts.hours import Span, is_open


@dataclass(frozen=True)
class Slot:
    weekday: int  # 0 = Monday
    starts: time
    ends: time  # at or before `starts`: the slot runs past midnight into the next day
    person: int  # a membership id

    @property
    def span(self) -> Span:
        return Span(self.weekday, self.starts, self.ends)


@dataclass(frozen=True)
class Schedule:
    time_zone: str
    slots: tuple[Slot, ...] = ()
    order: tuple[int, ...] = ()  # the on-call list, first paged first
    owners: tuple[int, ...] = ()


def on_call(schedule: Schedule, at: datetime) -> list[int]:
    """Everyone who may be paged at `at`, first paged first (see the module's docstring)."""
    covering = [slot.person for slot in schedule.slots if is_open([slot.span], schedule.time_zone, at)]
    rank = {person: n for n, person in enumerate(schedule.order)}
    now_on = sorted(dict.fromkeys(covering), key=lambda p: (rank.get(p, len(rank)), covering.index(p)))
    return list(dict.fromkeys([*now_on, *schedule.order, *schedule.owners]))


def steps(people: list[int], owners: tuple[int, ...]) -> list[list[int]]:
    """The paging steps: one person each, except the owners at the end of the list, paged together."""
    tail = len(people)
    while tail > 0 and people[tail - 1] in owners:
        tail -= 1
    head = [[person] for person in people[:tail]]
    return head + ([people[tail:]] if people[tail:] else [])
