"""A list of literal rows as a table to join against, for queries that probe an index
once per exact key (a (trigger, visitor) pair, say) instead of crossing one IN list with
another, which probes every combination."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection

# Rows per statement: SQLite caps the number of placeholders of one statement.
CHUNK_ROWS = 500


def rows_source(
    rows: Sequence[Sequence[Any]], columns: Sequence[tuple[str, str]], alias: str
) -> tuple[str, list[Any]]:
    """SQL for `rows` as a table `alias` with `columns` ((name, PostgreSQL type) pairs),
    and its parameters: one array per column on PostgreSQL (any number of rows, one
    placeholder each), a VALUES list elsewhere."""
    names = ", ".join(name for name, _ in columns)
    if connection.vendor == "postgresql":
        arrays = [[row[n] for row in rows] for n in range(len(columns))]
        unnest = ", ".join(f"%s::{pg_type}[]" for _, pg_type in columns)
        return f"unnest({unnest}) AS {alias}({names})", arrays
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    instants: dict[datetime, Any] = {}  # rows share a few instants: adapt each once

    def adapt(value: Any) -> Any:
        if not isinstance(value, datetime):
            return value
        if value not in instants:
            instants[value] = connection.ops.adapt_datetimefield_value(value)
        return instants[value]

    adapted = [[adapt(value) for value in row] for row in rows]
    values = ", ".join([placeholders] * len(rows))
    # A derived table, so its columns can be named the same way on every vendor.
    select = ", ".join(f"column{n + 1} AS {name}" for n, (name, _) in enumerate(columns))
    sql = f"(SELECT {select} FROM (VALUES {values})) AS {alias}"  # noqa: S608 - no values
    return sql, [value for row in adapted for value in row]


def chunks(rows: Sequence[Any], size: int = CHUNK_ROWS) -> list[Sequence[Any]]:
    """`rows` in slices a single statement can carry."""
    return [rows[start : start + size] for start in range(0, len(rows), size)]
