"""Trigram indexes for the inbox's search by contact name and by message text (textback/inbox/search.py).

PostgreSQL: the pg_trgm extension and GIN indexes on UPPER(name) and UPPER(body), the expressions Django's
`icontains` compares. SQLite: FTS5 tables with the trigram tokenizer over the same columns, with their
content in the tables themselves, kept in step by triggers (so in the transaction that writes the row).
Each part runs only on its own database; both undo cleanly.

Only the texts people wrote (a caller's, a member of staff's) are indexed, never the automatic ones:
a text-back says the same words to every caller, so finding them would find everyone, and leaving them
out keeps the index's upkeep off the missed call's path (the text-back's insert, and its update when
sent, which PostgreSQL cannot make in place once the provider's id is indexed).
"""

import sqlite3

from django.core.management.base import CommandError
from django.db import DatabaseError, migrations

TRIGRAM_EXTENSION_HELP = (
    "textback's search needs the PostgreSQL extension pg_trgm, and the database user may not create it. "
    "Ask whoever administers the database to run, once, in this database: CREATE EXTENSION pg_trgm; "
    "then run `textback migrate` again."
)

FTS5_HELP = (
    "textback's search needs SQLite 3.34 or newer with FTS5 (its trigram tokenizer); this Python's SQLite is {}. "
    "Use a Python whose sqlite3 module has it (python.org's builds and current distributions do), or PostgreSQL."
)

# The texts people wrote (Message.CONTACT, Message.STAFF); written out, as a partial index needs.
PEOPLES_TEXTS = "{row}sender_kind IN ('contact', 'staff')"

# GIN takes new rows into a pending list that every search reads through and that the planner counts
# against the index (a full default 4 MB list on contacts made it read the whole table instead). Texts
# keep the list, small: a text costs the webhook about 30 µs of CPU that way, about 300 µs without it.
# Contacts, written once per new caller, go straight into the index.
POSTGRESQL_INDEXES = [
    "CREATE INDEX contact_name_trigram ON messaging_contact USING gin (UPPER(name) gin_trgm_ops)"
    " WITH (fastupdate = off)",
    "CREATE INDEX message_body_trigram ON messaging_message USING gin (UPPER(body) gin_trgm_ops)"
    f" WITH (gin_pending_list_limit = 1024) WHERE {PEOPLES_TEXTS.format(row='')}",
]
POSTGRESQL_UNDO = ["DROP INDEX IF EXISTS message_body_trigram", "DROP INDEX IF EXISTS contact_name_trigram"]


def fts5_sql(table: str, column: str, only: str = "") -> tuple[list[str], list[str]]:
    """An FTS5 trigram index of one text column, kept by triggers, filled from the rows there are; and its undoing.
    `only` limits it to the rows that meet a condition (written with `{row}` before each column).

    detail=none and columnsize=0: the index holds which rows have each trigram and nothing else (no
    positions, no sizes): enough for LIKE, and the least work for each row written. An index of some
    rows only is never rebuilt from its table (FTS5's 'rebuild' would take them all): it is filled, and
    each trigger writes a row's entry only when the row meets the condition."""
    index = f"{table}_search"

    def of(row: str) -> str:
        return f" WHERE {only.format(row=row)}" if only else ""

    def add(row: str) -> str:
        return f"INSERT INTO {index}(rowid, {column}) SELECT {row}.id, {row}.{column}{of(row + '.')};"

    def remove(row: str) -> str:
        return (
            f"INSERT INTO {index}({index}, rowid, {column}) SELECT 'delete', {row}.id, {row}.{column}{of(row + '.')};"
        )

    forward = [
        f"CREATE VIRTUAL TABLE {index} USING fts5({column}, content='{table}', content_rowid='id',"
        " tokenize='trigram', detail='none', columnsize=0)",
        f"CREATE TRIGGER {index}_insert AFTER INSERT ON {table} BEGIN {add('new')} END",
        f"CREATE TRIGGER {index}_delete AFTER DELETE ON {table} BEGIN {remove('old')} END",
        f"CREATE TRIGGER {index}_update AFTER UPDATE OF {column} ON {table}"
        f" WHEN old.{column} IS NOT new.{column} BEGIN {remove('old')} {add('new')} END",
        f"INSERT INTO {index}(rowid, {column}) SELECT id, {column} FROM {table}{of('')}",
    ]
    backward = [f"DROP TRIGGER IF EXISTS {index}_{event}" for event in ("insert", "delete", "update")]
    return forward, [*backward, f"DROP TABLE IF EXISTS {index}"]


SQLITE_TABLES = [fts5_sql("messaging_contact", "name"), fts5_sql("messaging_message", "body", only=PEOPLES_TEXTS)]


def run(schema_editor, statements: list[str]) -> None:
    for statement in statements:
        schema_editor.execute(statement)


def create_trigram_extension(schema_editor) -> None:
    """pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner, or anyone who may CREATE in it,
    can add it, and anyone can go on once it is there. Otherwise the migration stops and says what to ask for."""
    try:
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as error:  # the server's message names the missing right; ours says what to do
        raise CommandError(f"{TRIGRAM_EXTENSION_HELP}\n({error})") from error  # `migrate` prints just that


def check_fts5_trigram(schema_editor) -> None:
    try:
        schema_editor.execute("CREATE VIRTUAL TABLE temp.fts5_trigram_probe USING fts5(text, tokenize='trigram')")
        schema_editor.execute("DROP TABLE temp.fts5_trigram_probe")
    except DatabaseError as error:
        raise CommandError(f"{FTS5_HELP.format(sqlite3.sqlite_version)}\n({error})") from error


def forward(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        create_trigram_extension(schema_editor)
        run(schema_editor, POSTGRESQL_INDEXES)
    elif vendor == "sqlite":
        check_fts5_trigram(schema_editor)
        for statements, _ in SQLITE_TABLES:
            run(schema_editor, statements)


def backward(apps, schema_editor) -> None:
    """Drops the indexes; the extension stays (other things in the database may use it)."""
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        run(schema_editor, POSTGRESQL_UNDO)
    elif vendor == "sqlite":
        for _, statements in reversed(SQLITE_TABLES):
            run(schema_editor, statements)


class Migration(migrations.Migration):
    dependencies = [("messaging", "0004_inbox_list_indexes")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
