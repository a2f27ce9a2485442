"""`GET /metrics` as Prometheus scrapes it: figures from the database, a token of its own."""

import datetime
from pathlib import Path

import pytest
import time_machine
import yaml
from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from prometheus_client.parser import text_string_to_metric_families

from alerts.choices import AlertKind, Channel, NotificationStatus, Priority, RunStatus, RunTrigger
from alerts.models import Alert, GenerationRun, Notification, Subscription
from alerts.services import generate_alerts
from assets.choices import AssetStatus, Criticality
from tests.factories import AssetFactory, MaintenanceFactory, UserFactory

NOON_UTC = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=datetime.UTC)
TOKEN = "scrape-secret-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOON_UTC, tick=False):
        yield


@pytest.fixture(autouse=True)
def metrics_token(settings):
    settings.METRICS_TOKEN = TOKEN


def fleet(n: int = 1) -> None:
    """n copies of a fleet that raises alerts of several priorities and kinds."""
    for _ in range(n):
        MaintenanceFactory(scheduled_date=datetime.date(2026, 6, 1))  # overdue 14 days: CRITICAL
        MaintenanceFactory(scheduled_date=datetime.date(2026, 6, 13))  # overdue 2 days: HIGH
        MaintenanceFactory(scheduled_date=datetime.date(2026, 6, 16))  # due tomorrow: HIGH
        MaintenanceFactory(scheduled_date=datetime.date(2026, 6, 19))  # due in 4 days: MEDIUM
        AssetFactory(status=AssetStatus.OUT_OF_SERVICE, criticality=Criticality.LOW)  # HIGH
        AssetFactory(status=AssetStatus.NEEDS_MAINTENANCE, criticality=Criticality.LOW)  # LOW


def scrape(client) -> dict:
    """{name: {labels tuple: value}} of one scrape."""
    response = client.get("/metrics", headers=AUTH)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    families = {}
    for family in text_string_to_metric_families(response.content.decode()):
        families[family.name] = {tuple(sorted(s.labels.items())): s.value for s in family.samples}
    return families


def test_alert_gauges_match_the_database_after_a_generation(client):
    fleet()
    generate_alerts(trigger=RunTrigger.CLI)
    active = Alert.objects.filter(is_active=True)
    first, second, third, fourth = active.order_by("id")[:4]
    Alert.objects.filter(pk=first.pk).update(is_read=True)
    Alert.objects.filter(pk=second.pk).update(acknowledged_at=NOON_UTC)
    Alert.objects.filter(pk=third.pk).update(snoozed_until=NOON_UTC + datetime.timedelta(hours=1))
    # A snooze that has passed no longer counts, whether or not its event was written.
    Alert.objects.filter(pk=fourth.pk).update(snoozed_until=NOON_UTC - datetime.timedelta(seconds=1))
    # Resolved alerts count nowhere.
    Alert.objects.create(
        kind=AlertKind.ASSET_NEEDS_MAINTENANCE,
        priority=Priority.CRITICAL,
        priority_rank=4,
        asset=AssetFactory(),
        title="old",
        message="old",
        is_active=False,
        acknowledged_at=NOON_UTC,
        snoozed_until=NOON_UTC + datetime.timedelta(days=1),
        created_at=NOON_UTC,
        updated_at=NOON_UTC,
    )

    metrics = scrape(client)

    expected = {
        (row["kind"], row["priority"]): row["n"]
        for row in active.order_by().values("priority", "kind").annotate(n=Count("id"))
    }
    assert len(expected) == 6  # six of the twelve combinations; the others must be 0
    gauge = metrics["alertsite_alerts_active"]
    assert len(gauge) == len(Priority.values) * len(AlertKind.values)
    for kind in AlertKind.values:
        for priority in Priority.values:
            assert gauge[(("kind", kind), ("priority", priority))] == expected.get((kind, priority), 0)
    assert sum(gauge.values()) == 6
    assert metrics["alertsite_alerts_unread"] == {(): 5}
    assert metrics["alertsite_alerts_acknowledged"] == {(): 1}
    assert metrics["alertsite_alerts_snoozed"] == {(): 1}


def test_generation_gauges_match_the_runs(client):
    fleet()
    result = generate_alerts(trigger=RunTrigger.CRON)
    run = GenerationRun.objects.get(pk=result.run.pk)
    hour = datetime.timedelta(hours=1)
    for status, started in [
        (RunStatus.FAILED, NOON_UTC - 2 * hour),
        (RunStatus.SKIPPED, NOON_UTC - 23 * hour),
        # Older than 24 hours: not counted; older than the last success: not the last.
        (RunStatus.SUCCESS, NOON_UTC - 25 * hour),
    ]:
        GenerationRun.objects.create(
            trigger=RunTrigger.CRON, status=status, started_at=started, finished_at=started, duration_ms=9000
        )

    metrics = scrape(client)

    assert metrics["alertsite_generation_last_success_timestamp_seconds"] == {(): run.finished_at.timestamp()}
    assert metrics["alertsite_generation_last_duration_seconds"] == {(): run.duration_ms / 1000}
    assert metrics["alertsite_generation_runs_last_24h"] == {
        (("status", "RUNNING"),): 0,
        (("status", "SUCCESS"),): 1,
        (("status", "FAILED"),): 1,
        (("status", "SKIPPED"),): 1,
    }


def test_notification_gauges_match_the_outbox(client):
    fleet()
    mail = Subscription.objects.create(
        user=UserFactory(), name="mail", channel=Channel.EMAIL, target="a@example.com"
    )
    hook = Subscription.objects.create(
        user=UserFactory(), name="hook", channel=Channel.WEBHOOK, target="https://hooks.example.com/x"
    )
    generate_alerts(trigger=RunTrigger.CLI)  # FIRING notices for the HIGH and CRITICAL alerts, due now
    per_subscription = Notification.objects.filter(subscription=mail).count()
    assert per_subscription == 4
    minute = datetime.timedelta(minutes=1)
    first, second, *_ = Notification.objects.filter(subscription=hook).order_by("id")
    Notification.objects.filter(pk=first.pk).update(status=NotificationStatus.SENT)
    # Due for 7 minutes and retried: the oldest; one not due yet does not count.
    Notification.objects.filter(pk=second.pk).update(
        status=NotificationStatus.FAILED, next_attempt_at=NOON_UTC - 7 * minute
    )
    Notification.objects.filter(subscription=mail, status=NotificationStatus.PENDING).update(
        next_attempt_at=NOON_UTC - 3 * minute
    )
    Notification.objects.filter(subscription=hook, status=NotificationStatus.PENDING).update(
        next_attempt_at=NOON_UTC + 60 * minute
    )

    metrics = scrape(client)

    gauge = metrics["alertsite_notifications"]
    assert len(gauge) == len(Channel.values) * len(NotificationStatus.values)
    nonzero = {labels: value for labels, value in gauge.items() if value}
    assert nonzero == {
        (("channel", "EMAIL"), ("status", "PENDING")): 4,
        (("channel", "WEBHOOK"), ("status", "PENDING")): 2,
        (("channel", "WEBHOOK"), ("status", "SENT")): 1,
        (("channel", "WEBHOOK"), ("status", "FAILED")): 1,
    }
    assert metrics["alertsite_notifications_oldest_pending_seconds"] == {(): 7 * 60}


def test_an_empty_outbox_reports_zeros(client):
    metrics = scrape(client)

    assert set(metrics["alertsite_notifications"].values()) == {0}
    assert len(metrics["alertsite_notifications"]) == 10
    assert metrics["alertsite_notifications_oldest_pending_seconds"] == {(): 0}


def test_before_any_success_the_timestamp_is_zero(client):
    GenerationRun.objects.create(trigger=RunTrigger.CRON, status=RunStatus.FAILED, started_at=NOON_UTC)

    metrics = scrape(client)

    assert metrics["alertsite_generation_last_success_timestamp_seconds"] == {(): 0}
    assert metrics["alertsite_generation_last_duration_seconds"] == {}
    assert metrics["alertsite_alerts_unread"] == {(): 0}
    assert set(metrics["alertsite_alerts_active"].values()) == {0}


def test_a_scrape_costs_the_same_queries_for_few_and_many_alerts(client):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            scrape(client)
        return len(captured)

    fleet(1)
    generate_alerts(trigger=RunTrigger.CLI)
    few = count_queries()
    fleet(10)
    generate_alerts(trigger=RunTrigger.CLI)
    assert Alert.objects.filter(is_active=True).count() == 66

    assert count_queries() == few == 4  # alerts, last success, runs of 24 h, outbox


def test_openmetrics_when_asked(client):
    response = client.get(
        "/metrics/", headers={**AUTH, "Accept": "application/openmetrics-text; version=1.0.0"}
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/openmetrics-text")
    assert response.content.decode().rstrip().endswith("# EOF")


class TestToken:
    @pytest.mark.parametrize(
        "header",
        [
            None,
            "Bearer wrong",
            f"Bearer {TOKEN[:-1]}",
            f"Bearer {TOKEN}x",
            f"Basic {TOKEN}",
            TOKEN,
            "Bearer ",
        ],
    )
    def test_without_the_right_token_401(self, client, header):
        headers = {"Authorization": header} if header is not None else {}

        response = client.get("/metrics", headers=headers)

        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert b"alertsite_" not in response.content

    def test_a_jwt_is_not_a_metrics_token(self, client, manager):
        from rest_framework_simplejwt.tokens import AccessToken

        jwt = AccessToken.for_user(manager)
        response = client.get("/metrics", headers={"Authorization": f"Bearer {jwt}"})

        assert response.status_code == 401

    def test_unset_token_hides_the_endpoint(self, client, settings):
        settings.METRICS_TOKEN = ""

        for headers in ({}, {"Authorization": "Bearer "}, AUTH):
            response = client.get("/metrics", headers=headers)
            assert response.status_code == 404
            assert response["Content-Type"].startswith("text/plain")

    def test_no_session_or_csrf_cookie_and_no_caching(self, client):
        response = client.get("/metrics", headers=AUTH)

        assert response.status_code == 200
        assert not response.cookies
        assert "no-cache" in response["Cache-Control"]

    def test_only_safe_methods(self, client):
        assert client.post("/metrics", headers=AUTH).status_code == 405
        assert client.head("/metrics", headers=AUTH).status_code == 200


class TestDeployFiles:
    """The shipped Prometheus configuration matches what the endpoint serves."""

    deploy = Path(settings.BASE_DIR) / "deploy" / "prometheus"

    def test_scrape_config_targets_metrics_with_the_token(self):
        config = yaml.safe_load((self.deploy / "prometheus.yml").read_text())

        [job] = config["scrape_configs"]
        assert job["metrics_path"] == "/metrics"
        assert job["authorization"]["type"] == "Bearer"
        assert "alertsite.rules.yml" in config["rule_files"]

    def test_rules_use_the_gauges_of_design(self, client):
        rules = yaml.safe_load((self.deploy / "alertsite.rules.yml").read_text())
        expressions = {rule["alert"]: rule["expr"] for group in rules["groups"] for rule in group["rules"]}

        stale = expressions["AlertsiteGenerationStale"]
        piling_up = expressions["AlertsiteNotificationsPilingUp"]
        assert "alertsite_generation_last_success_timestamp_seconds" in stale
        assert "alertsite_generation_last_success_timestamp_seconds" in scrape(client)
        # The outbox gauges of DESIGN §15.
        assert "alertsite_notifications_oldest_pending_seconds" in piling_up
        assert "alertsite_notifications{" in piling_up
