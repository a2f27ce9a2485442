"""Read-side queries over alerts and generation runs (runs newest first: `GenerationRun.Meta.ordering`)."""

from django.db.models import Count, Q

from alerts.choices import AlertKind, Priority, RunStatus
from alerts.models import Alert, GenerationRun


def alert_stats() -> dict:
    """Counters over active alerts: the seed's monitoring figures, by priority and kind.

    One grouped query (at most 12 rows), whatever the number of alerts.
    """
    rows = (
        Alert.objects.filter(is_active=True)
        .order_by()
        .values("priority", "kind")
        .annotate(total=Count("id"), unread=Count("id", filter=Q(is_read=False)))
    )
    by_priority = dict.fromkeys(Priority.values, 0)
    by_kind = dict.fromkeys(AlertKind.values, 0)
    total = unread = 0
    for row in rows:
        by_priority[row["priority"]] += row["total"]
        by_kind[row["kind"]] += row["total"]
        total += row["total"]
        unread += row["unread"]
    return {
        "total": total,
        "unread": unread,
        "critical": by_priority[Priority.CRITICAL],
        "by_priority": by_priority,
        "by_kind": by_kind,
    }


def last_run() -> GenerationRun | None:
    """The most recent generation run, whatever its outcome."""
    return GenerationRun.objects.first()


def last_successful_run() -> GenerationRun | None:
    """The most recent successful generation run."""
    return GenerationRun.objects.filter(status=RunStatus.SUCCESS).first()
