"""The merge: make the active alerts equal the rules' output, and record every change as an event.

The desired rows (a temporary table for a full run, the rules' query inline
for a few assets) feed a constant number of portable statements, all built
from the model's metadata and run under the generation's write lock:

1. find the active alerts whose priority, title, message, due date or
   assignee differ, classified by `CHANGES` (escalated, de-escalated,
   updated, assigned);
2. update those (an escalation marks the alert unread again);
3. resolve the active alerts no longer desired (RETURNING their ids);
4. create the desired alerts that have no active alert (RETURNING their ids);
5. one event statement per kind of change (`alerts.generation.events`).

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
from alerts.generation.events import ALERT, column, ids_condition, qn, write_events

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


@dataclass
class MergeOutcome:
    """The ids of the alerts one merge changed, by kind of change, and the desired count by alert kind."""

    changed: dict[str, list[int]] = field(default_factory=dict)
    by_kind: dict[str, int] = field(default_factory=dict)

    def count(self, *kinds: str) -> int:
        return sum(len(self.changed.get(kind, ())) for kind in kinds)


def merge_desired_alerts(
    *, now: datetime.datetime, asset_ids: list[int] | None, run_id: int | None
) -> MergeOutcome:
    """Create, update and resolve alerts so the active ones equal the rules' output; write their events."""
    select_sql, select_params = desired_sql(
        today=timezone.localdate(now, ZoneInfo(settings.TIME_ZONE)), asset_ids=asset_ids
    )
    stamp = connection.ops.adapt_datetimefield_value(now)
    outcome = MergeOutcome()
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

        outcome.changed = _find_changes(cursor, source, source_params)
        _update_changed(cursor, source, source_params, stamp, outcome.changed)
        outcome.changed[EventKind.RESOLVED] = _resolve_undesired(
            cursor, source, source_params, stamp, asset_ids
        )
        outcome.changed[EventKind.CREATED] = _create_missing(cursor, source, source_params, stamp)

        cursor.execute(f"SELECT {qn('kind')}, COUNT(*) FROM {source} d GROUP BY {qn('kind')}", source_params)
        outcome.by_kind = dict(cursor.fetchall())
        if full:
            cursor.execute(f"DROP TABLE {DESIRED_TABLE}")
            _restore_planner(cursor, planner)

        for kind in (EventKind.CREATED, *(kind for kind, _ in CHANGES), EventKind.RESOLVED):
            write_events(cursor, kind=kind, alert_ids=outcome.changed.get(kind, []), at=now, run_id=run_id)
    return outcome


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


def _find_changes(cursor, source: str, source_params: list) -> dict[str, list[int]]:
    rank = column(ALERT, "priority_rank")
    content = _differs("a", "d", CONTENT)
    cases = " ".join(
        f"WHEN {condition.format(rank=rank, content=content)} THEN %s" for _, condition in CHANGES
    )
    cursor.execute(
        f"SELECT a.{column(ALERT, 'id')}, CASE {cases} END FROM {qn(ALERT.db_table)} a "
        f"INNER JOIN {source} d ON {_match('a', 'd')} "
        f"WHERE a.{column(ALERT, 'is_active')} = %s AND {_differs('a', 'd')}",
        [*(str(kind) for kind, _ in CHANGES), *source_params, True],
    )
    changed: dict[str, list[int]] = {kind: [] for kind, _ in CHANGES}
    for alert_id, kind in cursor.fetchall():
        changed[kind].append(alert_id)
    return changed


def _update_changed(cursor, source: str, source_params: list, stamp, changed: dict[str, list[int]]) -> None:
    table = qn(ALERT.db_table)
    ids = [alert_id for kind, _ in CHANGES for alert_id in changed[kind]]
    in_ids, ids_params = ids_condition(f"{table}.{column(ALERT, 'id')}", ids)
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
        f"WHERE {in_ids} AND {table}.{column(ALERT, 'is_active')} = %s AND {_match(table, 'd')}",
        [False, stamp, *source_params, *ids_params, True],
    )


def _resolve_undesired(
    cursor, source: str, source_params: list, stamp, asset_ids: list[int] | None
) -> list[int]:
    table = qn(ALERT.db_table)
    active = f"{table}.{column(ALERT, 'is_active')}"
    scope_sql, scope_params = "", []
    if asset_ids is not None:
        scope_sql = f" AND {table}.{column(ALERT, 'asset')} IN ({', '.join(['%s'] * len(asset_ids))})"
        scope_params = list(asset_ids)
    cursor.execute(
        f"UPDATE {table} SET {column(ALERT, 'is_active')} = %s, {column(ALERT, 'resolved_at')} = %s, "
        f"{column(ALERT, 'updated_at')} = %s "
        f"WHERE {active} = %s{scope_sql} "
        f"AND NOT EXISTS (SELECT 1 FROM {source} d WHERE {_match(table, 'd')}) "
        f"RETURNING {table}.{column(ALERT, 'id')}",
        [False, stamp, stamp, True, *scope_params, *source_params],
    )
    return [row[0] for row in cursor.fetchall()]


def _create_missing(cursor, source: str, source_params: list, stamp) -> list[int]:
    table = qn(ALERT.db_table)
    targets = [column(ALERT, name) for name in rules.DESIRED_COLUMNS]
    targets += [column(ALERT, name) for name in ("is_active", "is_read", "created_at", "updated_at")]
    cursor.execute(
        f"INSERT INTO {table} ({', '.join(targets)}) "
        f"SELECT {', '.join(f'd.{qn(name)}' for name in rules.DESIRED_COLUMNS)}, %s, %s, %s, %s "
        f"FROM {source} d WHERE NOT EXISTS ("
        f"SELECT 1 FROM {table} WHERE {table}.{column(ALERT, 'is_active')} = %s AND {_match(table, 'd')}) "
        f"RETURNING {column(ALERT, 'id')}",
        [True, False, stamp, stamp, *source_params, True],
    )
    return [row[0] for row in cursor.fetchall()]


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
