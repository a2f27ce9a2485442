"""`generate_alerts` and `alert_stats` as an operator uses them."""

import datetime
import json
import os
import sqlite3
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from alerts.models import Alert, GenerationRun
from alerts.services import mark_read
from tests.factories import AssetFactory, MaintenanceFactory, UserFactory

NOON_UTC = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=datetime.UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


@pytest.fixture
def fleet():
    MaintenanceFactory(scheduled_date=datetime.date(2026, 6, 10))  # overdue
    MaintenanceFactory(scheduled_date=datetime.date(2026, 6, 16))  # due soon
    AssetFactory(status="OUT_OF_SERVICE")


def run(*args) -> str:
    out = StringIO()
    call_command("generate_alerts", *args, stdout=out)
    return out.getvalue()


def test_prints_one_summary_line(fleet):
    output = run()

    assert output.startswith("Generation finished: 3 created, 0 updated, 0 resolved, 0 unchanged in ")
    assert output.rstrip().endswith("ms (due soon 1, overdue 1, assets 1)")
    assert GenerationRun.objects.get().trigger == "CLI"


def test_second_run_reports_nothing_new(fleet):
    run()
    assert run().startswith("Generation finished: 0 created, 0 updated, 0 resolved, 3 unchanged")


def test_json_output(fleet):
    data = json.loads(run("--json", "--trigger", "cron"))

    assert data["status"] == "SUCCESS"
    assert (data["created"], data["updated"], data["resolved"], data["unchanged"]) == (3, 0, 0, 0)
    assert GenerationRun.objects.get(pk=data["run"]).trigger == "CRON"


def test_dry_run_writes_nothing(fleet):
    output = run("--dry-run")

    assert output.startswith("Dry run (nothing written): 3 created")
    assert not Alert.objects.exists()
    assert not GenerationRun.objects.exists()


def test_asset_option_limits_the_run(fleet):
    asset = AssetFactory(status="NEEDS_MAINTENANCE")

    output = run("--asset", str(asset.pk))

    assert output.startswith("Generation finished: 1 created")
    assert list(Alert.objects.values_list("asset", flat=True)) == [asset.pk]


def test_unknown_asset_is_refused(fleet):
    with pytest.raises(CommandError, match=r"Unknown asset id\(s\): 999999\."):
        run("--asset", "999999")
    assert not GenerationRun.objects.exists()


def test_alert_stats_prints_the_monitoring_line(fleet):
    run()
    mark_read(alerts=Alert.objects.filter(kind="MAINTENANCE_DUE_SOON"), user=UserFactory())
    out = StringIO()

    call_command("alert_stats", stdout=out)

    assert out.getvalue().strip() == "Total: 3 | Unread: 2 | Critical: 0"


def test_alert_stats_refuses_a_bad_interval():
    with pytest.raises(CommandError, match="greater than 0"):
        call_command("alert_stats", "--watch", "0")


class TestExitCodes:
    """Real processes, as cron and an operator run them."""

    @pytest.fixture
    def env(self, tmp_path: Path) -> dict:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
            "SECRET_KEY": "cli-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            "ALERTSITE_ENV_FILE": str(tmp_path / "absent.env"),
            "DJANGO_SETTINGS_MODULE": "alertsite.settings",
        }
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"], cwd=settings.BASE_DIR, env=env, check=True
        )
        return env

    def manage(self, env, *args):
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
        )

    def test_success_exits_zero(self, env):
        result = self.manage(env, "generate_alerts", "--trigger", "cron")
        assert result.returncode == 0, result.stderr
        assert "Generation finished: 0 created" in result.stdout

    def test_unknown_asset_exits_one_with_one_line(self, env):
        result = self.manage(env, "generate_alerts", "--asset", "42")
        assert result.returncode == 1
        assert result.stderr.strip() == "CommandError: Unknown asset id(s): 42."

    def test_failure_exits_one_and_says_why(self, env, tmp_path):
        # A database whose alert table is missing: the run cannot complete.
        db = tmp_path / "cli.sqlite3"
        with sqlite3.connect(db) as conn:
            conn.execute("DROP TABLE IF EXISTS alerts_alert")
        result = self.manage(env, "generate_alerts")

        assert result.returncode == 1
        [line] = result.stderr.strip().splitlines()
        assert line.startswith("CommandError: Generation failed: OperationalError: no such table")
        with sqlite3.connect(db) as conn:
            status, error = conn.execute("SELECT status, error FROM alerts_generationrun").fetchone()
        assert status == "FAILED" and "no such table" in error
