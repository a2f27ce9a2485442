"""Read-side queries over alerts and generation runs (runs newest first: `GenerationRun.Meta.ordering`)."""

import datetime
from functools import cache

from django.db import connections, router
from django.db.models import Case, Count, F, Q, QuerySet, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from alerts.choices import AlertKind, Priority, RunStatus
from alerts.models import Alert, AlertDeletions, AlertEvent, GenerationRun

# Annotations of `with_current_snooze`: the snooze as the API shows it.
CURRENT_SNOOZED_UNTIL = "current_snoozed_until"
CURRENT_SNOOZE_REASON = "current_snooze_reason"


def snoozed_q(*, now: datetime.datetime) -> Q:
    """Snoozed alerts: from the snooze until `until` passes, whether or not the lapse was written (§11)."""
    return Q(snoozed_until__gt=now)


def with_current_snooze(queryset: QuerySet[Alert], *, now: datetime.datetime) -> QuerySet[Alert]:
    """Annotate the snooze's end and reason, null and empty once `until` has passed."""
    holds = snoozed_q(now=now)
    return queryset.annotate(
        **{
            CURRENT_SNOOZED_UNTIL: Case(When(holds, then=F("snoozed_until"))),
            CURRENT_SNOOZE_REASON: Case(When(holds, then=F("snooze_reason")), default=Value("")),
        }
    )


def active_alert_counts(*, now: datetime.datetime) -> QuerySet:
    """Active alerts grouped by priority and kind: `total`, `unread`, `acknowledged`,
    `snoozed` (until a time still ahead of `now`) and `unassigned` per group.

    The one grouped query behind `/api/alerts/stats` and `/metrics`.
    """
    return (
        Alert.objects.filter(is_active=True)
        .order_by()
        .values("priority", "kind")
        .annotate(
            total=Count("id"),
            unread=Count("id", filter=Q(is_read=False)),
            acknowledged=Count("id", filter=Q(acknowledged_at__isnull=False)),
            snoozed=Count("id", filter=snoozed_q(now=now)),
            unassigned=Count("id", filter=Q(assignee__isnull=True)),
        )
    )


def alert_stats(*, now: datetime.datetime | None = None) -> dict:
    """Counters over active alerts: the seed's monitoring figures, by priority and kind,
    then who is on them (acknowledged, snoozed, unassigned).

    One grouped query (at most 12 rows), whatever the number of alerts.
    """
    rows = active_alert_counts(now=now or timezone.now())
    by_priority = dict.fromkeys(Priority.values, 0)
    by_kind = dict.fromkeys(AlertKind.values, 0)
    total = unread = acknowledged = snoozed = unassigned = 0
    for row in rows:
        by_priority[row["priority"]] += row["total"]
        by_kind[row["kind"]] += row["total"]
        total += row["total"]
        unread += row["unread"]
        acknowledged += row["acknowledged"]
        snoozed += row["snoozed"]
        unassigned += row["unassigned"]
    return {
        "total": total,
        "unread": unread,
        "critical": by_priority[Priority.CRITICAL],
        "by_priority": by_priority,
        "by_kind": by_kind,
        "acknowledged": acknowledged,
        "snoozed": snoozed,
        "unassigned": unassigned,
    }


def alerts_version(*, now: datetime.datetime | None = None) -> list:
    """What changes whenever an answer about alerts may change; one statement of index lookups.

    Every change of an alert moves one of these: a generation's writes move
    `updated_at` or the greatest id; every human action and every resolution
    writes an event (DESIGN §10); deletions move the deletion count (a
    trigger, `AlertDeletions`). The next snooze to pass changes when it
    passes, since a snooze ends with the clock, before its event is written
    (§11). The local date changes the history's days. Each value is a
    maximum, a minimum or a row found by an index, so a 304 costs the same
    over 1,000,000 alerts as over ten; and read in the request's snapshot,
    they are never newer than the answer they tag.

    The values are the database's own (only compared, hashed into an ETag):
    the statement is written once rather than built by the ORM per request,
    which took longer than running it (a 304 is this query and the token's).
    """
    now = now or timezone.now()
    alias = router.db_for_read(Alert)
    with connections[alias].cursor() as cursor:
        cursor.execute(_alerts_version_sql(alias), [cursor.db.ops.adapt_datetimefield_value(now)])
        version = cursor.fetchone()
    return [*version, timezone.localdate(now)]


@cache
def _alerts_version_sql(alias: str) -> str:
    quote = connections[alias].ops.quote_name

    def column(model, field: str) -> str:
        return quote(model._meta.get_field(field).column)

    alerts, events = quote(Alert._meta.db_table), quote(AlertEvent._meta.db_table)
    deletions = quote(AlertDeletions._meta.db_table)
    pk, updated, snoozed = column(Alert, "id"), column(Alert, "updated_at"), column(Alert, "snoozed_until")
    deletion_count, deletion_id = column(AlertDeletions, "count"), column(AlertDeletions, "id")
    return (
        f"SELECT (SELECT MAX({pk}) FROM {alerts}), (SELECT MAX({updated}) FROM {alerts}), "
        f"(SELECT MIN({snoozed}) FROM {alerts} WHERE {snoozed} > %s), "
        f"(SELECT MAX({column(AlertEvent, 'id')}) FROM {events}), "
        f"(SELECT {deletion_count} FROM {deletions} WHERE {deletion_id} = 1)"
    )


def active_history(*, days: int, now: datetime.datetime | None = None) -> list[dict]:
    """Active alerts by priority at the end of each of the last `days` local days, oldest first.

    An alert counts from its creation's local day until the day before its
    resolution's (at its current priority). One grouped query over the
    alerts active in the window, whatever their number; the days are then
    summed from the groups' starts and ends, never from the alerts.
    """
    now = now or timezone.now()
    tz = timezone.get_current_timezone()
    today = timezone.localdate(now)
    first = today - datetime.timedelta(days=days - 1)
    first_day_end = datetime.datetime.combine(first + datetime.timedelta(days=1), datetime.time(), tzinfo=tz)
    groups = (
        Alert.objects.filter(created_at__lte=now)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=first_day_end))
        .order_by()
        .values(
            "priority",
            created_day=TruncDate("created_at", tzinfo=tz),
            resolved_day=TruncDate("resolved_at", tzinfo=tz),
        )
        .annotate(count=Count("id"))
    )
    # changes[priority][i]: alerts starting (+) or ending (-) to count on day first + i.
    changes = {priority: [0] * (days + 1) for priority in Priority.values}
    for group in groups:
        start = max((group["created_day"] - first).days, 0)
        end = days if group["resolved_day"] is None else min((group["resolved_day"] - first).days, days)
        if start < end:
            changes[group["priority"]][start] += group["count"]
            changes[group["priority"]][end] -= group["count"]
    series = []
    running = dict.fromkeys(Priority.values, 0)
    for index in range(days):
        for priority in Priority.values:
            running[priority] += changes[priority][index]
        series.append(
            {
                "date": first + datetime.timedelta(days=index),
                "total": sum(running.values()),
                "by_priority": dict(running),
            }
        )
    return series


def last_run() -> GenerationRun | None:
    """The most recent generation run, whatever its outcome."""
    return GenerationRun.objects.first()


def last_successful_run() -> GenerationRun | None:
    """The most recent successful generation run."""
    return GenerationRun.objects.filter(status=RunStatus.SUCCESS).first()
