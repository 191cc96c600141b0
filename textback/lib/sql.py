"""A narrow SQL layer for the hot path: one missed call → one text (ARCHITECTURE §5).

Building a query through the ORM costs more CPU than the database spends running it, and a
missed call writes half a dozen rows. These helpers write one row per statement, with statements
built once per process from the models' own metadata and values adapted by the models' own
fields, so they stay correct when a column changes. They speak the SQL that PostgreSQL and SQLite
(3.35+) share: `INSERT … ON CONFLICT … DO NOTHING | DO UPDATE … RETURNING`, which also replaces the
savepoint + IntegrityError dance of get_or_create.

Everything else stays on the ORM.
"""

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from functools import cache

from django.db import connection
from django.db.models import Model
from django.utils.dateparse import parse_datetime


@cache
def _columns(model: type[Model], names: tuple[str, ...]) -> tuple:
    """(db columns, fields) for field names or attnames ("business" or "business_id")."""
    fields = tuple(model._meta.get_field(name) for name in names)
    return tuple(f.column for f in fields), fields


@cache
def _insert_sql(vendor: str, model: type[Model], names: tuple, conflict: tuple, update: tuple, returning: tuple) -> str:
    quote = connection.ops.quote_name
    columns, _ = _columns(model, names)
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    if conflict:
        target = ", ".join(quote(c) for c in _columns(model, conflict)[0])
        if update:
            sets = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in _columns(model, update)[0])
            sql += f" ON CONFLICT ({target}) DO UPDATE SET {sets}"
        else:
            sql += f" ON CONFLICT ({target}) DO NOTHING"
    if returning:
        sql += " RETURNING " + ", ".join(quote(c) for c in _columns(model, returning)[0])
    return sql


def params(model: type[Model], values: dict) -> list:
    """The values as the database takes them, adapted by each field (JSON, UUID, datetimes on SQLite…);
    a related object stands for its primary key."""
    _, fields = _columns(model, tuple(values))
    return [
        field.get_db_prep_save(value.pk if isinstance(value, Model) else value, connection)
        for field, value in zip(fields, values.values(), strict=True)
    ]


def insert(
    model: type[Model],
    values: dict,
    *,
    conflict: Sequence[str] = (),
    update: Sequence[str] = (),
    returning: Sequence[str] = ("id",),
) -> tuple | None:
    """INSERT one row and return its `returning` columns.

    With `conflict` (the fields of a unique constraint) an existing row is left alone (None is
    returned), or, with `update`, those fields are set to the new values and the existing row is
    returned — on PostgreSQL that also locks it for the rest of the transaction, like SELECT … FOR UPDATE.
    """
    sql = _insert_sql(connection.vendor, model, tuple(values), tuple(conflict), tuple(update), tuple(returning))
    with connection.cursor() as cursor:
        cursor.execute(sql, params(model, values))
        return cursor.fetchone() if returning else None


def execute(sql: str, args: Iterable = ()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(args))


def fetchone(sql: str, args: Iterable = ()) -> tuple | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(args))
        return cursor.fetchone()


def as_datetime(value) -> datetime | None:
    """A timestamp read by raw SQL: PostgreSQL gives aware datetimes, SQLite gives text in UTC."""
    if value is None or isinstance(value, datetime):
        return value
    parsed = parse_datetime(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def as_bool(value) -> bool:
    return bool(value)  # SQLite answers 0/1


def built(model: type[Model], pk: int, values: dict) -> Model:
    """A model instance for a row just written by `insert`, without reading it back."""
    instance = model(pk=pk, **values)
    instance._state.adding = False
    instance._state.db = connection.alias
    return instance


@cache
def _update_sql(vendor: str, model: type[Model], names: tuple) -> str:
    quote = connection.ops.quote_name
    columns, _ = _columns(model, names)
    sets = ", ".join(f"{quote(c)} = %s" for c in columns)
    return f"UPDATE {quote(model._meta.db_table)} SET {sets} WHERE {quote(model._meta.pk.column)} = %s"


def update(model: type[Model], pk: int, values: dict) -> None:
    """UPDATE one row by primary key."""
    execute(_update_sql(connection.vendor, model, tuple(values)), [*params(model, values), pk])
