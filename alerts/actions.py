"""People on alerts (DESIGN §11): acknowledge, snooze, and the lapses that undo them.

Every write is one conditional UPDATE … RETURNING over a set of alerts (one
alert for the API, the selection for the admin), followed by one INSERT of
the events of the alerts it changed, whatever their number. The condition is
the state the action changes, so repeating an action matches nothing and
writes no second event, and of two concurrent repeats the second one, which
waits for the first's row lock and re-checks the condition, does nothing.

Notifications (DESIGN §12.1): a person's unacknowledge or unsnooze hands the
alert back (nobody is on it, or it is wanted now), so its UNACKNOWLEDGED or
UNSNOOZED events enqueue FIRING notices like a lapse's, in the same
transaction. The lapses' own events are enqueued by the generation that
writes them, with the rest of its events.

Locks (PostgreSQL): an action on one alert locks that one row and nothing
else before its events, so it cannot deadlock with a merge (which would have
to wait for a row of it while it waits for one of the merge's); it waits at
most for the merge's transaction and then applies to the merged row. Actions
on many alerts and the periodic lapses first take the merge's lock
(`hold_alerts_write_lock`), as the bulk read marks do.
"""

import datetime
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from alerts.choices import EventKind
from alerts.generation.events import event_bound, events_after, ids_condition, write_events
from alerts.models import Alert, GenerationRun
from alerts.notifications.services import enqueue_notifications
from alerts.services import hold_alerts_write_lock, mark_read

logger = logging.getLogger(__name__)

# The notes of the events written by the system (DESIGN §11).
NOTE_TIMEOUT = "timeout"
NOTE_EXPIRED = "expired"
NOTE_ESCALATED = "escalated"

AlertIds = QuerySet | Sequence[int]


class AlertResolved(Exception):
    """The alert is resolved: nobody acts on it any more (the API's 409)."""


@dataclass(frozen=True)
class LapseResult:
    """Ids of the alerts whose acknowledgement or snooze a lapse ended."""

    unacknowledged: list[int]
    unsnoozed: list[int]


def acknowledge(*, alert_id: int, user, note: str = "", now: datetime.datetime | None = None) -> bool:
    """Someone is on it: acknowledge the alert and mark it read; returns whether it changed.

    Raises `Alert.DoesNotExist` for an unknown id and `AlertResolved` for a
    resolved alert. Acknowledging again changes nothing (it still marks the alert read).
    """
    now = now or timezone.now()
    with transaction.atomic():
        changed = _acknowledge([alert_id], user=user, note=note, now=now)
        if not changed:
            _ensure_active(alert_id)
        # Acknowledged means read (with its READ event), by the one rule of read state.
        mark_read(alerts=Alert.objects.filter(pk=alert_id), user=user, now=now, many=False)
    return bool(changed)


def unacknowledge(*, alert_id: int, user, now: datetime.datetime | None = None) -> bool:
    """End the alert's acknowledgement; returns whether it changed (errors as `acknowledge`)."""
    now = now or timezone.now()
    with transaction.atomic():
        changed = _unacknowledge([alert_id], actor=user, note="", now=now, notify=True)
        if not changed:
            _ensure_active(alert_id)
    return bool(changed)


def snooze(
    *, alert_id: int, user, until: datetime.datetime, reason: str = "", now: datetime.datetime | None = None
) -> bool:
    """Not now: hide the alert from notifications until `until`; returns whether it changed.

    `until` must be in the future and at most ALERTS_MAX_SNOOZE_DAYS ahead
    (`ValidationError` naming `until`). Snoozing again with the same `until`
    and reason changes nothing; another `until` or reason replaces the snooze.
    """
    now = now or timezone.now()
    validate_snooze_until(until=until, now=now)
    with transaction.atomic():
        changed = _snooze([alert_id], user=user, until=until, reason=reason, now=now)
        if not changed:
            _ensure_active(alert_id)
    return bool(changed)


def unsnooze(*, alert_id: int, user, now: datetime.datetime | None = None) -> bool:
    """Wake the alert now; returns whether it was snoozed (errors as `acknowledge`)."""
    now = now or timezone.now()
    with transaction.atomic():
        changed = _unsnooze([alert_id], actor=user, note="", now=now, notify=True)
        if not changed:
            _ensure_active(alert_id)
    return bool(changed)


def acknowledge_alerts(*, alerts: QuerySet[Alert], user, now: datetime.datetime | None = None) -> int:
    """Acknowledge (and mark read) the active alerts of `alerts`; returns how many changed."""
    now = now or timezone.now()
    with transaction.atomic():
        hold_alerts_write_lock()
        changed = _acknowledge(alerts, user=user, note="", now=now)
        mark_read(alerts=Alert.objects.filter(pk__in=changed), user=user, now=now, many=False)
    return len(changed)


def unacknowledge_alerts(*, alerts: QuerySet[Alert], user, now: datetime.datetime | None = None) -> int:
    """End the acknowledgement of the active alerts of `alerts`; returns how many changed."""
    now = now or timezone.now()
    with transaction.atomic():
        hold_alerts_write_lock()
        return len(_unacknowledge(alerts, actor=user, note="", now=now, notify=True))


def snooze_alerts(
    *,
    alerts: QuerySet[Alert],
    user,
    until: datetime.datetime,
    reason: str = "",
    now: datetime.datetime | None = None,
) -> int:
    """Snooze the active alerts of `alerts` until `until`; returns how many changed."""
    now = now or timezone.now()
    validate_snooze_until(until=until, now=now)
    with transaction.atomic():
        hold_alerts_write_lock()
        return len(_snooze(alerts, user=user, until=until, reason=reason, now=now))


def unsnooze_alerts(*, alerts: QuerySet[Alert], user, now: datetime.datetime | None = None) -> int:
    """Wake the snoozed active alerts of `alerts`; returns how many changed."""
    now = now or timezone.now()
    with transaction.atomic():
        hold_alerts_write_lock()
        return len(_unsnooze(alerts, actor=user, note="", now=now, notify=True))


def validate_snooze_until(*, until: datetime.datetime, now: datetime.datetime) -> None:
    """`until` is in the future and at most ALERTS_MAX_SNOOZE_DAYS ahead; else a ValidationError on it."""
    max_days = settings.ALERTS["MAX_SNOOZE_DAYS"]
    if until <= now:
        raise ValidationError({"until": [_("Choose a time in the future.")]}, code="past")
    if until > now + datetime.timedelta(days=max_days):
        raise ValidationError(
            {"until": [_("Choose a time at most %(days)d days ahead.") % {"days": max_days}]}, code="too_far"
        )


def lapse_acknowledgements_and_snoozes(
    *, now: datetime.datetime, run: GenerationRun | None = None
) -> LapseResult:
    """The periodic lapses of DESIGN §11, set-based: two UPDATEs and two INSERTs at most.

    Ends the acknowledgements of active alerts older than
    ALERTS_ACK_TIMEOUT_HOURS (UNACKNOWLEDGED, note `timeout`; 0 = never) and
    the snoozes whose `until` has passed (UNSNOOZED, note `expired`).
    Every full generation calls it inside its transaction, and enqueues the
    notices of these events with its own.
    """
    hours = settings.ALERTS["ACK_TIMEOUT_HOURS"]
    # Inside the generation's transaction, no savepoint: a failure fails the run.
    with transaction.atomic(savepoint=False):
        hold_alerts_write_lock()
        unacknowledged = []
        if hours:
            unacknowledged = _lapse(
                "acknowledged_at IS NOT NULL AND acknowledged_at <= %s",
                [_db_datetime(now - datetime.timedelta(hours=hours))],
                kind=EventKind.UNACKNOWLEDGED,
                note=NOTE_TIMEOUT,
                now=now,
                run=run,
            )
        unsnoozed = _lapse(
            "snoozed_until IS NOT NULL AND snoozed_until <= %s",
            [_db_datetime(now)],
            kind=EventKind.UNSNOOZED,
            note=NOTE_EXPIRED,
            now=now,
            run=run,
        )
    if unacknowledged or unsnoozed:
        logger.info(
            "Lapsed %d acknowledgement(s) (timeout) and %d snooze(s) (expired).",
            len(unacknowledged),
            len(unsnoozed),
        )
    return LapseResult(unacknowledged=unacknowledged, unsnoozed=unsnoozed)


def lapse_on_escalation(
    *, alert_ids: AlertIds, now: datetime.datetime, run: GenerationRun | None = None
) -> LapseResult:
    """A priority increase ends the acknowledgement and the snooze (note `escalated`).

    For the merge, inside its transaction and under its lock: `alert_ids` are
    the escalated alerts (a queryset of ids, e.g. over the merge's table, or
    the ids its UPDATE … RETURNING gave). Set-based: two UPDATEs, two INSERTs.
    """
    with transaction.atomic(savepoint=False):
        unacknowledged = _unacknowledge(alert_ids, actor=None, note=NOTE_ESCALATED, now=now, run=run)
        unsnoozed = _unsnooze(alert_ids, actor=None, note=NOTE_ESCALATED, now=now, run=run)
    return LapseResult(unacknowledged=unacknowledged, unsnoozed=unsnoozed)


# The statements. Each UPDATE's condition is the state it changes (see the module's docstring).


def _acknowledge(alert_ids: AlertIds, *, user, note: str, now: datetime.datetime) -> list[int]:
    changed = _update(
        alert_ids,
        "acknowledged_at = %s, acknowledged_by_id = %s",
        [_db_datetime(now), user.pk],
        "acknowledged_at IS NULL",
        [],
        now=now,
    )
    _insert_events(changed, kind=EventKind.ACKNOWLEDGED, actor=user, note=note, now=now)
    return changed


def _unacknowledge(
    alert_ids: AlertIds,
    *,
    actor,
    note: str,
    now: datetime.datetime,
    run: GenerationRun | None = None,
    notify: bool = False,
) -> list[int]:
    changed = _update(
        alert_ids,
        "acknowledged_at = NULL, acknowledged_by_id = NULL",
        [],
        "acknowledged_at IS NOT NULL",
        [],
        now=now,
    )
    _insert_events(
        changed, kind=EventKind.UNACKNOWLEDGED, actor=actor, note=note, now=now, run=run, notify=notify
    )
    return changed


def _snooze(
    alert_ids: AlertIds, *, user, until: datetime.datetime, reason: str, now: datetime.datetime
) -> list[int]:
    stamp = _db_datetime(until)
    changed = _update(
        alert_ids,
        "snoozed_until = %s, snoozed_by_id = %s, snooze_reason = %s",
        [stamp, user.pk, reason],
        "(snoozed_until IS NULL OR snoozed_until <> %s OR snooze_reason <> %s)",
        [stamp, reason],
        now=now,
    )
    _insert_events(changed, kind=EventKind.SNOOZED, actor=user, note=reason, now=now)
    return changed


def _unsnooze(
    alert_ids: AlertIds,
    *,
    actor,
    note: str,
    now: datetime.datetime,
    run: GenerationRun | None = None,
    notify: bool = False,
) -> list[int]:
    # Only a snooze that still holds: one whose `until` passed is no longer
    # a snooze, and the periodic run records it as expired.
    changed = _update(
        alert_ids,
        "snoozed_until = NULL, snoozed_by_id = NULL, snooze_reason = ''",
        [],
        "snoozed_until > %s",
        [_db_datetime(now)],
        now=now,
    )
    _insert_events(changed, kind=EventKind.UNSNOOZED, actor=actor, note=note, now=now, run=run, notify=notify)
    return changed


def _lapse(
    condition: str, params: list, *, kind: str, note: str, now: datetime.datetime, run: GenerationRun | None
) -> list[int]:
    clear = (
        "acknowledged_at = NULL, acknowledged_by_id = NULL"
        if kind == EventKind.UNACKNOWLEDGED
        else "snoozed_until = NULL, snoozed_by_id = NULL, snooze_reason = ''"
    )
    changed = _update(None, clear, [], condition, params, now=now)
    _insert_events(changed, kind=kind, actor=None, note=note, now=now, run=run)
    return changed


def _update(
    alert_ids: AlertIds | None,
    assignments: str,
    assignment_params: list,
    condition: str,
    condition_params: list,
    *,
    now: datetime.datetime,
) -> list[int]:
    """UPDATE the active alerts among `alert_ids` (all if None) that match `condition`; their ids."""
    scope_sql, scope_params = ("", []) if alert_ids is None else _ids_condition(alert_ids)
    if alert_ids is not None and not scope_sql:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE alerts_alert SET {assignments}, updated_at = %s "
            f"WHERE is_active = %s AND {condition}{' AND ' + scope_sql if scope_sql else ''} "
            "RETURNING id",
            [*assignment_params, _db_datetime(now), True, *condition_params, *scope_params],
        )
        return sorted(row[0] for row in cursor.fetchall())


def _insert_events(
    alert_ids: list[int],
    *,
    kind: str,
    actor,
    note: str,
    now: datetime.datetime,
    run: GenerationRun | None = None,
    notify: bool = False,
) -> None:
    """One INSERT of one event per alert, with the alert's priority (`write_events`).

    With `notify`, the notices of those events are enqueued in the same
    transaction (DESIGN §12.1): one more statement, whatever their number.
    """
    if not alert_ids:
        return
    bound = event_bound() if notify else 0
    with connection.cursor() as cursor:
        write_events(
            cursor,
            kind=kind,
            alert_ids=alert_ids,
            at=now,
            run_id=run.pk if run is not None else None,
            actor_id=actor.pk if actor is not None else None,
            note=note,
        )
    if notify:
        enqueue_notifications(events=events_after(bound, at=now, kind=kind, actor=actor), now=now)


def _ids_condition(alert_ids: AlertIds) -> tuple[str, list]:
    """`id` among `alert_ids` as SQL: a subquery for a queryset, one array parameter for a list.

    One parameter whatever the number of ids, so SQLite's limit on
    parameters never splits a statement.
    """
    if isinstance(alert_ids, QuerySet):
        sql, params = alert_ids.order_by().values("pk").query.sql_with_params()
        return f"id IN ({sql})", list(params)
    ids = [int(pk) for pk in alert_ids]
    if not ids:
        return "", []
    if len(ids) == 1:
        return "id = %s", ids
    return ids_condition("id", ids)


def _ensure_active(alert_id: int) -> None:
    """Nothing changed: say why if it is an error (unknown or resolved alert)."""
    if not Alert.objects.filter(pk=alert_id).values_list("is_active", flat=True).get():
        raise AlertResolved(_("This alert is resolved; it can no longer be acknowledged or snoozed."))


def _db_datetime(value: datetime.datetime):
    return connection.ops.adapt_datetimefield_value(value)
