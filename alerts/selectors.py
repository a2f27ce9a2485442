"""Read-side queries over alerts and generation runs (runs newest first: `GenerationRun.Meta.ordering`)."""

import datetime

from django.db.models import Case, Count, F, Q, QuerySet, Value, When
from django.utils import timezone

from alerts.choices import AlertKind, Priority, RunStatus
from alerts.models import Alert, GenerationRun

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


def last_run() -> GenerationRun | None:
    """The most recent generation run, whatever its outcome."""
    return GenerationRun.objects.first()


def last_successful_run() -> GenerationRun | None:
    """The most recent successful generation run."""
    return GenerationRun.objects.filter(status=RunStatus.SUCCESS).first()
