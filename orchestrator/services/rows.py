"""Writing many rows' changed fields at once, for the services that do (import, publish bookkeeping)."""

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
