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

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model
from django.utils.dateparse import parse_datetime


@cache
def _columns(model: type[Model], names: tuple[str, ...]) -> tuple:
    """(db columns, fields) for field names or attnames ("business" or "business_id")."""
    fields = tuple(model._meta.get_field(name) for name in names)
    return tuple(f.column for f in fields), fields


def _quote(name: str) -> str:
    return connections[DEFAULT_DB_ALIAS].ops.quote_name(name)


@cache
def _insert_sql(vendor: str, model: type[Model], names: tuple, conflict: tuple, update: tuple, returning: tuple) -> str:
    quote = _quote
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


def _adapter(field, vendor: str):
    """How a value of this field reaches the database: as it is where the driver takes it (text, numbers and
    booleans, which the hot path writes with the right type; datetimes and UUIDs on PostgreSQL), through the
    field itself for the rest (JSON; datetimes and UUIDs as SQLite stores them). Called as adapt(value, db)."""
    kind = field.get_internal_type()
    if kind in _AS_IS or (vendor == "postgresql" and kind in _NATIVE_ON_POSTGRESQL):
        return None
    if field.is_relation:
        return _pk
    return field.get_db_prep_save


def _pk(value, db):
    return value.pk if isinstance(value, Model) else value


_AS_IS = frozenset(
    {"CharField", "TextField", "SlugField", "BooleanField", "IntegerField", "BigIntegerField", "SmallIntegerField",
     "PositiveIntegerField", "PositiveSmallIntegerField", "AutoField", "BigAutoField"}
)  # fmt: skip
_NATIVE_ON_POSTGRESQL = frozenset({"DateTimeField", "UUIDField"})  # psycopg adapts them, as Django's backend would


@cache
def _adapters(model: type[Model], names: tuple[str, ...], vendor: str) -> tuple:
    return tuple(_adapter(field, vendor) for field in _columns(model, names)[1])


def params(model: type[Model], values: dict, db=None) -> list:
    """The values as the database takes them, adapted by each field (JSON, UUID, datetimes on SQLite…);
    a related object stands for its primary key."""
    db = db or connections[DEFAULT_DB_ALIAS]
    adapters = _adapters(model, tuple(values), db.vendor)
    return [
        value if adapt is None else adapt(value, db) for adapt, value in zip(adapters, values.values(), strict=True)
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
    db = connections[DEFAULT_DB_ALIAS]
    sql = _insert_sql(db.vendor, model, tuple(values), tuple(conflict), tuple(update), tuple(returning))
    with db.cursor() as cursor:
        cursor.execute(sql, params(model, values, db))
        return cursor.fetchone() if returning else None


def execute(sql: str, args: Iterable = ()) -> None:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(sql, list(args))


def fetchall(sql: str, args: Iterable = ()) -> list[tuple]:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(sql, list(args))
        return cursor.fetchall()


def placeholders(values: Sequence) -> str:
    """ "%s, %s, …" for an IN list of these values."""
    return ", ".join(["%s"] * len(values))


def fetchone(sql: str, args: Iterable = ()) -> tuple | None:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(sql, list(args))
        return cursor.fetchone()


def as_datetime(value) -> datetime | None:
    """A timestamp read by raw SQL: PostgreSQL gives aware datetimes, SQLite text or naive datetimes in UTC."""
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else parse_datetime(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def as_bool(value) -> bool:
    return bool(value)  # SQLite answers 0/1


def built(model: type[Model], pk: int, values: dict) -> Model:
    """A model instance for a row just written by `insert`, without reading it back."""
    instance = model(pk=pk, **values)
    instance._state.adding = False
    instance._state.db = DEFAULT_DB_ALIAS
    return instance


@cache
def _update_sql(vendor: str, model: type[Model], names: tuple) -> str:
    quote = _quote
    columns, _ = _columns(model, names)
    sets = ", ".join(f"{quote(c)} = %s" for c in columns)
    return f"UPDATE {quote(model._meta.db_table)} SET {sets} WHERE {quote(model._meta.pk.column)} = %s"


def update(model: type[Model], pk: int, values: dict) -> None:
    """UPDATE one row by primary key."""
    db = connections[DEFAULT_DB_ALIAS]
    execute(_update_sql(db.vendor, model, tuple(values)), [*params(model, values, db), pk])


@cache
def _joined_sql(vendor: str, model: type[Model], related: tuple[str, ...], where: tuple[str, ...]) -> tuple:
    """SELECT every column of `model` and of the rows its `related` foreign keys point to."""
    quote = _quote
    tables = [(model, "t0", None)] + [
        (model._meta.get_field(name).related_model, f"t{i}", name) for i, name in enumerate(related, 1)
    ]
    columns = ", ".join(f"{alias}.{quote(f.column)}" for m, alias, _ in tables for f in m._meta.concrete_fields)
    joins = " ".join(
        f"JOIN {quote(m._meta.db_table)} {alias} ON {alias}.{quote(m._meta.pk.column)} = "
        f"t0.{quote(model._meta.get_field(name).column)}"
        for m, alias, name in tables[1:]
    )
    aliases = {name: alias for _, alias, name in tables[1:]}
    conditions = []
    for key in where:
        relation, _, name = key.rpartition("__")
        target = model._meta.get_field(relation).related_model if relation else model
        conditions.append(f"{aliases.get(relation, 't0')}.{quote(target._meta.get_field(name).column)} = %s")
    sql = f"SELECT {columns} FROM {quote(model._meta.db_table)} t0 {joins} WHERE {' AND '.join(conditions)}"
    return sql, tables


def get_with(model: type[Model], related: Sequence[str], **where) -> Model | None:
    """The one row of `model` matching `where` (field=value, or relation__field=value), with the rows its
    `related` foreign keys point to already attached, as select_related() would: one statement, built once."""
    db = connections[DEFAULT_DB_ALIAS]
    sql, tables = _joined_sql(db.vendor, model, tuple(related), tuple(where))
    with db.cursor() as cursor:
        cursor.execute(sql, list(where.values()))
        row = cursor.fetchone()
    if row is None:
        return None
    instances, start = [], 0
    for table_model, _, _ in tables:
        width = len(table_model._meta.concrete_fields)
        instances.append(instance_from(table_model, row[start : start + width], db))
        start += width
    for (_, _, name), instance in zip(tables[1:], instances[1:], strict=True):
        model._meta.get_field(name).set_cached_value(instances[0], instance)
    return instances[0]


def columns_of(model: type[Model], alias: str = "") -> str:
    """Every column of the model, in field order, for a SELECT or RETURNING whose rows `instance_from` reads."""
    prefix = f"{alias}." if alias else ""
    return ", ".join(f"{prefix}{_quote(f.column)}" for f in model._meta.concrete_fields)


def instance_from(model: type[Model], row: Sequence, db=None) -> Model:
    """A model instance from a raw row of all its columns (`columns_of`), converted as the ORM would."""
    db = db or connections[DEFAULT_DB_ALIAS]
    fields = model._meta.concrete_fields
    values = [_from_db(f, v, db) for f, v in zip(fields, row, strict=True)]
    return model.from_db(DEFAULT_DB_ALIAS, [f.attname for f in fields], values)


def _from_db(field, value, db):
    """What the ORM's converters would make of a raw value (SQLite's text timestamps and 0/1 booleans, JSON…)."""
    for converter in _converters(field, db.vendor):
        value = converter(value, field, db)
    return value


@cache
def _converters(field, vendor: str) -> tuple:
    db = connections[DEFAULT_DB_ALIAS]
    return (*db.ops.get_db_converters(field.get_col("t")), *field.get_db_converters(db))
