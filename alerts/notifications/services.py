"""Notifications: enqueue set-based, deliver with retries (DESIGN §12).

Enqueue is one `INSERT … SELECT … ON CONFLICT (dedup_key) DO NOTHING` per
source (events, repeats, digests): the unique dedup key makes every path
idempotent, whatever runs at the same time. Delivery takes due rows (`FOR
UPDATE SKIP LOCKED` on PostgreSQL, so several senders share the work; one
sender at a time on SQLite), cancels what is no longer relevant, sends
webhooks concurrently and emails over one SMTP connection, and records the
outcome of the whole batch in one statement.
"""

import base64
import contextlib
import datetime
import logging
import random
import secrets
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from alerts.choices import (
    Channel,
    EventKind,
    NotificationKind,
    NotificationStatus,
    SubscriptionMode,
)
from alerts.generation.locks import sqlite_file_lock
from alerts.models import AlertEvent, Notification, Subscription
from alerts.notifications import payloads, transport
from alerts.notifications.matching import (
    TABLES,
    due_at_sql,
    local_now,
    match_sql,
    not_snoozed_sql,
    rank_sql,
)

logger = logging.getLogger(__name__)

FIRING_EVENTS = (EventKind.CREATED, EventKind.ESCALATED, EventKind.UNACKNOWLEDGED, EventKind.UNSNOOZED)
DUE_STATUSES = (NotificationStatus.PENDING, NotificationStatus.FAILED)
# Notices taken per batch (and per transaction on PostgreSQL).
BATCH_SIZE = 200
# Webhooks in flight at once.
WEBHOOK_THREADS = 8
MAX_BACKOFF = datetime.timedelta(hours=1)

_COLUMNS = (
    "subscription_id, alert_id, event_id, kind, dedup_key, status, attempts, "
    "next_attempt_at, last_error, response_status, created_at, sent_at"
)


def _insert(select_sql: str, params: list) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLES['notification']} ({_COLUMNS}) {select_sql} "
            "ON CONFLICT (dedup_key) DO NOTHING",
            params,
        )
        return max(cursor.rowcount, 0)


def enqueue_notifications(*, events: QuerySet[AlertEvent], now: datetime.datetime | None = None) -> int:
    """Enqueue the notices the given events give: one statement, whatever their number.

    `CREATED`, `ESCALATED`, `UNACKNOWLEDGED` and `UNSNOOZED` events give `FIRING`
    notices, `RESOLVED` events `RESOLVED` notices where `send_resolved`, to every
    active IMMEDIATE subscription that wants the alert at the event's priority.
    Call it in the transaction that wrote the events. Returns how many notices
    were enqueued (an event already enqueued is not enqueued again).
    """
    now = now or timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    events_sql, events_params = events.order_by().values("id").query.sql_with_params()
    due_sql, due_params = due_at_sql(now=now, priority="e.priority")
    firing = ", ".join(f"'{kind}'" for kind in FIRING_EVENTS)
    select = (
        f"SELECT s.id, e.alert_id, e.id, "
        f"CASE WHEN e.kind = '{EventKind.RESOLVED}' THEN '{NotificationKind.RESOLVED}' "
        f"ELSE '{NotificationKind.FIRING}' END, "
        "'evt-' || CAST(e.id AS TEXT) || '-sub-' || CAST(s.id AS TEXT), "
        f"'{NotificationStatus.PENDING}', 0, {due_sql}, '', NULL, %s, NULL "
        f"FROM {TABLES['event']} e JOIN {TABLES['alert']} a ON a.id = e.alert_id "
        f"JOIN {TABLES['asset']} ast ON ast.id = a.asset_id "
        f"JOIN {TABLES['subscription']} s ON s.mode = '{SubscriptionMode.IMMEDIATE}' "
        f"WHERE e.id IN ({events_sql}) "
        f"AND (e.kind IN ({firing}) OR (e.kind = '{EventKind.RESOLVED}' AND s.send_resolved)) "
        f"AND {match_sql(rank=rank_sql('e.priority'))}"
    )
    return _insert(select, [*due_params, adapt(now), *events_params])


def enqueue_due(*, now: datetime.datetime) -> dict[str, int]:
    """Enqueue the repeats and digests due at `now` (the periodic run; idempotent).

    A repeat goes to an IMMEDIATE subscription with `repeat_hours` for an
    active, unacknowledged, unsnoozed alert it still wants, whose last
    `FIRING`/`REPEAT` notice was sent at least that long ago and none is
    waiting. A digest goes to a DIGEST subscription once per local date, from
    `digest_at`, if at least one alert matches.
    """
    return {"repeats": _enqueue_repeats(now=now), "digests": _enqueue_digests(now=now)}


def _enqueue_repeats(*, now: datetime.datetime) -> int:
    adapt = connection.ops.adapt_datetimefield_value
    if connection.vendor == "postgresql":
        old_enough = "h.last_sent <= %s - s.repeat_hours * INTERVAL '1 hour'"
    else:
        # Text comparison of Django's SQLite datetimes (UTC, "YYYY-MM-DD HH:MM:SS[.ffffff]").
        old_enough = "h.last_sent <= datetime(%s, '-' || s.repeat_hours || ' hours')"
    due_sql, due_params = due_at_sql(now=now, priority="a.priority")
    kinds = f"'{NotificationKind.FIRING}', '{NotificationKind.REPEAT}'"
    open_statuses = ", ".join(f"'{status}'" for status in DUE_STATUSES)
    # The slot (how many FIRING/REPEAT notices the pair had) makes the key:
    # two runs at once compute the same one.
    select = (
        "SELECT s.id, a.id, NULL, "
        f"'{NotificationKind.REPEAT}', "
        "'rep-' || CAST(s.id AS TEXT) || '-' || CAST(a.id AS TEXT) || '-' || CAST(h.n AS TEXT), "
        f"'{NotificationStatus.PENDING}', 0, {due_sql}, '', NULL, %s, NULL "
        "FROM (SELECT subscription_id, alert_id, COUNT(*) AS n, MAX(sent_at) AS last_sent, "
        f"SUM(CASE WHEN status IN ({open_statuses}) THEN 1 ELSE 0 END) AS waiting "
        f"FROM {TABLES['notification']} WHERE kind IN ({kinds}) "
        f"AND alert_id IN (SELECT id FROM {TABLES['alert']} WHERE is_active) "
        "GROUP BY subscription_id, alert_id) h "
        f"JOIN {TABLES['subscription']} s ON s.id = h.subscription_id "
        f"JOIN {TABLES['alert']} a ON a.id = h.alert_id "
        f"JOIN {TABLES['asset']} ast ON ast.id = a.asset_id "
        f"WHERE h.waiting = 0 AND h.last_sent IS NOT NULL AND s.mode = '{SubscriptionMode.IMMEDIATE}' "
        f"AND s.repeat_hours > 0 AND a.is_active AND a.acknowledged_at IS NULL AND {not_snoozed_sql()} "
        f"AND {old_enough} AND {match_sql(rank='a.priority_rank')}"
    )
    return _insert(select, [*due_params, adapt(now), adapt(now), adapt(now)])


def _enqueue_digests(*, now: datetime.datetime) -> int:
    adapt = connection.ops.adapt_datetimefield_value
    local = local_now(now)
    select = (
        f"SELECT s.id, NULL, NULL, '{NotificationKind.DIGEST}', "
        "'dig-' || CAST(s.id AS TEXT) || '-' || %s, "
        f"'{NotificationStatus.PENDING}', 0, %s, '', NULL, %s, NULL "
        f"FROM {TABLES['subscription']} s "
        f"WHERE s.is_active AND s.mode = '{SubscriptionMode.DIGEST}' AND s.digest_at <= %s "
        f"AND EXISTS (SELECT 1 FROM {TABLES['alert']} a JOIN {TABLES['asset']} ast ON ast.id = a.asset_id "
        f"WHERE a.is_active AND {not_snoozed_sql()} AND {match_sql(rank='a.priority_rank')})"
    )
    params = [
        local.date().isoformat(),
        adapt(now),
        adapt(now),
        connection.ops.adapt_timefield_value(local.time().replace(tzinfo=None)),
        adapt(now),
    ]
    return _insert(select, params)


# --- Delivery ---------------------------------------------------------------------------------


@dataclass
class DeliveryResult:
    """What one `send_notifications` did (or, for a dry run, would do)."""

    sent: int = 0
    failed: int = 0
    dead: int = 0
    cancelled: int = 0
    enqueued: int = 0
    due: int = 0
    skipped: bool = False
    dry_run: bool = False

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def due_notifications(*, now: datetime.datetime) -> QuerySet[Notification]:
    """Notices whose (next) attempt is due at `now`, oldest due first."""
    return Notification.objects.filter(status__in=DUE_STATUSES, next_attempt_at__lte=now).order_by(
        "next_attempt_at", "id"
    )


def send_notifications(
    *, now: datetime.datetime | None = None, dry_run: bool = False, batch_size: int = BATCH_SIZE
) -> DeliveryResult:
    """Enqueue the due repeats and digests, then deliver every due notice, batch by batch.

    With `dry_run`, count what is due and write or send nothing. On SQLite a
    second sender finds the first one's lock and returns `skipped`.
    """
    now = now or timezone.now()
    if dry_run:
        return DeliveryResult(due=due_notifications(now=now).count(), dry_run=True)
    result = DeliveryResult()
    with _sender_lock() as free:
        if not free:
            logger.info("Notification delivery skipped: another sender is running.")
            return DeliveryResult(skipped=True)
        with transaction.atomic():
            enqueued = enqueue_due(now=now)
        result.enqueued = enqueued["repeats"] + enqueued["digests"]
        with transport.WebhookClient() as client:
            while True:
                due = due_notifications(now=now)
                taken = _deliver_batch(due, client=client, result=result, limit=batch_size)
                if taken < batch_size:
                    break
    if result.failed or result.dead:
        logger.warning(
            "Notifications: %d sent, %d failed (will retry), %d dead, %d cancelled.",
            result.sent,
            result.failed,
            result.dead,
            result.cancelled,
        )
    return result


def deliver_now(*, notification: Notification) -> Notification:
    """Deliver one notice at once (the `test` action); returns it as recorded."""
    with _sender_lock(wait=True), transport.WebhookClient() as client:
        _deliver_batch(
            Notification.objects.filter(pk=notification.pk, status__in=DUE_STATUSES),
            client=client,
            result=DeliveryResult(),
            limit=1,
        )
    notification.refresh_from_db()
    return notification


def _deliver_batch(queryset, *, client, result: DeliveryResult, limit: int) -> int:
    """Take up to `limit` rows of `queryset`, deliver them, record; returns how many were taken."""
    postgres = connection.vendor == "postgresql"
    with transaction.atomic() if postgres else contextlib.nullcontext():
        if postgres:
            # Locked until the outcome is recorded: another sender skips them.
            queryset = queryset.select_for_update(skip_locked=True, of=("self",))
        related = ("subscription", "alert__asset", "event__actor")
        rows = list(queryset.select_related(*related)[:limit])
        if not rows:
            return 0
        now = timezone.now()
        relevant = {row.pk: _still_relevant(row, now) for row in rows}
        cancelled = [row for row in rows if not relevant[row.pk]]
        if cancelled:
            Notification.objects.filter(pk__in=[row.pk for row in cancelled]).update(
                status=NotificationStatus.CANCELLED, next_attempt_at=now
            )
            result.cancelled += len(cancelled)
        live = [row for row in rows if relevant[row.pk]]
        outcomes = _send(live, client=client, now=now)
        gone = _record(live, outcomes, result=result)
        with transaction.atomic():
            Notification.objects.bulk_update(
                live, ["status", "attempts", "next_attempt_at", "last_error", "response_status", "sent_at"]
            )
            if gone:
                # 410 Gone: the receiver asks us to stop.
                Subscription.objects.filter(pk__in=gone).update(is_active=False)
                logger.warning("Webhook subscription(s) %s answered 410 Gone: deactivated.", sorted(gone))
    return len(rows)


def _still_relevant(row: Notification, now: datetime.datetime) -> bool:
    if row.kind == NotificationKind.TEST:
        return True
    if not row.subscription.is_active:
        return False
    if row.kind in (NotificationKind.FIRING, NotificationKind.REPEAT):
        alert = row.alert
        snoozed = alert.snoozed_until is not None and alert.snoozed_until > now
        return alert.is_active and alert.acknowledged_at is None and not snoozed
    return True


def _send(rows: list[Notification], *, client, now: datetime.datetime) -> dict[int, transport.Outcome]:
    """Send every row: webhooks on a thread pool, emails meanwhile over one SMTP connection."""
    outcomes: dict[int, transport.Outcome] = {}
    digests = payloads.digests_for([row for row in rows if row.kind == NotificationKind.DIGEST], now=now)
    webhooks, emails = [], []
    for row in rows:
        digest = digests.get(row.pk)
        if row.kind == NotificationKind.DIGEST and digest is None:
            outcomes[row.pk] = transport.Outcome(error="nothing to report", cancelled=True)
        elif row.subscription.channel == Channel.WEBHOOK:
            webhooks.append((row, payloads.webhook_body(row, digest=digest, now=now)))
        else:
            emails.append((row, payloads.email_message(row, digest=digest)))
    with ThreadPoolExecutor(max_workers=WEBHOOK_THREADS) as pool:
        futures = {
            row.pk: pool.submit(client.post, row.subscription.target, body, _signed_headers(row, body))
            for row, body in webhooks
        }
        outcomes.update(transport.send_emails(emails))
        for pk, future in futures.items():
            outcomes[pk] = future.result()
    return outcomes


def _signed_headers(row: Notification, body: bytes) -> dict[str, str]:
    from standardwebhooks.webhooks import Webhook

    at = datetime.datetime.now(datetime.UTC)
    return {
        "Content-Type": "application/json",
        "User-Agent": "alertsite-webhooks",
        "webhook-id": row.dedup_key,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(row.subscription.secret).sign(row.dedup_key, at, body.decode()),
    }


def _record(rows: list[Notification], outcomes: dict, *, result: DeliveryResult) -> set[int]:
    """Apply each outcome to its row (in memory); returns the subscriptions that answered 410."""
    gone = set()
    finished = timezone.now()
    for row in rows:
        outcome = outcomes[row.pk]
        if outcome.cancelled:
            row.status, row.next_attempt_at = NotificationStatus.CANCELLED, finished
            result.cancelled += 1
            continue
        row.attempts += 1
        row.response_status = outcome.status_code
        row.last_error = outcome.error
        if outcome.ok:
            row.status, row.sent_at = NotificationStatus.SENT, finished
            result.sent += 1
        elif outcome.status_code == 410 or row.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
            row.status, row.next_attempt_at = NotificationStatus.DEAD, finished
            result.dead += 1
            if outcome.status_code == 410:
                gone.add(row.subscription_id)
        else:
            row.status = NotificationStatus.FAILED
            row.next_attempt_at = finished + backoff(row.attempts)
            result.failed += 1
    return gone


def backoff(attempts: int) -> datetime.timedelta:
    """Wait after the `attempts`-th failure: 1, 2, 4 … minutes, ±10 % jitter, at most 1 hour."""
    base = datetime.timedelta(minutes=2 ** min(attempts - 1, 10))
    return min(base * random.uniform(0.9, 1.1), MAX_BACKOFF)  # noqa: S311 (jitter, not a secret)


@contextlib.contextmanager
def _sender_lock(*, wait: bool = False) -> Iterator[bool]:
    """One sender at a time on SQLite (a `flock` beside the database); PostgreSQL needs none.

    PostgreSQL senders share the work through `SKIP LOCKED`. SQLite has one
    writer and no row locks: a second sender would send the same rows.
    """
    with sqlite_file_lock("notify-lock", wait=wait) as free:
        yield free


# --- Subscriptions and the delivery log -------------------------------------------------------


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def rotate_secret(*, subscription: Subscription) -> Subscription:
    """Give a webhook subscription a new secret (the old one stops verifying at once)."""
    subscription.secret = new_secret()
    subscription.save(update_fields=["secret"])
    return subscription


def send_test(*, subscription: Subscription) -> Notification:
    """Create a `TEST` notice for the subscription and deliver it at once."""
    now = timezone.now()
    notification = Notification.objects.create(
        subscription=subscription,
        kind=NotificationKind.TEST,
        dedup_key=f"test-{subscription.pk}-{uuid.uuid4().hex}",
        next_attempt_at=now,
        created_at=now,
    )
    return deliver_now(notification=notification)


class NotRetryable(Exception):
    """Only a FAILED or DEAD notice can be retried."""


def retry(*, notification: Notification) -> Notification:
    """A FAILED or DEAD notice back to PENDING, due now, with a fresh count of attempts."""
    changed = retry_notifications(notifications=Notification.objects.filter(pk=notification.pk))
    notification.refresh_from_db()
    if not changed:
        raise NotRetryable(notification.status)
    return notification


def retry_notifications(*, notifications: QuerySet[Notification]) -> int:
    """The FAILED and DEAD ones among `notifications` back to PENDING, due now; how many."""
    return notifications.filter(
        Q(status=NotificationStatus.FAILED) | Q(status=NotificationStatus.DEAD)
    ).update(status=NotificationStatus.PENDING, next_attempt_at=timezone.now(), attempts=0)
