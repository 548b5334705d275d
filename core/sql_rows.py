"""Literal rows as a table to join against or insert from, passed as one JSON parameter.

Queries that probe an index once per exact key (a (trigger, visitor) pair, say) join such
a table instead of crossing one IN list with another, which probes every combination.
One JSON document rather than a placeholder per value, or an array per column: psycopg
quotes list parameters value by value in Python and Django's SQLite wrapper rewrites every
placeholder, both slower than the database unpacking one document in C."""

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection


def rows_source(
    rows: Sequence[Sequence[Any]], columns: Sequence[tuple[str, str]], alias: str
) -> tuple[str, list[Any]]:
    """SQL for `rows` as a table `alias` with `columns` ((name, PostgreSQL type) pairs),
    and its one parameter. A value may be a datetime, or a dict or list for a jsonb
    column (SQLite stores it as JSON text)."""
    postgresql = connection.vendor == "postgresql"
    instants: dict[datetime, Any] = {}  # rows share a few instants: convert each once

    def stored(value: Any) -> Any:
        # Called by the encoder for what JSON has no type for (a datetime), so the
        # other values are encoded in C. ISO text for PostgreSQL; on SQLite as Django
        # stores them, so comparisons agree.
        if not isinstance(value, datetime):
            raise TypeError(f"{type(value).__name__} is not a row value")
        if value not in instants:
            instants[value] = (
                value.isoformat() if postgresql else connection.ops.adapt_datetimefield_value(value)
            )
        return instants[value]

    document = json.dumps(rows, default=stored)
    if postgresql:
        # Each row a JSON array: its items as text cast to the column's type, a nested
        # value (jsonb) as JSON. jsonb, not json: json's operators rescan the row's text
        # for every column, which made a 500-row insert 2.5 times slower.
        select = ", ".join(
            f"(e->{n}) AS {name}" if pg_type == "jsonb" else f"(e->>{n})::{pg_type} AS {name}"
            for n, (name, pg_type) in enumerate(columns)
        )
        return f"(SELECT {select} FROM jsonb_array_elements(%s::jsonb) AS e) AS {alias}", [document]  # noqa: S608
    select = ", ".join(
        # A nested object comes back as its JSON text, as a JSON column stores it.
        f"json_extract(value, '$[{n}]') AS {name}"
        for n, (name, _) in enumerate(columns)
    )
    return f"(SELECT {select} FROM json_each(%s)) AS {alias}", [document]  # noqa: S608
