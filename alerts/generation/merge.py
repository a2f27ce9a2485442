"""The merge: make the active alerts equal the rules' output, and record every change as an event.

The desired rows (a temporary table for a full run, the rules' query inline
for a few assets) feed a constant number of portable statements, all built
from the model's metadata and run under the generation's write lock:

1. the bounds: the highest event and alert ids so far;
2. create the desired alerts that have no active alert, then their CREATED
   events (the alerts above the bound);
3. the events of the active alerts whose priority, title, message, due date
   or assignee differ, classified by `CHANGES` (escalated, de-escalated,
   updated, assigned), then the update of those alerts (an escalation marks
   the alert unread again);
4. the RESOLVED events of the active alerts no longer desired, then their
   resolution (the alerts of those events);
5. the counts: changes by kind of event, desired rows by kind of alert.

No id ever comes back to Python: a run's memory does not grow with the
alerts it changes (the first run of a large fleet creates them all). The
events are written from the same rows as the change they record, so each
change has its event and no event is without its change. What follows the
merge (lapses, notifications) starts from the events above the bound.

Django's `bulk_create(update_conflicts=True)` cannot target the partial
unique index on active alerts (DESIGN §9), hence hand-built statements.
"""

import datetime
import functools
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.utils import timezone, translation

from alerts.choices import EventKind
from alerts.generation import rules
from alerts.generation.events import ALERT, EVENT, column, qn

DESIRED_TABLE = "alerts_desired"
# Scoped refreshes of up to this many assets reuse their compiled SQL.
SCOPED_SQL_MAX_ASSETS = 8
# Compared between an active alert and its desired row: a difference is a change.
CONTENT = ("priority", "title", "message", "due_date")
COMPARED = (*CONTENT, "assignee_id")
# How a change is classified, first match wins (`a` the alert, `d` the desired
# row; `{content}`: its priority, title, message or due date differ). What is
# left when none matches is a change of the assignee alone (DESIGN §10).
CHANGES = (
    (EventKind.ESCALATED, "d.{rank} > a.{rank}"),
    (EventKind.DEESCALATED, "d.{rank} < a.{rank}"),
    (EventKind.UPDATED, "{content}"),
    (EventKind.ASSIGNED, "1 = 1"),
)
FINGERPRINT = ("kind", "asset_id", "maintenance_id")
# The kinds of event only the merge writes.
MERGE_KINDS = (EventKind.CREATED, *(kind for kind, _ in CHANGES), EventKind.RESOLVED)
EVENT_COLUMNS = ("alert", "kind", "at", "run", "actor", "note", "priority")


@dataclass
class MergeOutcome:
    """How many alerts one merge changed, by kind of event; the desired rows by kind of alert.

    `event_bound`: the highest event id before the merge; its events (and
    those written after it in the transaction) come after it.
    """

    changed: dict[str, int] = field(default_factory=dict)
    by_kind: dict[str, int] = field(default_factory=dict)
    event_bound: int = 0

    def count(self, *kinds: str) -> int:
        return sum(self.changed.get(kind, 0) for kind in kinds)


def merge_desired_alerts(
    *, now: datetime.datetime, asset_ids: list[int] | None, run_id: int | None
) -> MergeOutcome:
    """Create, update and resolve alerts so the active ones equal the rules' output; write their events."""
    select_sql, select_params = desired_sql(
        today=timezone.localdate(now, ZoneInfo(settings.TIME_ZONE)), asset_ids=asset_ids
    )
    stamp = connection.ops.adapt_datetimefield_value(now)
    events = _Events(stamp=stamp, run_id=run_id)
    with connection.cursor() as cursor:
        full = asset_ids is None
        if full:
            planner = _full_run_planner(cursor)
            _fill_desired_table(cursor, select_sql, select_params)
            source, source_params = DESIRED_TABLE, []
        else:
            # A few assets: evaluating the rules inline in each statement is
            # cheaper than creating, analysing and dropping a temporary table.
            renamed = ", ".join(f"desired_{name} AS {qn(name)}" for name in rules.DESIRED_COLUMNS)
            source, source_params = (
                f"(SELECT {renamed} FROM ({select_sql}) desired_rows)",
                list(select_params),
            )

        event_bound, alert_bound = _bounds(cursor)
        written = _create_missing(cursor, source, source_params, stamp)
        events.write(
            cursor,
            kind=("%s", [str(EventKind.CREATED)]),
            rows=(f"{qn(ALERT.db_table)} a WHERE a.{column(ALERT, 'id')} > %s", [alert_bound]),
        )
        written += _record_changes(cursor, events, source, source_params)
        _update_changed(cursor, source, source_params, stamp)
        written += _record_undesired(cursor, events, source, source_params, asset_ids)
        merge_events = _events_of_merge(event_bound, written)
        _resolve_recorded(cursor, stamp, merge_events)
        outcome = _counts(cursor, source, source_params, merge_events)
        outcome.event_bound = event_bound
        if full:
            cursor.execute(f"DROP TABLE {DESIRED_TABLE}")
            _restore_planner(cursor, planner)
    return outcome


@dataclass(frozen=True)
class _Events:
    """Event rows written by INSERT … SELECT from the alerts (`a`) they record (DESIGN §10)."""

    stamp: object
    run_id: int | None

    def write(self, cursor, *, kind: tuple[str, list], rows: tuple[str, list], priority: str = "") -> int:
        """One event per row of `FROM {rows}`, of kind `kind` (an SQL expression), with the
        priority `priority` (default: the alert's own); how many."""
        (kind_sql, kind_params), (rows_sql, rows_params) = kind, rows
        targets = ", ".join(column(EVENT, name) for name in EVENT_COLUMNS)
        priority = priority or f"a.{column(ALERT, 'priority')}"
        cursor.execute(
            f"INSERT INTO {qn(EVENT.db_table)} ({targets}) "
            f"SELECT a.{column(ALERT, 'id')}, {kind_sql}, %s, %s, NULL, '', {priority} FROM {rows_sql}",
            [*kind_params, self.stamp, self.run_id, *rows_params],
        )
        return cursor.rowcount


def _bounds(cursor) -> tuple[int, int]:
    """The highest event and alert ids so far: what the merge writes comes after them."""
    cursor.execute(
        f"SELECT (SELECT MAX({column(EVENT, 'id')}) FROM {qn(EVENT.db_table)}), "
        f"(SELECT MAX({column(ALERT, 'id')}) FROM {qn(ALERT.db_table)})"
    )
    event_bound, alert_bound = cursor.fetchone()
    return event_bound or 0, alert_bound or 0


def _match(a: str, d: str) -> str:
    """Same fingerprint; NULL maintenances compare equal (as in the unique constraint)."""
    kind, asset, maintenance = (column(ALERT, name) for name in FINGERPRINT)
    return (
        f"{a}.{kind} = {d}.{qn('kind')} AND {a}.{asset} = {d}.{qn('asset_id')} "
        f"AND COALESCE({a}.{maintenance}, 0) = COALESCE({d}.{qn('maintenance_id')}, 0)"
    )


def _differs(a: str, d: str, names: tuple[str, ...] = COMPARED) -> str:
    terms = []
    for name in names:
        mine, desired = f"{a}.{column(ALERT, name)}", f"{d}.{qn(name)}"
        if ALERT.get_field(name).null:
            terms.append(f"({mine} <> {desired} OR ({mine} IS NULL) <> ({desired} IS NULL))")
        else:
            terms.append(f"{mine} <> {desired}")
    return "(" + " OR ".join(terms) + ")"


def _record_changes(cursor, events: _Events, source: str, source_params: list) -> int:
    """An event per active alert that differs from its desired row, before the update (the
    classification compares the old and new ranks), with the new priority."""
    rank = column(ALERT, "priority_rank")
    content = _differs("a", "d", CONTENT)
    cases = " ".join(
        f"WHEN {condition.format(rank=rank, content=content)} THEN %s" for _, condition in CHANGES
    )
    return events.write(
        cursor,
        kind=(f"CASE {cases} END", [str(kind) for kind, _ in CHANGES]),
        rows=(
            f"{qn(ALERT.db_table)} a INNER JOIN {source} d ON {_match('a', 'd')} "
            f"WHERE a.{column(ALERT, 'is_active')} = %s AND {_differs('a', 'd')}",
            [*source_params, True],
        ),
        priority=f"d.{qn('priority')}",
    )


def _update_changed(cursor, source: str, source_params: list, stamp) -> None:
    """The alerts `_record_changes` recorded: the same rows, by the same condition."""
    table = qn(ALERT.db_table)
    rank = column(ALERT, "priority_rank")
    escalated = f"d.{qn('priority_rank')} > {table}.{rank}"
    is_read = column(ALERT, "is_read")
    assignments = [f"{column(ALERT, name)} = d.{qn(name)}" for name in (*COMPARED, "priority_rank")]
    # A priority increase marks the alert unread again (DESIGN §4.3).
    assignments += [
        f"{is_read} = CASE WHEN {escalated} THEN %s ELSE {table}.{is_read} END",
        *(
            f"{column(ALERT, name)} = CASE WHEN {escalated} THEN NULL ELSE {table}.{column(ALERT, name)} END"
            for name in ("read_at", "read_by")
        ),
        f"{column(ALERT, 'updated_at')} = %s",
    ]
    cursor.execute(
        f"UPDATE {table} SET {', '.join(assignments)} FROM {source} d "
        f"WHERE {table}.{column(ALERT, 'is_active')} = %s AND {_match(table, 'd')} "
        f"AND {_differs(table, 'd')}",
        [False, stamp, *source_params, True],
    )


def _record_undesired(
    cursor, events: _Events, source: str, source_params: list, asset_ids: list[int] | None
) -> int:
    """A RESOLVED event per active alert (of the scope) that no desired row matches."""
    scope_sql, scope_params = "", []
    if asset_ids is not None:
        scope_sql = f" AND a.{column(ALERT, 'asset')} IN ({', '.join(['%s'] * len(asset_ids))})"
        scope_params = list(asset_ids)
    return events.write(
        cursor,
        kind=("%s", [str(EventKind.RESOLVED)]),
        rows=(
            f"{qn(ALERT.db_table)} a WHERE a.{column(ALERT, 'is_active')} = %s{scope_sql} "
            f"AND NOT EXISTS (SELECT 1 FROM {source} d WHERE {_match('a', 'd')})",
            [True, *scope_params, *source_params],
        ),
    )


def _events_of_merge(event_bound: int, written: int) -> tuple[str, list]:
    """The merge's events as a subquery: the `written` ones of its kinds after the bound.

    Its kinds only: an acknowledgement or a read committed meanwhile has
    events above the bound too (their ids were taken before the merge's), and
    only merges write these kinds, one at a time (the generation lock).
    Ordered and limited by how many were written, so the planner walks the
    primary key from the bound, whatever its statistics say of a table that
    has just grown (it scanned the whole table otherwise: 7 ms of a refresh).
    """
    kinds = [str(kind) for kind in MERGE_KINDS]
    return (
        f"(SELECT {column(EVENT, 'alert')}, {column(EVENT, 'kind')} FROM {qn(EVENT.db_table)} "
        f"WHERE {column(EVENT, 'id')} > %s AND {column(EVENT, 'kind')} IN ({', '.join(['%s'] * len(kinds))}) "
        f"ORDER BY {column(EVENT, 'id')} LIMIT %s)",
        [event_bound, *kinds, written],
    )


def _resolve_recorded(cursor, stamp, merge_events: tuple[str, list]) -> None:
    """Resolve the alerts of the merge's RESOLVED events."""
    table = qn(ALERT.db_table)
    events_sql, events_params = merge_events
    cursor.execute(
        f"UPDATE {table} SET {column(ALERT, 'is_active')} = %s, {column(ALERT, 'resolved_at')} = %s, "
        f"{column(ALERT, 'updated_at')} = %s "
        f"WHERE {column(ALERT, 'id')} IN (SELECT e.{column(EVENT, 'alert')} FROM {events_sql} e "
        f"WHERE e.{column(EVENT, 'kind')} = %s)",
        [False, stamp, stamp, *events_params, str(EventKind.RESOLVED)],
    )


def _create_missing(cursor, source: str, source_params: list, stamp) -> int:
    table = qn(ALERT.db_table)
    targets = [column(ALERT, name) for name in rules.DESIRED_COLUMNS]
    targets += [column(ALERT, name) for name in ("is_active", "is_read", "created_at", "updated_at")]
    cursor.execute(
        f"INSERT INTO {table} ({', '.join(targets)}) "
        f"SELECT {', '.join(f'd.{qn(name)}' for name in rules.DESIRED_COLUMNS)}, %s, %s, %s, %s "
        f"FROM {source} d WHERE NOT EXISTS ("
        f"SELECT 1 FROM {table} WHERE {table}.{column(ALERT, 'is_active')} = %s AND {_match(table, 'd')})",
        [True, False, stamp, stamp, *source_params, True],
    )
    return cursor.rowcount


def _counts(cursor, source: str, source_params: list, merge_events: tuple[str, list]) -> MergeOutcome:
    """One statement: the merge's events by kind, and the desired rows by kind of alert."""
    kind, event_kind = qn("kind"), column(EVENT, "kind")
    events_sql, events_params = merge_events
    cursor.execute(
        f"SELECT 'event', e.{event_kind}, COUNT(*) FROM {events_sql} e GROUP BY e.{event_kind} "
        f"UNION ALL SELECT 'desired', d.{kind}, COUNT(*) FROM {source} d GROUP BY d.{kind}",
        [*events_params, *source_params],
    )
    outcome = MergeOutcome()
    for side, name, count in cursor.fetchall():
        (outcome.changed if side == "event" else outcome.by_kind)[name] = count
    return outcome


def _full_run_planner(cursor) -> tuple | None:
    """Planner settings for a full run on PostgreSQL; the previous values, to restore.

    Measured with bench/run at 1M maintenances:
    - A full run joins whole sets: hash joins. When the statistics say the
      alert table is empty (a first run, or after a rolled-back one), the
      planner picks a nested loop that rescans the table the INSERT is
      filling: minutes instead of seconds.
    - JIT-compiling the rules' query took 0.4 s and saved less.
    """
    if connection.vendor != "postgresql":
        return None
    cursor.execute(
        "SELECT current_setting('enable_nestloop'), current_setting('jit'), "
        "set_config('enable_nestloop', 'off', true), set_config('jit', 'off', true)"
    )
    return cursor.fetchone()[:2]


def _restore_planner(cursor, planner: tuple | None) -> None:
    if planner is not None:
        cursor.execute("SELECT set_config('enable_nestloop', %s, true), set_config('jit', %s, true)", planner)


def _fill_desired_table(cursor, select_sql: str, select_params) -> None:
    """Materialise the rules' output once, in a table shaped like the alert's own columns."""
    definitions = []
    for name in rules.DESIRED_COLUMNS:
        model_field = ALERT.get_field(name)
        null = "" if model_field.null else " NOT NULL"
        definitions.append(f"{qn(name)} {model_field.db_type(connection)}{null}")
    cursor.execute(f"CREATE TEMPORARY TABLE {DESIRED_TABLE} ({', '.join(definitions)})")
    columns = ", ".join(qn(name) for name in rules.DESIRED_COLUMNS)
    cursor.execute(f"INSERT INTO {DESIRED_TABLE} ({columns}) {select_sql}", select_params)
    if connection.vendor == "postgresql":
        # Temporary tables are never auto-analyzed; without statistics the
        # planner misjudges the merge's joins (the resolve step took twice as
        # long at 1M maintenances, bench/run).
        cursor.execute(f"ANALYZE {DESIRED_TABLE}")


def desired_sql(*, today: datetime.date, asset_ids: list[int] | None) -> tuple[str, tuple]:
    """The rules' query for `today` (and `asset_ids`), compiled to SQL and its parameters."""
    thresholds = rules.Thresholds.from_settings()
    if asset_ids is not None and len(asset_ids) <= SCOPED_SQL_MAX_ASSETS:
        return _scoped_desired_sql(today, thresholds, settings.TIME_ZONE, settings.LANGUAGE_CODE, asset_ids)
    return _compile_rules(today, thresholds, settings.TIME_ZONE, settings.LANGUAGE_CODE, asset_ids)


def _compile_rules(
    today: datetime.date, thresholds: rules.Thresholds, tz_name: str, language: str, asset_ids
) -> tuple[str, tuple]:
    with translation.override(language):
        desired = rules.desired_alerts(
            today=today, thresholds=thresholds, tz=ZoneInfo(tz_name), asset_ids=asset_ids
        )
        return desired.query.sql_with_params()


def _scoped_desired_sql(
    today: datetime.date, thresholds: rules.Thresholds, tz_name: str, language: str, asset_ids: list[int]
) -> tuple[str, tuple]:
    """The rules' SQL for a few assets, compiled once per day, settings and number of assets.

    Building and compiling the rules' querysets took more than half of a
    single-asset refresh (bench/run). The SQL is compiled with placeholder ids
    (negative: never a real id) whose parameters are then replaced by the real
    ones; nothing but the query text is reused.
    """
    sql, params, slots = _compiled_scope(
        connection.vendor, today, thresholds, tz_name, language, len(asset_ids)
    )
    params = list(params)
    for position, index in slots:
        params[position] = asset_ids[index]
    return sql, tuple(params)


@functools.lru_cache(maxsize=32)
def _compiled_scope(
    vendor: str, today: datetime.date, thresholds: rules.Thresholds, tz_name: str, language: str, count: int
) -> tuple[str, tuple, tuple[tuple[int, int], ...]]:
    placeholders = [-(index + 1) for index in range(count)]
    sql, params = _compile_rules(today, thresholds, tz_name, language, placeholders)
    # Exact ints only: the rules' own numbers are typed (Int4) and positive.
    slots = tuple(
        (position, -value - 1)
        for position, value in enumerate(params)
        if type(value) is int and -count <= value < 0
    )
    if {index for _, index in slots} != set(range(count)):
        raise RuntimeError("alert rules: a placeholder asset id did not reach the compiled query")
    return sql, tuple(params), slots
