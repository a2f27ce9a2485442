"""`GET /metrics`: Prometheus gauges read from the database at scrape time (DESIGN §15).

Every figure comes from the database when Prometheus asks, not from counters
kept in a process, so every web process and host answers the same and no
multiprocess mode is needed. A scrape costs one query per family source below,
whatever the number of alerts or runs.
"""

import datetime
import hmac
import logging
from collections.abc import Callable, Iterable, Iterator

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, Min, Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

from alerts.choices import AlertKind, Channel, NotificationStatus, Priority, RunStatus
from alerts.models import GenerationRun, Notification
from alerts.selectors import active_alert_counts

logger = logging.getLogger(__name__)

PLAIN_TEXT = "text/plain; charset=utf-8"


def alert_families(now: datetime.datetime) -> Iterator[Metric]:
    """Active alerts by priority and kind (every combination, 0 included), and their states.

    One grouped query. "Acknowledged" and "snoozed" count active alerts only,
    like `/api/alerts/stats`; an alert is snoozed while `snoozed_until` lies ahead.
    """
    rows = active_alert_counts(now=now)
    active = dict.fromkeys(((p, k) for p in Priority.values for k in AlertKind.values), 0)
    unread = acknowledged = snoozed = 0
    for row in rows:
        active[row["priority"], row["kind"]] += row["total"]
        unread += row["unread"]
        acknowledged += row["acknowledged"]
        snoozed += row["snoozed"]

    family = GaugeMetricFamily(
        "alertsite_alerts_active", "Active alerts by priority and kind.", labels=["priority", "kind"]
    )
    for (priority, kind), value in active.items():
        family.add_metric([priority, kind], value)
    yield family
    yield GaugeMetricFamily("alertsite_alerts_unread", "Active alerts nobody has read.", value=unread)
    yield GaugeMetricFamily(
        "alertsite_alerts_acknowledged", "Active alerts someone has acknowledged.", value=acknowledged
    )
    yield GaugeMetricFamily("alertsite_alerts_snoozed", "Active alerts snoozed right now.", value=snoozed)


def generation_families(now: datetime.datetime) -> Iterator[Metric]:
    """The last successful generation, and the runs of the last 24 hours by status.

    Two queries. Before any successful run the timestamp is 0 (so a "stale"
    rule fires) and the duration has no sample.
    """
    last = (
        GenerationRun.objects.filter(status=RunStatus.SUCCESS)
        .order_by("-started_at", "-id")
        .values("started_at", "finished_at", "duration_ms")
        .first()
    )
    timestamp = GaugeMetricFamily(
        "alertsite_generation_last_success_timestamp_seconds",
        "Unix time at which the last successful generation finished (0: none yet).",
        value=(last["finished_at"] or last["started_at"]).timestamp() if last else 0,
    )
    yield timestamp
    duration = GaugeMetricFamily(
        "alertsite_generation_last_duration_seconds", "Duration of the last successful generation."
    )
    if last and last["duration_ms"] is not None:
        duration.add_metric([], last["duration_ms"] / 1000)
    yield duration

    counts = dict.fromkeys(RunStatus.values, 0)
    rows = (
        GenerationRun.objects.filter(started_at__gt=now - datetime.timedelta(hours=24))
        .order_by()
        .values("status")
        .annotate(total=Count("id"))
    )
    for row in rows:
        counts[row["status"]] += row["total"]
    runs = GaugeMetricFamily(
        "alertsite_generation_runs_last_24h",
        "Generation runs started in the last 24 hours, by status.",
        labels=["status"],
    )
    for status, value in counts.items():
        runs.add_metric([status], value)
    yield runs


def notification_families(now: datetime.datetime) -> Iterator[Metric]:
    """The outbox by channel and status (every combination, 0 included), and its oldest due notice.

    One grouped query. The oldest pending is the longest a due PENDING or
    FAILED notice has waited (0 when none), as `/healthz` counts it.
    """
    waiting = Q(status__in=[NotificationStatus.PENDING, NotificationStatus.FAILED])
    rows = (
        Notification.objects.order_by()
        .values("subscription__channel", "status")
        .annotate(
            total=Count("id"), oldest_due=Min("next_attempt_at", filter=waiting & Q(next_attempt_at__lte=now))
        )
    )
    counts = dict.fromkeys(((c, s) for c in Channel.values for s in NotificationStatus.values), 0)
    oldest = None
    for row in rows:
        counts[row["subscription__channel"], row["status"]] += row["total"]
        if row["oldest_due"] is not None and (oldest is None or row["oldest_due"] < oldest):
            oldest = row["oldest_due"]

    family = GaugeMetricFamily(
        "alertsite_notifications",
        "Notifications in the outbox by channel and status.",
        labels=["channel", "status"],
    )
    for (channel, status), value in counts.items():
        family.add_metric([channel, status], value)
    yield family
    yield GaugeMetricFamily(
        "alertsite_notifications_oldest_pending_seconds",
        "Seconds the oldest due notification has waited to be delivered (0: none).",
        value=max((now - oldest).total_seconds(), 0) if oldest is not None else 0,
    )


# Each source yields its families from a constant number of queries. A new
# group of gauges is one more function here.
FAMILY_SOURCES: tuple[Callable[[datetime.datetime], Iterable[Metric]], ...] = (
    alert_families,
    generation_families,
    notification_families,
)


class DatabaseCollector(Collector):
    """Reads every gauge from the database when the registry is collected."""

    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        for source in FAMILY_SOURCES:
            yield from source(now)

    def describe(self) -> Iterable[Metric]:
        # Registering must not query the database (it would at import time).
        return ()


# A registry of its own: the process-local default collectors (CPU, memory of
# this one worker) would differ from process to process.
registry = CollectorRegistry(auto_describe=False)
registry.register(DatabaseCollector())


def _authorized(request: HttpRequest, token: str) -> bool:
    scheme, _, supplied = request.headers.get("Authorization", "").partition(" ")
    # Constant time: the comparison reveals nothing about how much of a guess was right.
    return scheme.lower() == "bearer" and hmac.compare_digest(supplied.strip().encode(), token.encode())


@never_cache
@require_safe
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus text format; `Authorization: Bearer <METRICS_TOKEN>` required.

    404 while `METRICS_TOKEN` is unset (the endpoint does not exist), 401
    without the token or with a wrong one, 503 when the database cannot be read.
    """
    token = settings.METRICS_TOKEN
    if not token:
        return HttpResponse("Not found.\n", status=404, content_type=PLAIN_TEXT)
    if not _authorized(request, token):
        response = HttpResponse("Missing or wrong metrics token.\n", status=401, content_type=PLAIN_TEXT)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    try:
        body = encoder(registry)
    except DatabaseError as error:
        logger.warning("Metrics scrape: database unreachable: %s", error)
        return HttpResponse(
            "The database is unavailable.\n",
            status=503,
            content_type=PLAIN_TEXT,
            headers={"Retry-After": "5"},
        )
    return HttpResponse(body, content_type=content_type)
