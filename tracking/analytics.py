"""What the reports count, defined once: a conversion, the revenue of an order, and the
per-dialect SQL that reads event JSON (for statements written as SQL, e.g. experiment
results; ORM queries use `KT` and the expressions here).

A conversion is a purchase by the same visitor at or after a moment (an impression, a
firing, an exposure) and within a window after it. Content variants and triggers count
purchases within `conversion_window()`; experiments count their goal event (a purchase
by default) for as long as they run.
"""

from datetime import timedelta
from typing import Any, Literal

from django.conf import settings
from django.db import connection
from django.db.models import DateTimeField, Exists, ExpressionWrapper, FloatField, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from tracking.models import Event

PURCHASE = "purchase"


def conversion_window() -> timedelta:
    """How long after an impression or a firing a purchase still counts for it."""
    return timedelta(days=settings.PZ_CONVERSION_DAYS)


def conversions(
    *, visitor_id: Any, since: Any, window: timedelta | None, event_type: str = PURCHASE
) -> QuerySet[Event]:
    """The visitor's `event_type` events in [since, since + window] (no end when
    `window` is None). `visitor_id` and `since` are usually `OuterRef`s, so this is the
    subquery of an `Exists` (converted or not) or of a revenue `Sum`."""
    events = Event.objects.filter(type=event_type, visitor_id=visitor_id, timestamp__gte=since)
    if window is not None:
        end = ExpressionWrapper(since + window, output_field=DateTimeField())
        events = events.filter(timestamp__lte=end)
    return events.order_by()


def converted(*, visitor_id: Any, since: Any, window: timedelta | None) -> Exists:
    """True when the visitor converted in [since, since + window] (see `conversions`)."""
    return Exists(conversions(visitor_id=visitor_id, since=since, window=window))


def order_revenue() -> Cast:
    """The revenue of a purchase event (`properties.revenue`) as a float, for `Sum`."""
    return Cast(KT("properties__revenue"), FloatField())


JsonKind = Literal["text", "number"]


def json_sql(column: str, key: str, kind: JsonKind = "text") -> str:
    """SQL reading the top-level `key` of the JSON `column` in this database's dialect:
    its text, or its number (NULL when the value is not a number, never a cast error).
    `column` and `key` are fixed fragments of the caller, never input."""
    if connection.vendor == "postgresql":
        if kind == "number":
            return (
                f"CASE WHEN jsonb_typeof({column}->'{key}') = 'number' "
                f"THEN ({column}->>'{key}')::double precision END"
            )
        return f"({column}->>'{key}')"
    if kind == "number":
        return (
            f"CASE WHEN json_type({column}, '$.{key}') IN ('integer', 'real') "
            f"THEN json_extract({column}, '$.{key}') END"
        )
    return f"json_extract({column}, '$.{key}')"
