"""Trigram indexes for the inbox's search by contact name and by message text (textback/inbox/search.py).

PostgreSQL: the pg_trgm extension and GIN indexes on UPPER(name) and UPPER(body), the expressions Django's
`icontains` compares. SQLite: FTS5 tables with the trigram tokenizer over the same columns, with their
content in the tables themselves, kept in step by triggers (so in the transaction that writes the row).
Each part runs only on its own database; both undo cleanly.
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

# GIN takes new rows into a pending list that every search reads through and that the planner counts
# against the index (a full default 4 MB list on contacts made it read the whole table instead). Texts
# keep the list, small: a text costs the webhook about 30 µs of CPU that way, about 300 µs without it.
# Contacts, written once per new caller, go straight into the index.
POSTGRESQL_INDEXES = [
    "CREATE INDEX contact_name_trigram ON messaging_contact USING gin (UPPER(name) gin_trgm_ops)"
    " WITH (fastupdate = off)",
    "CREATE INDEX message_body_trigram ON messaging_message USING gin (UPPER(body) gin_trgm_ops)"
    " WITH (gin_pending_list_limit = 1024)",
]
POSTGRESQL_UNDO = ["DROP INDEX IF EXISTS message_body_trigram", "DROP INDEX IF EXISTS contact_name_trigram"]


def fts5_sql(table: str, column: str) -> tuple[list[str], list[str]]:
    """An FTS5 trigram index of one text column, kept by triggers, filled from the rows there are; and its undoing.

    detail=none and columnsize=0: the index holds which rows have each trigram and nothing else (no
    positions, no sizes): enough for LIKE, and the least work for each row written."""
    index = f"{table}_search"
    forward = [
        f"CREATE VIRTUAL TABLE {index} USING fts5({column}, content='{table}', content_rowid='id',"
        " tokenize='trigram', detail='none', columnsize=0)",
        f"CREATE TRIGGER {index}_insert AFTER INSERT ON {table} BEGIN"
        f" INSERT INTO {index}(rowid, {column}) VALUES (new.id, new.{column}); END",
        f"CREATE TRIGGER {index}_delete AFTER DELETE ON {table} BEGIN"
        f" INSERT INTO {index}({index}, rowid, {column}) VALUES ('delete', old.id, old.{column}); END",
        f"CREATE TRIGGER {index}_update AFTER UPDATE OF {column} ON {table}"
        f" WHEN old.{column} IS NOT new.{column} BEGIN"
        f" INSERT INTO {index}({index}, rowid, {column}) VALUES ('delete', old.id, old.{column});"
        f" INSERT INTO {index}(rowid, {column}) VALUES (new.id, new.{column}); END",
        f"INSERT INTO {index}({index}) VALUES ('rebuild')",
    ]
    backward = [f"DROP TRIGGER IF EXISTS {index}_{event}" for event in ("insert", "delete", "update")]
    return forward, [*backward, f"DROP TABLE IF EXISTS {index}"]


SQLITE_TABLES = [fts5_sql("messaging_contact", "name"), fts5_sql("messaging_message", "body")]


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
