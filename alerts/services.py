"""Alert services: the one generation of DESIGN §4, and marking alerts read.

`generate_alerts` is called by the `generate_alerts` command (cron, start-up,
CLI), the API, the admin and the on-commit refresh of an asset. It computes
the desired alerts with the rules of `alerts.rules` into a temporary table
and merges them into `alerts_alert` with a constant number of statements,
whatever the size of the fleet.
"""

import contextlib
import datetime
import fcntl
import functools
import logging
import os
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation

from alerts import rules
from alerts.choices import RunStatus, RunTrigger
from alerts.models import Alert, GenerationRun

logger = logging.getLogger(__name__)

# Constants shared by every process and host: the keys of the advisory locks.
# A full run holds GENERATION_LOCK_KEY (a second full run skips); every run,
# full or scoped, holds WRITE_LOCK_KEY while it merges (the others wait).
GENERATION_LOCK_KEY = 0x616C65727473  # "alerts"
WRITE_LOCK_KEY = GENERATION_LOCK_KEY + 1
DESIRED_TABLE = "alerts_desired"
# Scoped refreshes of up to this many assets reuse their compiled SQL.
SCOPED_SQL_MAX_ASSETS = 8
_MATCH = (
    "{a}.kind = {d}.kind AND {a}.asset_id = {d}.asset_id "
    "AND COALESCE({a}.maintenance_id, 0) = COALESCE({d}.maintenance_id, 0)"
)


@dataclass(frozen=True)
class GenerationResult:
    """What one generation did (or, for a dry run, would do)."""

    status: str
    created: int = 0
    updated: int = 0
    resolved: int = 0
    unchanged: int = 0
    duration_ms: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False
    error: str = ""
    run: GenerationRun | None = None

    def as_dict(self) -> dict:
        return {
            "status": self.status,
            "created": self.created,
            "updated": self.updated,
            "resolved": self.resolved,
            "unchanged": self.unchanged,
            "duration_ms": self.duration_ms,
            "by_kind": self.by_kind,
            "dry_run": self.dry_run,
            "error": self.error,
            "run": self.run.pk if self.run else None,
        }


class GenerationFailed(Exception):
    """A generation failed; the alerts are as they were before it."""

    def __init__(self, result: GenerationResult):
        super().__init__(result.error)
        self.result = result


class _DryRunRollback(Exception):
    def __init__(self, counts: dict):
        self.counts = counts


def generate_alerts(
    *,
    trigger: str = RunTrigger.CLI,
    now: datetime.datetime | None = None,
    asset_ids: Iterable[int] | None = None,
    dry_run: bool = False,
    record_run: bool = True,
    wait: bool = False,
) -> GenerationResult:
    """Bring the active alerts in line with the rules, in one transaction.

    `asset_ids` limits the work to those assets (the instant refresh).
    `dry_run` computes the same counts and writes nothing. With `wait`, a
    generation already in progress is waited for; otherwise this one is
    recorded SKIPPED. Raises `GenerationFailed` after recording the failure.
    """
    now = now or timezone.now()
    scope = sorted(set(asset_ids)) if asset_ids is not None else None
    started = time.monotonic()
    run = None
    if record_run and not dry_run:
        run = GenerationRun.objects.create(trigger=trigger, status=RunStatus.RUNNING, started_at=now)

    def elapsed_ms() -> int:
        return round((time.monotonic() - started) * 1000)

    try:
        with _sqlite_generation_lock(wait=wait) as free, transaction.atomic():
            if not (free and _acquire_generation_lock(wait=wait)):
                result = GenerationResult(status=RunStatus.SKIPPED, duration_ms=elapsed_ms(), run=run)
                _finish_run(run, result, now)
                logger.warning("Generation skipped: another generation is in progress.")
                return result
            counts = _merge_desired_alerts(now=now, asset_ids=scope)
            if dry_run:
                raise _DryRunRollback(counts)
            result = GenerationResult(status=RunStatus.SUCCESS, duration_ms=elapsed_ms(), run=run, **counts)
            # Recorded in the same transaction as the alerts it describes.
            _finish_run(run, result, now)
    except _DryRunRollback as dry:
        result = GenerationResult(
            status=RunStatus.SUCCESS, duration_ms=elapsed_ms(), dry_run=True, **dry.counts
        )
    except Exception as exc:
        result = GenerationResult(
            status=RunStatus.FAILED, duration_ms=elapsed_ms(), run=run, error=f"{type(exc).__name__}: {exc}"
        )
        _record_failure(run, result, now)
        logger.error("Generation failed (trigger %s): %s", trigger, result.error, exc_info=exc)
        raise GenerationFailed(result) from exc

    log = logger.debug if scope is not None and not record_run else logger.info
    log(
        "Generation %s%s: %d created, %d updated, %d resolved, %d unchanged in %d ms%s",
        "dry run " if dry_run else "",
        "finished",
        result.created,
        result.updated,
        result.resolved,
        result.unchanged,
        result.duration_ms,
        f" (assets {scope})" if scope is not None else "",
    )
    return result


def refresh_asset_alerts(asset_ids: Iterable[int]) -> GenerationResult | None:
    """Refresh the alerts of a few assets at once (after a save or delete).

    A failure is logged, never raised: the change that triggered the refresh
    is already committed, and the periodic run will catch up.
    """
    try:
        return generate_alerts(asset_ids=asset_ids, record_run=False, wait=True)
    except GenerationFailed:
        return None


def hold_alerts_write_lock() -> None:
    """Wait for a merge in progress, and keep merges out until this transaction ends.

    Marking many alerts read or unread takes it (see `mark_read`), and
    deleting an asset or a maintenance takes it before its delete statements:
    a merge running at the same time could otherwise insert an alert that
    points at the row being deleted, and one of the two transactions would
    fail on the foreign key. Both take this lock before any row lock, so they
    cannot deadlock. PostgreSQL only: SQLite runs one writer at a time.
    """
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK_KEY])


def _acquire_generation_lock(*, wait: bool) -> bool:
    """Take the cluster-wide generation locks for the current transaction.

    PostgreSQL: transaction-level advisory locks, released at commit or
    rollback, shared by every process and host using the database. Without
    `wait`, a run gives up (SKIPPED) only if another such run is in progress;
    it still waits for a short scoped refresh to finish its merge. SQLite
    (one host): `_sqlite_generation_lock` decided before the transaction, and
    the IMMEDIATE transaction holds the database's single write lock.
    """
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        if not wait:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [GENERATION_LOCK_KEY])
            if not cursor.fetchone()[0]:
                return False
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK_KEY])
        return True


@contextlib.contextmanager
def _sqlite_generation_lock(*, wait: bool) -> Iterator[bool]:
    """SQLite's equivalent of GENERATION_LOCK_KEY: yields whether this run may go on.

    SQLite's IMMEDIATE transactions already serialise the writes, but a second
    full run would queue behind the first and then run again. A non-blocking
    `flock` on a file beside the database, taken before the transaction, lets
    it find the first in progress and skip instead. The kernel releases it if
    the process dies. PostgreSQL and waiting (scoped) runs yield True at once.
    """
    if connection.vendor != "sqlite" or wait:
        yield True
        return
    with open(_sqlite_lock_path(), "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _sqlite_lock_path() -> str:
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or name.startswith("file:"):
        # An in-memory database belongs to this process alone.
        return os.path.join(tempfile.gettempdir(), f"alertsite-{os.getpid()}.generation-lock")
    return f"{name}.generation-lock"


def _merge_desired_alerts(*, now: datetime.datetime, asset_ids: list[int] | None) -> dict:
    """Create, update and resolve alerts so the active ones equal the rules' output.

    Django's `bulk_create(update_conflicts=True)` cannot target the partial
    unique index on active alerts, on PostgreSQL or SQLite; instead the
    desired rows (in a temporary table for a full run) feed three portable statements
    (UPDATE … FROM, UPDATE … NOT EXISTS, INSERT … SELECT … NOT EXISTS) do the
    merge, all under the generation lock so nothing interleaves.
    """
    tz = ZoneInfo(settings.TIME_ZONE)
    today = timezone.localdate(now, timezone=tz)
    thresholds = rules.Thresholds.from_settings()
    if asset_ids is not None and len(asset_ids) <= SCOPED_SQL_MAX_ASSETS:
        select_sql, select_params = _scoped_desired_sql(
            today, thresholds, settings.TIME_ZONE, settings.LANGUAGE_CODE, asset_ids
        )
    else:
        select_sql, select_params = _desired_sql(
            today, thresholds, settings.TIME_ZONE, settings.LANGUAGE_CODE, asset_ids
        )

    ops = connection.ops
    stamp = ops.adapt_datetimefield_value(now)
    true, false = True, False
    scope_sql, scope_params = "", []
    if asset_ids is not None:
        scope_sql = f" AND alerts_alert.asset_id IN ({', '.join(['%s'] * len(asset_ids))})"
        scope_params = list(asset_ids)

    columns = ", ".join(rules.DESIRED_COLUMNS)
    with connection.cursor() as cursor:
        if asset_ids is None:
            if connection.vendor == "postgresql":
                # Measured with bench/run at 1M maintenances; reset at the end:
                # - A full run joins whole sets: hash joins. When the statistics
                #   say alerts_alert is empty (a first run, or after a rolled-back
                #   one), the planner picks a nested loop that rescans the table
                #   the INSERT is filling: minutes instead of seconds.
                # - JIT-compiling the rules' query took 0.4 s and saved less.
                cursor.execute(
                    "SELECT current_setting('enable_nestloop'), current_setting('jit'), "
                    "set_config('enable_nestloop', 'off', true), set_config('jit', 'off', true)"
                )
                planner = cursor.fetchone()[:2]
            _fill_desired_table(cursor, columns, select_sql, select_params)
            source, source_params = DESIRED_TABLE, []
        else:
            # A few assets: evaluating the rules inline in each statement is
            # cheaper than creating, analysing and dropping a temporary table.
            renamed = ", ".join(f"desired_{c} AS {c}" for c in rules.DESIRED_COLUMNS)
            source, source_params = (
                f"(SELECT {renamed} FROM ({select_sql}) desired_rows)",
                list(select_params),
            )

        match = _MATCH.format(a="alerts_alert", d="d")
        cursor.execute(
            f"""
            UPDATE alerts_alert SET
                priority = d.priority,
                priority_rank = d.priority_rank,
                title = d.title,
                message = d.message,
                due_date = d.due_date,
                updated_at = %s,
                is_read = CASE WHEN d.priority_rank > alerts_alert.priority_rank THEN %s
                               ELSE alerts_alert.is_read END,
                read_at = CASE WHEN d.priority_rank > alerts_alert.priority_rank THEN NULL
                               ELSE alerts_alert.read_at END,
                read_by_id = CASE WHEN d.priority_rank > alerts_alert.priority_rank THEN NULL
                                  ELSE alerts_alert.read_by_id END
            FROM {source} d
            WHERE alerts_alert.is_active = %s AND {match}
              AND (alerts_alert.priority <> d.priority
                   OR alerts_alert.title <> d.title
                   OR alerts_alert.message <> d.message
                   OR COALESCE(alerts_alert.due_date, '0001-01-01') <> COALESCE(d.due_date, '0001-01-01'))
            """,
            [stamp, false, *source_params, true],
        )
        updated = cursor.rowcount

        cursor.execute(
            f"""
            UPDATE alerts_alert SET is_active = %s, resolved_at = %s, updated_at = %s
            WHERE alerts_alert.is_active = %s{scope_sql}
              AND NOT EXISTS (SELECT 1 FROM {source} d WHERE {match})
            """,
            [false, stamp, stamp, true, *scope_params, *source_params],
        )
        resolved = cursor.rowcount

        cursor.execute(
            f"""
            INSERT INTO alerts_alert ({columns}, is_active, is_read, created_at, updated_at)
            SELECT {", ".join(f"d.{c}" for c in rules.DESIRED_COLUMNS)}, %s, %s, %s, %s
            FROM {source} d
            WHERE NOT EXISTS (
                SELECT 1 FROM alerts_alert WHERE alerts_alert.is_active = %s AND {match}
            )
            """,
            [true, false, stamp, stamp, *source_params, true],
        )
        created = cursor.rowcount

        cursor.execute(f"SELECT kind, COUNT(*) FROM {source} d GROUP BY kind", source_params)
        by_kind = {kind: count for kind, count in cursor.fetchall()}
        if asset_ids is None:
            cursor.execute(f"DROP TABLE {DESIRED_TABLE}")
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT set_config('enable_nestloop', %s, true), set_config('jit', %s, true)", planner
                )

    desired_total = sum(by_kind.values())
    return {
        "created": created,
        "updated": updated,
        "resolved": resolved,
        "unchanged": desired_total - created - updated,
        "by_kind": by_kind,
    }


def _desired_sql(
    today: datetime.date, thresholds: rules.Thresholds, tz_name: str, language: str, asset_ids
) -> tuple[str, tuple]:
    """The rules' query for `today`, compiled to SQL and its parameters."""
    with translation.override(language):
        desired = rules.desired_alerts(
            today=today, thresholds=thresholds, tz=ZoneInfo(tz_name), asset_ids=asset_ids
        )
        return desired.query.sql_with_params()


def _scoped_desired_sql(
    today: datetime.date, thresholds: rules.Thresholds, tz_name: str, language: str, asset_ids: list[int]
) -> tuple[str, tuple]:
    """`_desired_sql` for a few assets, compiled once per day, settings and number of assets.

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
    sql, params = _desired_sql(today, thresholds, tz_name, language, placeholders)
    # Exact ints only: the rules' own numbers are typed (Int4) and positive.
    slots = tuple(
        (position, -value - 1)
        for position, value in enumerate(params)
        if type(value) is int and -count <= value < 0
    )
    if {index for _, index in slots} != set(range(count)):
        raise RuntimeError("alert rules: a placeholder asset id did not reach the compiled query")
    return sql, tuple(params), slots


def _fill_desired_table(cursor, columns: str, select_sql: str, select_params) -> None:
    """Materialise the rules' output once, for the three merge statements."""
    cursor.execute(
        f"CREATE TEMPORARY TABLE {DESIRED_TABLE} ("
        "kind varchar(30) NOT NULL, asset_id bigint NOT NULL, maintenance_id bigint, "
        "priority varchar(10) NOT NULL, priority_rank smallint NOT NULL, "
        "title varchar(255) NOT NULL, message text NOT NULL, due_date date)"
    )
    cursor.execute(f"INSERT INTO {DESIRED_TABLE} ({columns}) {select_sql}", select_params)
    if connection.vendor == "postgresql":
        # Temporary tables are never auto-analyzed; without statistics the
        # planner misjudges the merge's joins (the resolve step took twice as
        # long at 1M maintenances, bench/run).
        cursor.execute(f"ANALYZE {DESIRED_TABLE}")


def _finish_run(run: GenerationRun | None, result: GenerationResult, now: datetime.datetime) -> None:
    if run is None:
        return
    run.status = result.status
    run.finished_at = now + datetime.timedelta(milliseconds=result.duration_ms)
    run.duration_ms = result.duration_ms
    run.created, run.updated = result.created, result.updated
    run.resolved, run.unchanged = result.resolved, result.unchanged
    run.error = result.error
    run.save()


def _record_failure(run: GenerationRun | None, result: GenerationResult, now: datetime.datetime) -> None:
    """Write the FAILED run outside the rolled-back transaction.

    If the failure broke the connection (a killed backend), reconnect once so
    the failure is still on record.
    """
    if run is None:
        return
    try:
        _finish_run(run, result, now)
    except DatabaseError:
        if connection.in_atomic_block:
            logger.exception("Could not record the failed generation run %s.", run.pk)
            return
        connection.close()
        try:
            _finish_run(run, result, now)
        except DatabaseError:
            logger.exception("Could not record the failed generation run %s.", run.pk)


def mark_read(
    *, alerts: QuerySet[Alert], user, now: datetime.datetime | None = None, many: bool = True
) -> int:
    """Mark unread alerts read by `user`; returns how many changed.

    `many` (read-all, admin actions) first waits for a merge in progress: two
    statements updating many of the same rows in different orders could
    deadlock. Marking one alert (`many=False`) locks a single row and need not
    wait for a whole generation.
    """
    now = now or timezone.now()
    with _bulk_marking() if many else contextlib.nullcontext():
        return alerts.filter(is_read=False).update(is_read=True, read_at=now, read_by=user, updated_at=now)


def mark_unread(*, alerts: QuerySet[Alert], now: datetime.datetime | None = None, many: bool = True) -> int:
    """Mark read alerts unread again; returns how many changed (`many` as for `mark_read`)."""
    now = now or timezone.now()
    with _bulk_marking() if many else contextlib.nullcontext():
        return alerts.filter(is_read=True).update(is_read=False, read_at=None, read_by=None, updated_at=now)


@contextlib.contextmanager
def _bulk_marking() -> Iterator[None]:
    with transaction.atomic():
        hold_alerts_write_lock()
        yield
