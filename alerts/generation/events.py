"""Writing alert events set-based: one statement per kind of change, whatever the count (DESIGN §10).

The people's actions and the read-state services know the ids of the alerts
they changed (RETURNING); `write_events` turns one such list into event rows
with a single INSERT … SELECT, the ids passed as one parameter (a PostgreSQL
array, an SQLite JSON array). The merge writes its events from the rows
they record instead (`alerts.generation.merge`), so that no list of a
fleet's ids is ever held in Python. `event_bound` and `events_after` hand over exactly the
events a transaction wrote, as a queryset, to what follows it
(notifications, DESIGN §12).
"""

import datetime
import json
from collections.abc import Sequence

from django.db import connection
from django.db.models import Max, QuerySet

from alerts.models import Alert, AlertEvent

ALERT = Alert._meta
EVENT = AlertEvent._meta


def qn(name: str) -> str:
    return connection.ops.quote_name(name)


def column(model_meta, name: str) -> str:
    """The quoted column of a field (`asset_id` and `asset` name the same column)."""
    return qn(model_meta.get_field(name).column)


def ids_condition(expression: str, ids: Sequence[int]) -> tuple[str, list]:
    """`expression IN ids` with the whole list as one parameter."""
    if connection.vendor == "postgresql":
        return f"{expression} = ANY(%s)", [list(ids)]
    return f"{expression} IN (SELECT value FROM json_each(%s))", [json.dumps(list(ids))]


def write_events(
    cursor,
    *,
    kind: str,
    alert_ids: Sequence[int],
    at: datetime.datetime,
    run_id: int | None = None,
    actor_id: int | None = None,
    note: str = "",
) -> None:
    """One event of `kind` per alert in `alert_ids`, with the alert's current priority."""
    where, params = ids_condition(f"a.{column(ALERT, 'id')}", alert_ids)
    targets = ", ".join(
        column(EVENT, name) for name in ("alert", "kind", "at", "run", "actor", "note", "priority")
    )
    cursor.execute(
        f"INSERT INTO {qn(EVENT.db_table)} ({targets}) "
        f"SELECT a.{column(ALERT, 'id')}, %s, %s, %s, %s, %s, a.{column(ALERT, 'priority')} "
        f"FROM {qn(ALERT.db_table)} a WHERE {where}",
        [str(kind), connection.ops.adapt_datetimefield_value(at), run_id, actor_id, note, *params],
    )


def event_bound() -> int:
    """The highest event id so far: what a transaction writes next comes after it."""
    return AlertEvent.objects.aggregate(bound=Max("pk"))["bound"] or 0


def events_after(bound: int, *, at: datetime.datetime, **filters) -> QuerySet[AlertEvent]:
    """The events written after `bound` at `at` that match `filters` (e.g. `run`, `actor`).

    Within the writing transaction these are exactly its own events; later,
    `at` (the change's timestamp) and the filters keep other writers' out.
    """
    return AlertEvent.objects.filter(pk__gt=bound, at=at, **filters)
