"""Alert services: the writes of the alerts app.

The generation lives in `alerts.generation` (re-exported here, the app's one
place to import writes from); marking alerts read or unread is here. Every
change writes its events in the same transaction (DESIGN §10).
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from alerts.choices import EventKind
from alerts.generation import (
    GENERATION_LOCK_KEY,
    WRITE_LOCK_KEY,
    GenerationFailed,
    GenerationResult,
    generate_alerts,
    hold_alerts_write_lock,
    refresh_asset_alerts,
)
from alerts.generation.events import ALERT, column, qn, write_events
from alerts.models import Alert, AlertEvent, GenerationRun

__all__ = [
    "GENERATION_LOCK_KEY",
    "WRITE_LOCK_KEY",
    "GenerationFailed",
    "GenerationResult",
    "generate_alerts",
    "hold_alerts_write_lock",
    "mark_read",
    "mark_unread",
    "prune_history",
    "refresh_asset_alerts",
]


def mark_read(
    *, alerts: QuerySet[Alert], user, now: datetime.datetime | None = None, many: bool = True
) -> int:
    """Mark unread alerts read by `user`, with a READ event each; returns how many changed.

    `many` (read-all, admin actions) first waits for a merge in progress: two
    statements updating many of the same rows in different orders could
    deadlock. Marking one alert (`many=False`) locks a single row and need not
    wait for a whole generation.
    """
    return _set_read_state(alerts=alerts, read=True, user=user, now=now or timezone.now(), many=many)


def mark_unread(
    *, alerts: QuerySet[Alert], user=None, now: datetime.datetime | None = None, many: bool = True
) -> int:
    """Mark read alerts unread again, with an UNREAD event by `user` each (`many` as for `mark_read`)."""
    return _set_read_state(alerts=alerts, read=False, user=user, now=now or timezone.now(), many=many)


def _set_read_state(*, alerts: QuerySet[Alert], read: bool, user, now: datetime.datetime, many: bool) -> int:
    actor_id = user.pk if user is not None else None
    targets = alerts.filter(is_read=not read).order_by().values("pk")
    select_sql, select_params = targets.query.sql_with_params()
    table, pk = qn(ALERT.db_table), column(ALERT, "id")
    stamp = connection.ops.adapt_datetimefield_value(now)
    with transaction.atomic():
        if many:
            hold_alerts_write_lock()
        with connection.cursor() as cursor:
            # RETURNING gives the ids this statement changed, for their events.
            cursor.execute(
                f"UPDATE {table} SET {column(ALERT, 'is_read')} = %s, {column(ALERT, 'read_at')} = %s, "
                f"{column(ALERT, 'read_by')} = %s, {column(ALERT, 'updated_at')} = %s "
                f"WHERE {pk} IN ({select_sql}) RETURNING {pk}",
                [read, stamp if read else None, actor_id if read else None, stamp, *select_params],
            )
            changed = [row[0] for row in cursor.fetchall()]
            write_events(
                cursor,
                kind=EventKind.READ if read else EventKind.UNREAD,
                alert_ids=changed,
                at=now,
                actor_id=actor_id,
            )
        # Post-action step: whatever follows a change of read state is called
        # here, inside the transaction, with the events just written:
        # `AlertEvent.objects.filter(kind=..., at=now, actor=user)`.
    return len(changed)


# Rows deleted per statement and transaction: short locks, bounded memory.
PRUNE_BATCH_SIZE = 2000


@dataclass(frozen=True)
class PruneResult:
    """What `prune_history` deleted (or, for a dry run, would delete)."""

    before: datetime.datetime
    alerts: int
    events: int
    runs: int


def prune_history(
    *,
    days: int | None = None,
    now: datetime.datetime | None = None,
    dry_run: bool = False,
    batch_size: int = PRUNE_BATCH_SIZE,
) -> PruneResult:
    """Delete alerts resolved more than `days` ago with their events, and older runs (DESIGN §10).

    `days` defaults to `ALERTS_HISTORY_DAYS`. Never an active alert, however
    old. Deletes in batches of `batch_size`, each its own transaction. Then
    drops expired token blacklist entries when that app is installed.
    """
    days = settings.ALERTS["HISTORY_DAYS"] if days is None else days
    before = (now or timezone.now()) - datetime.timedelta(days=days)
    old_alerts = Alert.objects.filter(is_active=False, resolved_at__lt=before)
    old_runs = GenerationRun.objects.filter(started_at__lt=before)
    if dry_run:
        return PruneResult(
            before=before,
            alerts=old_alerts.count(),
            events=AlertEvent.objects.filter(alert__in=old_alerts).count(),
            runs=old_runs.count(),
        )
    alerts = events = runs = 0
    while batch := list(old_alerts.order_by("pk").values_list("pk", flat=True)[:batch_size]):
        # Django's cascade takes the events (and whatever else hangs on the alert) along.
        _, deleted = Alert.objects.filter(pk__in=batch, is_active=False).delete()
        alerts += deleted.get(Alert._meta.label, 0)
        events += deleted.get(AlertEvent._meta.label, 0)
    while batch := list(old_runs.order_by("pk").values_list("pk", flat=True)[:batch_size]):
        # Younger events keep their alert's history; only their link to the run goes.
        runs += GenerationRun.objects.filter(pk__in=batch).delete()[1].get(GenerationRun._meta.label, 0)
    if "rest_framework_simplejwt.token_blacklist" in settings.INSTALLED_APPS:
        call_command("flushexpiredtokens")
    return PruneResult(before=before, alerts=alerts, events=events, runs=runs)
