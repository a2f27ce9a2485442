"""Floors: the same work done the cheapest way we can write it by hand.

Generation floor: one PostgreSQL statement. On an empty table (the first full
run) an INSERT … SELECT of the rules' rows; otherwise writable CTEs that compute
the rules' rows and merge them into `alerts_alert` exactly as a generation does
(create, update with the unread-on-escalation rule, resolve).

API floor: bare Django views without authentication, permissions, filters or
DRF: the same rows fetched with `values()` and dumped with orjson (the CSV
export: a server-side cursor and csv.writer). Mounted only by `bench.urls`.
"""

import csv
import datetime
import io
import time

import orjson
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from alerts.choices import AlertKind, Priority, RunStatus
from alerts.models import Alert, GenerationRun
from maintenance.models import Maintenance

# The alert object of the API, with the asset's code and name.
ALERT_VALUES = (
    "id",
    "kind",
    "priority",
    "title",
    "message",
    "asset_id",
    "maintenance_id",
    "due_date",
    "is_active",
    "is_read",
    "read_at",
    "created_at",
    "updated_at",
    "resolved_at",
    "assignee_id",
    "acknowledged_at",
    "acknowledged_by_id",
    "snoozed_until",
    "snooze_reason",
)
ALERT_EXPRESSIONS = {
    "asset_code": F("asset__code"),
    "asset_name": F("asset__name"),
    "assignee_username": F("assignee__username"),
    "maintenance_title": F("maintenance__title"),
}
URGENCY = ("-priority_rank", F("due_date").asc(nulls_last=True), "id")


def _json(data) -> HttpResponse:
    return HttpResponse(orjson.dumps(data), content_type="application/json")


def _active_rows():
    return Alert.objects.filter(is_active=True).order_by(*URGENCY).values(*ALERT_VALUES, **ALERT_EXPRESSIONS)


@require_GET
def alert_list(request):
    """The active alerts, most urgent first; a page when `limit` is given."""
    rows = _active_rows()
    if "limit" not in request.GET:
        return _json(list(rows))
    limit, offset = int(request.GET["limit"]), int(request.GET.get("offset", 0))
    count = Alert.objects.filter(is_active=True).count()
    following = offset + limit < count
    return _json(
        {
            "count": count,
            "next": f"?limit={limit}&offset={offset + limit}" if following else None,
            "previous": None,
            "results": list(rows[offset : offset + limit]),
        }
    )


@require_GET
def alert_stats(request):
    """The same grouped query as the product's stats, summed in Python."""
    by_priority = dict.fromkeys(Priority.values, 0)
    by_kind = dict.fromkeys(AlertKind.values, 0)
    total = unread = acknowledged = snoozed = unassigned = 0
    rows = (
        Alert.objects.filter(is_active=True)
        .order_by()
        .values_list("priority", "kind")
        .annotate(
            total=Count("id"),
            unread=Count("id", filter=Q(is_read=False)),
            acknowledged=Count("id", filter=Q(acknowledged_at__isnull=False)),
            snoozed=Count("id", filter=Q(snoozed_until__gt=timezone.now())),
            unassigned=Count("id", filter=Q(assignee__isnull=True)),
        )
    )
    for priority, kind, count, unread_count, acknowledged_count, snoozed_count, unassigned_count in rows:
        by_priority[priority] += count
        by_kind[kind] += count
        total += count
        unread += unread_count
        acknowledged += acknowledged_count
        snoozed += snoozed_count
        unassigned += unassigned_count
    return _json(
        {
            "total": total,
            "unread": unread,
            "critical": by_priority[Priority.CRITICAL],
            "by_priority": by_priority,
            "by_kind": by_kind,
            "acknowledged": acknowledged,
            "snoozed": snoozed,
            "unassigned": unassigned,
        }
    )


@csrf_exempt
@require_POST
def alert_read(request, pk: int):
    """Mark one alert read (by the bench's user) and return it."""
    now = timezone.now()
    Alert.objects.filter(pk=pk, is_read=False).update(
        is_read=True, read_at=now, read_by_id=settings.BENCH_READER_ID, updated_at=now
    )
    row = Alert.objects.filter(pk=pk).values(*ALERT_VALUES, **ALERT_EXPRESSIONS).first()
    if row is None:
        raise Http404
    return _json(row)


@require_GET
def metrics(request):
    """The gauges of `/metrics` from the same four queries, written as text by hand (no token check)."""
    now = timezone.now()
    active = dict.fromkeys(((p, k) for p in Priority.values for k in AlertKind.values), 0)
    unread = acknowledged = snoozed = 0
    rows = (
        Alert.objects.filter(is_active=True)
        .order_by()
        .values_list("priority", "kind")
        .annotate(
            total=Count("id"),
            unread=Count("id", filter=Q(is_read=False)),
            acknowledged=Count("id", filter=Q(acknowledged_at__isnull=False)),
            snoozed=Count("id", filter=Q(snoozed_until__gt=now)),
        )
    )
    for priority, kind, total, unread_count, acknowledged_count, snoozed_count in rows:
        active[priority, kind] += total
        unread += unread_count
        acknowledged += acknowledged_count
        snoozed += snoozed_count
    last = (
        GenerationRun.objects.filter(status=RunStatus.SUCCESS)
        .order_by("-started_at", "-id")
        .values_list("started_at", "finished_at", "duration_ms")
        .first()
    )
    runs = dict.fromkeys(RunStatus.values, 0)
    runs.update(
        GenerationRun.objects.filter(started_at__gt=now - datetime.timedelta(hours=24))
        .order_by()
        .values_list("status")
        .annotate(total=Count("id"))
    )
    finished = (last[1] or last[0]).timestamp() if last else 0
    lines = [f'alertsite_alerts_active{{kind="{k}",priority="{p}"}} {v}' for (p, k), v in active.items()]
    lines += [
        f"alertsite_alerts_unread {unread}",
        f"alertsite_alerts_acknowledged {acknowledged}",
        f"alertsite_alerts_snoozed {snoozed}",
        f"alertsite_generation_last_success_timestamp_seconds {finished}",
    ]
    if last and last[2] is not None:
        lines.append(f"alertsite_generation_last_duration_seconds {last[2] / 1000}")
    lines += [f'alertsite_generation_runs_last_24h{{status="{status}"}} {v}' for status, v in runs.items()]
    # The outbox by channel and status, and its oldest due notice: one grouped statement.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.channel, n.status, COUNT(*), MIN(CASE WHEN n.status IN ('PENDING', 'FAILED') "
            "AND n.next_attempt_at <= %s THEN n.next_attempt_at END) FROM alerts_notification n "
            "JOIN alerts_subscription s ON s.id = n.subscription_id GROUP BY s.channel, n.status",
            [connection.ops.adapt_datetimefield_value(now)],
        )
        outbox = cursor.fetchall()
    oldest = min((_aware(row[3]) for row in outbox if row[3] is not None), default=None)
    lines += [f'alertsite_notifications{{channel="{c}",status="{st}"}} {v}' for c, st, v, _ in outbox]
    lines.append(
        f"alertsite_notifications_oldest_pending_seconds {(now - oldest).total_seconds() if oldest else 0}"
    )
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


def _aware(value) -> datetime.datetime:
    """A raw datetime column: SQLite gives text in UTC."""
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)


# The maintenance object of the API, as columns.
MAINTENANCE_COLUMNS = {
    "id": "id",
    "asset": "asset_id",
    "asset_code": "asset__code",
    "asset_name": "asset__name",
    "title": "title",
    "description": "description",
    "kind": "kind",
    "status": "status",
    "scheduled_date": "scheduled_date",
    "completed_at": "completed_at",
    "assigned_to": "assigned_to_id",
    "assigned_to_username": "assigned_to__username",
    "plan": "plan_id",
    "due_meter_value": "due_meter_value",
    "created_at": "created_at",
    "updated_at": "updated_at",
}
CSV_CHUNK_ROWS = 1000


@require_GET
def maintenance_csv(request):
    """The maintenances by scheduled date as CSV: a server-side cursor straight into csv.writer.

    No DRF, no per-cell work (values as `str()` spells them, no formula
    escaping); `scheduled_before` narrows them as the product's filter does.
    """
    rows = Maintenance.objects.order_by("scheduled_date", "id")
    if "scheduled_before" in request.GET:
        rows = rows.filter(scheduled_date__lte=request.GET["scheduled_before"])
    sql, params = rows.values_list(*MAINTENANCE_COLUMNS.values()).query.sql_with_params()

    def body():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(MAINTENANCE_COLUMNS)
        with connection.chunked_cursor() as cursor:
            cursor.execute(sql, params)
            while chunk := cursor.fetchmany(CSV_CHUNK_ROWS):
                writer.writerows(chunk)
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue().encode()

    return StreamingHttpResponse(body(), content_type="text/csv; charset=utf-8")


# The rules of DESIGN §3 and §14 (the meter side) as one SELECT, with the columns of alerts_alert.
# `{meter_*}` are the meter conditions of the occurrence `m` (its plan `p`, its meter `mt`).
_METER = {
    "meter_overdue": "mt.last_value * 100 >= m.due_meter_value * 100",
    "meter_critical": "mt.last_value * 100 >= m.due_meter_value * 100 + p.meter_interval * %(meter_crit)s",
    "meter_due_soon": "mt.last_value * 100 >= m.due_meter_value * 100 - p.meter_interval * %(meter_soon)s",
    "meter_value": "RTRIM(TO_CHAR(mt.last_value, 'FM999,999,999,999,990.999'), '.')",
    "meter_due": "RTRIM(TO_CHAR(m.due_meter_value, 'FM999,999,999,999,990.999'), '.')",
}
_OCCURRENCE_JOINS = """
    FROM maintenance_maintenance m JOIN assets_asset a ON a.id = m.asset_id
    LEFT JOIN maintenance_maintenanceplan p ON p.id = m.plan_id
    LEFT JOIN assets_meter mt ON mt.id = p.meter_id"""
_DUE_SOON_BY_DATE = "(m.status = 'PLANNED' AND m.scheduled_date BETWEEN %(today)s AND %(due_soon_until)s)"
DESIRED_SQL = (
    """
    SELECT 'MAINTENANCE_OVERDUE'::varchar AS kind, m.asset_id, m.id AS maintenance_id,
           CASE WHEN m.scheduled_date <= %(critical_before)s OR a.criticality = 'CRITICAL'
                     OR {meter_critical} THEN 'CRITICAL' ELSE 'HIGH' END AS priority,
           CASE WHEN m.scheduled_date <= %(critical_before)s OR a.criticality = 'CRITICAL'
                     OR {meter_critical} THEN 4 ELSE 3 END AS priority_rank,
           LEFT('Overdue: ' || m.title, 255) AS title,
           CASE WHEN {meter_overdue} AND (m.scheduled_date >= %(today)s OR ({meter_critical}
                     AND m.scheduled_date > %(critical_before)s AND a.criticality <> 'CRITICAL'))
                THEN a.code || ' ' || a.name || ': "' || m.title || '" is overdue at ' || {meter_value}
                     || ' ' || mt.unit || ' of ' || {meter_due} || ' ' || mt.unit || '.'
                ELSE a.code || ' ' || a.name || ': "' || m.title || '" was scheduled for '
                     || m.scheduled_date || ' and is not done.' END AS message,
           m.scheduled_date AS due_date"""
    + _OCCURRENCE_JOINS
    + """
    WHERE m.status IN ('PLANNED', 'IN_PROGRESS') AND (m.scheduled_date < %(today)s OR {meter_overdue})
      AND a.status <> 'RETIRED' {scope_maintenance}
    UNION ALL
    SELECT 'MAINTENANCE_DUE_SOON', m.asset_id, m.id,
           CASE WHEN (DUE_SOON_BY_DATE AND m.scheduled_date <= %(urgent_until)s) OR a.criticality = 'CRITICAL'
                THEN 'HIGH' ELSE 'MEDIUM' END,
           CASE WHEN (DUE_SOON_BY_DATE AND m.scheduled_date <= %(urgent_until)s) OR a.criticality = 'CRITICAL'
                THEN 3 ELSE 2 END,
           LEFT('Due soon: ' || m.title, 255),
           CASE WHEN DUE_SOON_BY_DATE
                THEN a.code || ' ' || a.name || ': "' || m.title || '" is scheduled for '
                     || m.scheduled_date || '.'
                ELSE a.code || ' ' || a.name || ': "' || m.title || '" is due soon, at ' || {meter_value}
                     || ' ' || mt.unit || ' of ' || {meter_due} || ' ' || mt.unit || '.' END,
           m.scheduled_date"""
    + _OCCURRENCE_JOINS
    + """
    WHERE m.status IN ('PLANNED', 'IN_PROGRESS') AND (DUE_SOON_BY_DATE OR {meter_due_soon})
      AND m.scheduled_date >= %(today)s AND NOT COALESCE({meter_overdue}, false)
      AND a.status <> 'RETIRED' {scope_maintenance}
"""
).replace("DUE_SOON_BY_DATE", _DUE_SOON_BY_DATE)
DESIRED_SQL = (
    (
        DESIRED_SQL.replace("{meter_overdue}", _METER["meter_overdue"])
        .replace("{meter_critical}", _METER["meter_critical"])
        .replace("{meter_due_soon}", _METER["meter_due_soon"])
        .replace("{meter_value}", _METER["meter_value"])
        .replace("{meter_due}", _METER["meter_due"])
    )
    + """    UNION ALL
    SELECT 'ASSET_NEEDS_MAINTENANCE', a.id, NULL,
           CASE WHEN a.status = 'OUT_OF_SERVICE' AND a.criticality IN ('LOW', 'MEDIUM') THEN 'HIGH'
                ELSE a.criticality END,
           CASE WHEN a.status = 'OUT_OF_SERVICE' AND a.criticality IN ('LOW', 'MEDIUM') THEN 3
                WHEN a.criticality = 'LOW' THEN 1 WHEN a.criticality = 'MEDIUM' THEN 2
                WHEN a.criticality = 'HIGH' THEN 3 ELSE 4 END,
           LEFT(a.code || ' needs maintenance', 255),
           CASE a.status
               WHEN 'OUT_OF_SERVICE' THEN a.code || ' ' || a.name || ' is out of service.'
               WHEN 'NEEDS_MAINTENANCE' THEN a.code || ' ' || a.name || ' is reported as needing maintenance.'
               ELSE a.code || ' ' || a.name || ': no maintenance since ' || a.last_done_on
                    || ', longer than its ' || a.maintenance_interval_days
                    || '-day interval, and none is planned.'
           END,
           NULL::date
    FROM (
        SELECT a.*,
               CASE WHEN a.status IN ('NEEDS_MAINTENANCE', 'OUT_OF_SERVICE') THEN NULL
                    ELSE COALESCE(
                        ((SELECT max(d.completed_at) FROM maintenance_maintenance d
                          WHERE d.asset_id = a.id AND d.status = 'DONE') AT TIME ZONE %(tz)s)::date,
                        a.commissioned_on,
                        (a.created_at AT TIME ZONE %(tz)s)::date)
               END AS last_done_on
        FROM assets_asset a
        WHERE a.status <> 'RETIRED' {scope_asset}
          AND (a.status IN ('NEEDS_MAINTENANCE', 'OUT_OF_SERVICE')
               OR (a.maintenance_interval_days IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM maintenance_maintenance o
                                   WHERE o.asset_id = a.id AND o.status IN ('PLANNED', 'IN_PROGRESS'))))
    ) a
    WHERE a.status IN ('NEEDS_MAINTENANCE', 'OUT_OF_SERVICE')
       OR %(today)s - a.last_done_on > a.maintenance_interval_days
"""
)

# One statement: desired rows (the three rules), then update, resolve and
# insert against the same snapshot. The CTE `desired` is computed once.
MERGE_SQL = (
    """
WITH desired AS MATERIALIZED (
"""
    + DESIRED_SQL
    + """
),
updated AS (
    UPDATE alerts_alert a SET
        priority = d.priority, priority_rank = d.priority_rank, title = d.title, message = d.message,
        due_date = d.due_date, updated_at = %(now)s,
        is_read = a.is_read AND d.priority_rank <= a.priority_rank,
        read_at = CASE WHEN d.priority_rank > a.priority_rank THEN NULL ELSE a.read_at END,
        read_by_id = CASE WHEN d.priority_rank > a.priority_rank THEN NULL ELSE a.read_by_id END
    FROM desired d
    WHERE a.is_active AND a.kind = d.kind AND a.asset_id = d.asset_id
      AND COALESCE(a.maintenance_id, 0) = COALESCE(d.maintenance_id, 0)
      AND (a.priority, a.title, a.message, a.due_date)
          IS DISTINCT FROM (d.priority, d.title, d.message, d.due_date)
    RETURNING a.id, a.priority
),
resolved AS (
    UPDATE alerts_alert a SET is_active = false, resolved_at = %(now)s, updated_at = %(now)s
    WHERE a.is_active {scope_alert}
      AND NOT EXISTS (SELECT 1 FROM desired d WHERE a.kind = d.kind AND a.asset_id = d.asset_id
                      AND COALESCE(a.maintenance_id, 0) = COALESCE(d.maintenance_id, 0))
    RETURNING a.id, a.priority
),
created AS (
    INSERT INTO alerts_alert (kind, asset_id, maintenance_id, priority, priority_rank, title, message,
                              due_date, is_active, is_read, created_at, updated_at)
    SELECT d.kind, d.asset_id, d.maintenance_id, d.priority, d.priority_rank, d.title, d.message,
           d.due_date, true, false, %(now)s, %(now)s
    FROM desired d
    WHERE NOT EXISTS (SELECT 1 FROM alerts_alert a
                      WHERE a.is_active AND a.kind = d.kind AND a.asset_id = d.asset_id
                      AND COALESCE(a.maintenance_id, 0) = COALESCE(d.maintenance_id, 0))
    RETURNING id, priority
),
-- One event row per changed alert, as the product writes (DESIGN §10).
events AS (
    INSERT INTO alerts_alertevent (alert_id, kind, at, priority)
    SELECT id, 'CREATED', %(now)s, priority FROM created
    UNION ALL SELECT id, 'UPDATED', %(now)s, priority FROM updated
    UNION ALL SELECT id, 'RESOLVED', %(now)s, priority FROM resolved
)
SELECT (SELECT count(*) FROM created), (SELECT count(*) FROM updated), (SELECT count(*) FROM resolved),
       (SELECT count(*) FROM desired)
"""
)

# On an empty table (the first full run) the least work is one INSERT … SELECT,
# and its CREATED events from what it returns.
INSERT_SQL = (
    """
WITH created AS (
INSERT INTO alerts_alert (kind, asset_id, maintenance_id, priority, priority_rank, title, message,
                          due_date, is_active, is_read, created_at, updated_at)
SELECT d.*, true, false, %(now)s, %(now)s FROM (
"""
    + DESIRED_SQL
    + """
) d
RETURNING id, priority
)
INSERT INTO alerts_alertevent (alert_id, kind, at, priority)
SELECT id, 'CREATED', %(now)s, priority FROM created
"""
)


def generation_floor(
    *,
    asset_ids: list[int] | None = None,
    now: datetime.datetime | None = None,
    commit: bool = False,
    empty: bool = False,
) -> dict:
    """Run the hand-written generation and time it, commit included when `commit`.

    `empty` (the first full run, on an empty table): one INSERT … SELECT of the
    rules' rows. Otherwise one statement that merges them (MERGE_SQL). Rolled
    back unless `commit`, so that the product then runs on the same data (a
    rollback skips the commit's WAL flush, which is small unless the run writes
    many rows: the bench commits the first run's floor, then empties the table
    again). PostgreSQL only (writable CTEs). Returns the seconds and the
    counts, which must equal the product's on the same data.
    """
    if connection.vendor != "postgresql":
        raise NotImplementedError("the generation floor is written for PostgreSQL")
    now = now or timezone.now()
    today = timezone.localdate(now)
    conf = settings.ALERTS
    params = {
        "today": today,
        "critical_before": today - datetime.timedelta(days=conf["OVERDUE_CRITICAL_DAYS"]),
        "urgent_until": today + datetime.timedelta(days=conf["DUE_URGENT_DAYS"]),
        "due_soon_until": today + datetime.timedelta(days=conf["DUE_SOON_DAYS"]),
        "meter_soon": conf["METER_DUE_SOON_PERCENT"],
        "meter_crit": conf["METER_OVERDUE_CRITICAL_PERCENT"],
        "tz": settings.TIME_ZONE,
        "now": now,
        "ids": asset_ids,
    }
    scoped = asset_ids is not None
    sql = (INSERT_SQL if empty else MERGE_SQL).format(
        scope_maintenance="AND m.asset_id = ANY(%(ids)s)" if scoped else "",
        scope_asset="AND a.id = ANY(%(ids)s)" if scoped else "",
        scope_alert="AND a.asset_id = ANY(%(ids)s)" if scoped else "",
    )
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        if not scoped:
            # Same planner setting as the product's full run (alerts/services.py).
            cursor.execute("SET LOCAL enable_nestloop = off")
        cursor.execute(sql, params)
        if empty:
            created, updated, resolved, desired = cursor.rowcount, 0, 0, cursor.rowcount
        else:
            created, updated, resolved, desired = cursor.fetchone()
        transaction.set_rollback(not commit)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "created": created,
        "updated": updated,
        "resolved": resolved,
        "unchanged": desired - created - updated,
    }
