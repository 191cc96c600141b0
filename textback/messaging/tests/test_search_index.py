"""The trigram indexes behind the inbox's search (migration 0005): always true to the names and texts,
used by the database, and taken out and put back cleanly."""

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from textback.accounts.models import Business
from textback.inbox import search
from textback.messaging.models import Contact, Conversation, Message
from textback.testing import a_missed_call, a_staff_reply, an_inbound_text

BEFORE, WITH = ("messaging", "0004_inbox_list_indexes"), ("messaging", "0005_text_search")


def only_on(vendor: str) -> None:
    if connection.vendor != vendor:
        pytest.skip(f"{vendor} only")


def fts5_agrees_with_its_table(table: str) -> None:
    """FTS5's own check, reading the table too (rank 1): raises when the index has drifted from the rows."""
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table}_search({table}_search, rank) VALUES ('integrity-check', 1)")


def fts5_is_whole(table: str) -> None:
    """FTS5's check of the index alone (an index of some of the table's rows cannot be held to all of them)."""
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table}_search({table}_search) VALUES ('integrity-check')")


def fts5_rows(table: str, column: str, text: str) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT rowid FROM {table}_search WHERE {column} LIKE %s ORDER BY rowid", [f"%{text}%"])
        return [pk for (pk,) in cursor.fetchall()]


@pytest.mark.django_db
def test_the_sqlite_index_follows_every_write_to_names_and_texts(alice, alpha, alpha_line):
    only_on("sqlite")
    first = an_inbound_text(alpha_line, "The boiler is leaking")
    other = an_inbound_text(alpha_line, "Is the boiler fixed?", caller="+15125550148")
    a_staff_reply(first.conversation, alice, "On our way")
    Contact.objects.filter(pk=first.contact_id).update(name="Jane Rodriguez")
    contact = Contact.objects.get(pk=first.contact_id)
    contact.name = "Jane Baker"
    contact.save()
    Message.objects.filter(pk=first.pk).update(body="The heater is leaking")
    first.refresh_from_db()
    first.status = "read"
    first.save()  # every column written again, the text unchanged
    Conversation.objects.filter(pk=other.conversation_id).delete()  # and its messages with it

    fts5_agrees_with_its_table("messaging_contact")
    fts5_is_whole("messaging_message")
    assert fts5_rows("messaging_contact", "name", "baker") == [contact.pk]
    assert fts5_rows("messaging_contact", "name", "rodriguez") == []
    assert fts5_rows("messaging_message", "body", "heater") == [first.pk]
    assert fts5_rows("messaging_message", "body", "boiler") == []
    reply = Message.objects.get(sender_kind=Message.STAFF)
    assert fts5_rows("messaging_message", "body", "our way") == [reply.pk]


@pytest.mark.django_db
def test_the_texts_textback_sends_by_itself_are_not_indexed_and_find_no_one(alice, alpha, alpha_line):
    missed = a_missed_call(alpha_line)  # its text-back: "…sorry we missed your call…"
    reply = an_inbound_text(alpha_line, "Sorry, wrong number")
    a_staff_reply(reply.conversation, alice, "No worries, sorry to bother you")

    assert Message.objects.filter(call=missed, body__icontains="missed your call").exists()
    assert list(Conversation.objects.filter(search.matching(alpha, "missed your call"))) == []
    assert list(Conversation.objects.filter(search.matching(alpha, "to bother"))) == [reply.conversation]
    assert list(Conversation.objects.filter(search.matching(alpha, "wrong number"))) == [reply.conversation]
    if connection.vendor == "sqlite":
        assert fts5_rows("messaging_message", "body", "missed your call") == []


@pytest.mark.django_db
def test_postgresql_answers_icontains_from_the_trigram_indexes(alpha):
    only_on("postgresql")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # the tables are tiny: ask whether the index can serve

    people_said = Message.objects.filter(body__icontains="leak").extra(where=[search.PEOPLES_TEXTS])
    assert "message_body_trigram" in people_said.explain()
    assert "contact_name_trigram" in Contact.objects.filter(name__icontains="rodri").explain()


SEARCH_INDEXES = {
    "sqlite": {
        f"messaging_{table}_search{part}"
        for table in ("contact", "message")
        for part in ("", "_insert", "_delete", "_update")
    },
    "postgresql": {"contact_name_trigram", "message_body_trigram"},
}


def search_indexes() -> set[str]:
    """The FTS5 tables (their shadow tables too) and triggers, or the GIN indexes, there are now."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE name LIKE %s", ["messaging_%_search%"])
        else:
            cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE %s", ["%_trigram"])
        return {name for (name,) in cursor.fetchall()}


@pytest.mark.django_db(transaction=True)
def test_the_search_indexes_come_out_and_go_back_in_with_the_texts_written_meanwhile(alpha_line):
    # Migration 0005 alone is taken out and put back: the later migrations stay, as the code writing meanwhile needs.
    loader = MigrationLoader(connection)
    migration = loader.get_migration(*WITH)
    with connection.schema_editor() as editor:
        migration.unapply(loader.project_state(WITH), editor)
    assert search_indexes() == set()
    written = an_inbound_text(alpha_line, "The boiler is leaking")

    with connection.schema_editor() as editor:
        migration.apply(loader.project_state(BEFORE), editor)

    assert SEARCH_INDEXES[connection.vendor] <= search_indexes()
    business = Business.objects.get(pk=alpha_line.business_id)
    assert list(Conversation.objects.filter(search.matching(business, "boiler"))) == [written.conversation]
