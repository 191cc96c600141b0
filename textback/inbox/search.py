"""The search of the lists: the search box and page link a list reads from its query string (the inbox, the
contacts: a value that cannot be used is reported on the page and left out, never an error), and the inbox
list's search by number, by a contact's name, by the words of the texts.

A query that looks like a phone number matches numbers only, in any formatting ("(512) 555-0147"
finds +15125550147; "0147" finds every number with it). Anything else matches a contact's name or
any text the caller or a member of staff wrote in the conversation, case-insensitively, anywhere in a
word ("rodri", "eater"), as Django's `icontains` does: the same lookup, made fast by trigram indexes
(messaging migration 0005). The automatic texts are left out: a text-back's words are said to every
caller, so they would find everyone.

- PostgreSQL: pg_trgm GIN indexes on UPPER(name) and UPPER(body), the very expressions `icontains`
  compares, so the planner uses them for the ORM's own lookup.
- SQLite: FTS5 tables with the trigram tokenizer over the same columns, kept by triggers in the
  transaction that writes the row. FTS5 answers `LIKE` from its index but takes no ESCAPE, so there
  "%" and "_" in the query are wildcards and find a few rows too many; the row's own `icontains`
  (LIKE … ESCAPE) then keeps them literal.

A trigram is three characters: a query of one or two characters cannot use the indexes, and searches
names only (the page says so); a business's contacts are few enough to read through.

The list is newest activity first, a page at a time, and a search must be fast both for a word in one
text of a thousand and for one in two conversations of three. So a search first asks the indexes for
the matching rows, up to FEW of them. When that is all, the page is those conversations, put in
order by the database (at most FEW rows to sort). When there are more, matches are common: the
list's own index walk, newest first, tests each conversation it passes (its contact, its texts) and
stops after a page ('leaking', in two conversations of three, about 80 conversations in). Either way
keyset pages (`before`) stay exact. The slowest searches are for a word in a little more than FEW
texts, or said again and again in a thousand or two conversations: the walk then passes a few
thousand conversations (about 50 ms among 100,000 on a busy 2-core machine).
"""

import re
from dataclasses import dataclass, field

from django import forms
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet, Value

from textback.accounts.plain_forms import PlainWords
from textback.lib import phone, sql
from textback.messaging.models import Contact, Message

TRIGRAM = 3  # characters in a row that the indexes can look up
FEW = 3000  # matching rows the indexes hand over at most; beyond, the list's walk tests each conversation
NUMBER_LIKE = re.compile(r"[\d\s()+.\-]+")


def digits_of(text: str) -> str:
    return re.sub(r"\D", "", text)


def is_number(q: str) -> bool:
    return len(digits_of(q)) >= 3 and NUMBER_LIKE.fullmatch(q) is not None


def uses_trigrams(q: str) -> bool:
    """Three characters in a row that are not a LIKE wildcard (which SQLite's FTS5 reads as one)."""
    return any(len(run) >= TRIGRAM for run in re.split(r"[%_]", q))


def names_only(q: str) -> bool:
    """Too short to search the texts (the page says so); names still match."""
    q = q.strip()
    return bool(q) and not is_number(q) and not uses_trigrams(q)


def matching(business, q: str) -> Q:
    """The condition a conversation of the business meets when it matches the query."""
    q = q.strip()
    if is_number(q):
        contacts, test = _numbered(business, q)
        found = Found(contacts=_first(contacts.values_list("pk", flat=True)))
    elif not uses_trigrams(q):  # names only: a business's contacts are short rows, read through
        contacts = Contact.objects.filter(business=business, name__icontains=q)
        found, test = Found(contacts=_first(contacts.values_list("pk", flat=True))), Q(contact__name__icontains=q)
    else:
        found = _named_or_said(business, q)
        test = Q(contact__name__icontains=q) | Exists(
            Message.objects.filter(conversation_id=OuterRef("pk"), body__icontains=q, sender_kind__in=Message.PEOPLE)
        )
    if len(found.contacts) + len(found.conversations) > FEW:
        return test
    return Q(contact_id__in=set(found.contacts)) | Q(pk__in=set(found.conversations))


@dataclass
class Found:
    """What the indexes handed over: contacts that match (their conversations do) and conversations with a
    matching text (once per text); at most FEW + 1 in all."""

    contacts: list[int] = field(default_factory=list)
    conversations: list[int] = field(default_factory=list)


def _first(ids) -> list[int]:
    return list(ids[: FEW + 1])


def _numbered(business, q: str) -> tuple[QuerySet, Q]:
    """The business's contacts with the number (all of it, or these digits in it), and the same test for
    a conversation."""
    digits = digits_of(q)
    e164 = phone.facts(q, business.country).e164 if len(digits) >= 10 else ""
    lookup = {"number": e164} if e164 else {"number__contains": digits}
    contacts = Contact.objects.filter(business=business, **lookup)
    return contacts, Q(**{f"contact__{name}": value for name, value in lookup.items()})


def _named_or_said(business, q: str) -> Found:
    """The business's contacts whose name contains q and the conversations with a text that does, through
    the trigram indexes, in one statement."""
    if connection.vendor == "sqlite":
        like = f"%{connection.ops.prep_for_like_query(q)}%"
        rows = sql.fetchall(SQLITE_NAMED_OR_SAID, [f"%{q}%", business.pk, like] * 2 + [FEW + 1])
    else:
        named = Contact.objects.filter(business=business, name__icontains=q).values_list(Value(NAMED), "pk")
        # The index holds people's texts only: its condition written out, so every plan can use it.
        said = Message.objects.filter(business=business, body__icontains=q).extra(where=[PEOPLES_TEXTS])
        rows = named.union(said.values_list(Value(SAID), "conversation_id"), all=True)[: FEW + 1]
    found = Found()
    for kind, pk in rows:
        (found.contacts if kind == NAMED else found.conversations).append(pk)
    return found


NAMED, SAID = 0, 1
PEOPLES_TEXTS = "sender_kind IN ('contact', 'staff')"  # Message.PEOPLE, as the index's condition says it
# FTS5 answers `LIKE` from its trigrams, reading rows in index order, so with CROSS JOIN (SQLite's
# way to fix the loop order) the LIMIT stops the reading. Its LIKE takes no ESCAPE: "%" and "_" in q
# are wildcards there and let a few rows too many through, which the row's own LIKE … ESCAPE (what
# `icontains` says on SQLite) turns away.
SQLITE_NAMED_OR_SAID = f"""
SELECT {NAMED}, k.id FROM messaging_contact_search s
  CROSS JOIN messaging_contact k ON k.id = s.rowid
  WHERE s.name LIKE %s AND k.business_id = %s AND k.name LIKE %s ESCAPE '\\'
UNION ALL
SELECT {SAID}, m.conversation_id FROM messaging_message_search s
  CROSS JOIN messaging_message m ON m.id = s.rowid
  WHERE s.body LIKE %s AND m.business_id = %s AND m.body LIKE %s ESCAPE '\\' AND {PEOPLES_TEXTS}
LIMIT %s
"""


class SearchBox(PlainWords, forms.Form):
    q = forms.CharField(
        label="Search",
        max_length=100,
        required=False,
        error_messages={"max_length": "Search for at most 100 characters."},
    )
    before = forms.CharField(label="Page link", required=False)

    def clean_q(self) -> str:
        return self.cleaned_data["q"].strip()

    def problems(self) -> list[str]:
        """What the page says about the values it left out."""
        return [error for errors in self.errors.values() for error in errors]
