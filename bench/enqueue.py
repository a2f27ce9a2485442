"""Enqueueing the notices of a generation for 10 subscriptions (DESIGN §12.1, issue 19), next to its floor.

Ten subscriptions with varied filters (priority thresholds, kinds, assigned to
me, a location, resolved notices or not, email and webhook) are created for the
measurement; the events are those a full generation wrote. Product:
`enqueue_notifications` on the run's events, exactly as the generation calls
it. Floor: one hand-written `INSERT … SELECT` of the same notices (the run's
events by their `run` column, the alert's stored rank, no quiet hours to
consider). Each runs in a transaction rolled back, the floor just before the
product, and must insert the same number of notices.
"""

import time

from django.db import connection, transaction

from alerts.choices import AlertKind, Channel, EventKind, NotificationKind, Priority
from alerts.models import AlertEvent, GenerationRun, Notification, Subscription

SUBSCRIPTIONS = (
    {"name": "All critical", "min_priority": Priority.CRITICAL},
    {"name": "High and up", "min_priority": Priority.HIGH},
    {"name": "Everything", "min_priority": Priority.LOW, "send_resolved": True},
    {"name": "Overdue only", "min_priority": Priority.MEDIUM, "kinds": [AlertKind.MAINTENANCE_OVERDUE]},
    {"name": "Mine", "min_priority": Priority.LOW, "assigned_to_me": True},
    {"name": "North plant", "min_priority": Priority.MEDIUM, "location": "north plant"},
    {
        "name": "Assets, resolved too",
        "min_priority": Priority.LOW,
        "kinds": [AlertKind.ASSET_NEEDS_MAINTENANCE],
        "send_resolved": True,
    },
    {"name": "Hall A, high", "min_priority": Priority.HIGH, "location": "Hall A"},
    {"name": "Ops webhook", "channel": Channel.WEBHOOK, "min_priority": Priority.HIGH, "send_resolved": True},
    {
        "name": "Due soon webhook",
        "channel": Channel.WEBHOOK,
        "min_priority": Priority.MEDIUM,
        "kinds": [AlertKind.MAINTENANCE_DUE_SOON, AlertKind.MAINTENANCE_OVERDUE],
    },
)

_RANK = {Priority.LOW: 1, Priority.MEDIUM: 2, Priority.HIGH: 3, Priority.CRITICAL: 4}
_FIRING = (EventKind.CREATED, EventKind.ESCALATED, EventKind.UNACKNOWLEDGED, EventKind.UNSNOOZED)

# The notices of one run's events, by hand: the subscriptions' thresholds as ranks computed once
# per subscription, the event's priority ranked inline.
FLOOR_SQL = f"""
INSERT INTO alerts_notification (subscription_id, alert_id, event_id, kind, dedup_key, status, attempts,
                                 next_attempt_at, last_error, response_status, created_at, sent_at)
SELECT s.id, e.alert_id, e.id,
       CASE WHEN e.kind = '{EventKind.RESOLVED}' THEN '{NotificationKind.RESOLVED}'
            ELSE '{NotificationKind.FIRING}' END,
       'evt-' || e.id || '-sub-' || s.id, 'PENDING', 0, %(now)s, '', NULL, %(now)s, NULL
FROM alerts_alertevent e
JOIN alerts_alert a ON a.id = e.alert_id
JOIN assets_asset ast ON ast.id = a.asset_id
JOIN (SELECT s.*, CASE s.min_priority {" ".join(f"WHEN '{p}' THEN {r}" for p, r in _RANK.items())} END AS rank
      FROM alerts_subscription s WHERE s.is_active AND s.mode = 'IMMEDIATE') s
  ON (CASE e.priority {" ".join(f"WHEN '{p}' THEN {r}" for p, r in _RANK.items())} END) >= s.rank
WHERE e.run_id = %(run)s
  AND (e.kind IN ({", ".join(f"'{k}'" for k in _FIRING)})
       OR (e.kind = '{EventKind.RESOLVED}' AND s.send_resolved))
  AND (NOT s.assigned_to_me OR a.assignee_id = s.user_id)
  AND (s.location = '' OR STRPOS(UPPER(ast.location), UPPER(s.location)) > 0)
  AND (s.kinds = '[]'::jsonb OR s.kinds @> jsonb_build_array(a.kind))
ON CONFLICT (dedup_key) DO NOTHING
"""


def create_subscriptions(user) -> list[Subscription]:
    """The ten subscriptions of the measurement, owned by `user`."""
    from alerts.notifications.services import new_secret

    subscriptions = []
    for spec in SUBSCRIPTIONS:
        channel = spec.get("channel", Channel.EMAIL)
        fields = {key: value for key, value in spec.items() if key != "channel"}
        subscriptions.append(
            Subscription(
                user=user,
                channel=channel,
                target="https://hooks.example.com/bench"
                if channel == Channel.WEBHOOK
                else "bench@example.com",
                secret=new_secret() if channel == Channel.WEBHOOK else "",
                **fields,
            )
        )
    return Subscription.objects.bulk_create(subscriptions)


def runs_to_measure() -> dict[str, GenerationRun]:
    """The latest full run that created alerts, and the latest one that changed or resolved some."""
    runs = GenerationRun.objects.filter(status="SUCCESS").order_by("-id")
    found = {}
    first = runs.filter(created__gt=0, updated=0, resolved=0).first()
    if first is not None:
        found["first"] = first
    changed = runs.filter(updated__gt=0).first() or runs.filter(resolved__gt=0).first()
    if changed is not None:
        found["changed"] = changed
    return found


def product(run: GenerationRun) -> tuple[float, int]:
    """`enqueue_notifications` on the run's events, as the generation calls it; rolled back."""
    from alerts.generation.events import events_after
    from alerts.notifications.services import enqueue_notifications

    events = events_after(0, at=run.started_at, run=run, actor=None)
    with transaction.atomic():
        started = time.perf_counter()
        count = enqueue_notifications(events=events, now=run.started_at)
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return seconds, count


def floor(run: GenerationRun) -> tuple[float, int]:
    """The same notices by one hand-written statement; rolled back."""
    with transaction.atomic(), connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(FLOOR_SQL, {"now": run.started_at, "run": run.pk})
        seconds = time.perf_counter() - started
        count = cursor.rowcount
        transaction.set_rollback(True)
    return seconds, count


def measure_enqueue(user) -> dict:
    """Both runs, floor then product, with the ten subscriptions (removed afterwards)."""
    if connection.vendor != "postgresql":
        raise NotImplementedError("the enqueue floor is written for PostgreSQL")
    subscriptions = create_subscriptions(user)
    try:
        result = {"subscriptions": len(subscriptions)}
        for name, run in runs_to_measure().items():
            events = AlertEvent.objects.filter(run=run).count()
            floor_seconds, floor_count = floor(run)
            seconds, count = product(run)
            result[name] = {
                "run": run.pk,
                "events": events,
                "notices": count,
                "seconds": seconds,
                "floor_seconds": floor_seconds,
                "floor_notices": floor_count,
            }
    finally:
        Notification.objects.filter(subscription__in=subscriptions).delete()
        Subscription.objects.filter(pk__in=[s.pk for s in subscriptions]).delete()
    return result


def condition(cell: dict) -> str:
    return f"{cell['events']:,} events × 10 subscriptions → {cell['notices']:,} notices"
