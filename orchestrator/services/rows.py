"""Writing rows without the ORM's per-call overhead, for the services that write many (import, publish)."""

from functools import lru_cache

from django.db import connections, router


def update_rows(model, objs: list, fields: list[str]) -> None:
    """Write `fields` of each object to its row: one UPDATE statement, executed once per row.

    `bulk_update` builds a single UPDATE with a CASE WHEN per field and row
    (for the thousand steps of a 200-stage import almost a megabyte of SQL,
    which SQLite takes seconds to compile and Django seconds to build) inside
    a savepoint of its own. The same parameterised statement run with
    `executemany` is compiled once (psycopg pipelines it) and writes exactly
    the same values, in the caller's transaction. No signals, no `pre_save`:
    for rows whose fields are set by the caller.
    """
    if not objs:
        return
    connection = connections[router.db_for_write(model)]
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in columns)
    # Identifiers come from the model's own metadata; every value is a parameter.
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608
    rows = [
        [field.get_db_prep_save(getattr(obj, field.attname), connection) for field in columns] + [obj.pk]
        for obj in objs
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


@lru_cache(maxsize=32)
def _insert_statement(model, alias: str) -> tuple[str, tuple]:
    connection = connections[alias]
    meta = model._meta
    fields = tuple(f for f in meta.concrete_fields if not (f.primary_key and f.db_returning))
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    # Identifiers come from the model's own metadata; every value is a parameter.
    return f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({marks})", fields  # noqa: S608


def insert_row(obj) -> None:
    """INSERT `obj` as a new row: the statement is built once per model, not once per call.

    For rows written one at a time in a hot loop (a publish journals every
    HTTP attempt as it happens): `Model.objects.create` spends most of a
    millisecond building and compiling the same INSERT again. Field defaults
    and `auto_now_add` apply (`pre_save`); signals do not, and `obj.pk` stays
    unset. The statement runs in the caller's transaction.
    """
    model = type(obj)
    alias = router.db_for_write(model)
    connection = connections[alias]
    sql, fields = _insert_statement(model, alias)
    values = [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
