"""Retention (prune_history) and abandoned runs (DESIGN §10)."""

import datetime
import os
import signal
import subprocess
import sys
import time
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from alerts.choices import RunStatus, RunTrigger
from alerts.generation import WRITE_LOCK_KEY
from alerts.generation.service import ABANDONED_ERROR
from alerts.models import Alert, AlertEvent, GenerationRun
from alerts.services import generate_alerts, refresh_asset_alerts
from assets.choices import AssetStatus
from tests.factories import AssetFactory

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=datetime.UTC)


def resolved_alert(resolved_days_ago: int) -> Alert:
    asset = AssetFactory(status=AssetStatus.OUT_OF_SERVICE)
    generate_alerts(
        asset_ids=[asset.pk], record_run=False, now=NOW - datetime.timedelta(days=resolved_days_ago + 1)
    )
    asset.status = AssetStatus.OPERATIONAL
    type(asset).objects.filter(pk=asset.pk).update(status=AssetStatus.OPERATIONAL)
    generate_alerts(
        asset_ids=[asset.pk], record_run=False, now=NOW - datetime.timedelta(days=resolved_days_ago)
    )
    return Alert.objects.get(asset=asset)


def prune(*args: str) -> str:
    out = StringIO()
    call_command("prune_history", *args, stdout=out)
    return out.getvalue()


def test_prune_removes_only_old_resolved_alerts_their_events_and_old_runs(frozen_clock):
    old, recent = resolved_alert(500), resolved_alert(10)
    active_asset = AssetFactory(status=AssetStatus.OUT_OF_SERVICE)
    generate_alerts(asset_ids=[active_asset.pk], record_run=False, now=NOW - datetime.timedelta(days=900))
    GenerationRun.objects.create(
        trigger=RunTrigger.CRON, status=RunStatus.SUCCESS, started_at=NOW - datetime.timedelta(days=401)
    )
    kept_run = GenerationRun.objects.create(
        trigger=RunTrigger.CRON, status=RunStatus.SUCCESS, started_at=NOW - datetime.timedelta(days=399)
    )

    assert prune("--dry-run").startswith("Would delete 1 alert(s)")
    assert Alert.objects.filter(pk=old.pk).exists()

    output = prune()

    assert output.startswith("Deleted 1 alert(s) resolved before 2025-05-11")
    assert "with 2 event(s), and 1 generation run(s)" in output
    assert not Alert.objects.filter(pk=old.pk).exists()
    assert Alert.objects.filter(pk=recent.pk).exists()
    assert Alert.objects.get(asset=active_asset).is_active  # 900 days old, still active: kept
    assert AlertEvent.objects.filter(alert=recent).count() == 2
    assert list(GenerationRun.objects.values_list("pk", flat=True)) == [kept_run.pk]


def test_prune_days_option_and_batches(frozen_clock):
    alerts = [resolved_alert(30) for _ in range(5)]
    from alerts.services import prune_history

    result = prune_history(days=20, batch_size=2)

    assert (result.alerts, result.events) == (5, 10)
    assert not Alert.objects.filter(pk__in=[a.pk for a in alerts]).exists()


def test_prune_refuses_negative_days():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--days"):
        prune("--days", "-1")


def test_prune_is_scheduled_daily_next_to_the_generation():
    commands = [job[2] for job in settings.CRONJOBS]
    assert ["generate_alerts"] in commands and ["prune_history"] in commands


def test_a_full_run_records_an_older_running_run_as_abandoned():
    dead = GenerationRun.objects.create(trigger=RunTrigger.CRON, status=RunStatus.RUNNING, started_at=NOW)
    refresh_asset_alerts([AssetFactory().pk])
    assert GenerationRun.objects.get(pk=dead.pk).status == RunStatus.RUNNING  # a refresh holds no run lock

    generate_alerts()

    dead.refresh_from_db()
    assert (dead.status, dead.error) == (RunStatus.FAILED, ABANDONED_ERROR)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_killed_generation_process_shows_as_failed_after_the_next_run(other_session):
    AssetFactory(status=AssetStatus.OUT_OF_SERVICE)
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        ),
        "SECRET_KEY": "kill-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "ALERTSITE_ENV_FILE": "/nonexistent.env",
        "DJANGO_SETTINGS_MODULE": "alertsite.settings",
    }
    # Hold the write lock so the process stops mid-run, after recording RUNNING.
    other_session.execute("SELECT pg_advisory_lock(%s)", [WRITE_LOCK_KEY])
    process = subprocess.Popen(
        [sys.executable, "manage.py", "generate_alerts", "--trigger", "cron"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        backend = None
        while backend is None and time.monotonic() < deadline:
            backend = other_session.execute(
                # This test's database only: other test processes share the server.
                "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE %s "
                "AND datname = %s",
                ["%pg_advisory_xact_lock%", db["NAME"]],
            ).fetchone()
            time.sleep(0.05)
        assert backend is not None, "the generation never reached its lock"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        other_session.execute("SELECT pg_advisory_unlock(%s)", [WRITE_LOCK_KEY])
    # The server notices the dead client and rolls back; wait for that.
    while other_session.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [backend[0]]).fetchone():
        assert time.monotonic() < deadline + 30
        time.sleep(0.05)
    killed = GenerationRun.objects.get()
    assert killed.status == RunStatus.RUNNING and not killed.events.exists()

    generate_alerts(trigger=RunTrigger.CRON)

    killed.refresh_from_db()
    assert (killed.status, killed.error) == (RunStatus.FAILED, ABANDONED_ERROR)
    out = StringIO()
    call_command("scheduler_status", stdout=out)
    assert "Last run:     SUCCESS" in out.getvalue()
