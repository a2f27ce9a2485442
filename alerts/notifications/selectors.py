"""Read side of the outbox: its health for `scheduler_status`, `/api/alerts/scheduler` and `/healthz`."""

import datetime

from django.db.models import Count, Min, Q
from django.utils import timezone

from alerts.choices import NotificationStatus
from alerts.models import Notification

# A due notice waiting longer than this makes /healthz "degraded".
DEGRADED_AFTER = datetime.timedelta(minutes=10)


def outbox_status(*, now: datetime.datetime | None = None) -> dict:
    """`pending` (waiting, due or not), `oldest_pending_seconds` (longest a due one waited),
    `dead_last_24h`, and `degraded`. One query."""
    now = now or timezone.now()
    waiting = Q(status__in=[NotificationStatus.PENDING, NotificationStatus.FAILED])
    row = Notification.objects.aggregate(
        pending=Count("id", filter=waiting),
        oldest_due=Min("next_attempt_at", filter=waiting & Q(next_attempt_at__lte=now)),
        dead=Count(
            "id",
            filter=Q(status=NotificationStatus.DEAD, next_attempt_at__gte=now - datetime.timedelta(hours=24)),
        ),
    )
    oldest = row["oldest_due"]
    waited = max((now - oldest).total_seconds(), 0) if oldest is not None else 0
    return {
        "pending": row["pending"],
        "oldest_pending_seconds": round(waited),
        "dead_last_24h": row["dead"],
        "degraded": waited > DEGRADED_AFTER.total_seconds(),
    }
