"""The schedule: validation, next run, staleness with a frozen clock, status command and API."""

import datetime
import json
import os
import subprocess
import sys
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
import yaml
from django.core.management import call_command
from django.test import override_settings

from alerts.choices import RunStatus, RunTrigger
from alerts.models import GenerationRun
from alerts.scheduling import InvalidSchedule, scheduler_status, validate_schedule
from tests.scheduling_site import MANAGE, SECRET

UTC = datetime.UTC


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=UTC)


def schedule(expression: str):
    from django.conf import settings

    return override_settings(ALERTS={**settings.ALERTS, "SCHEDULE": expression})


def run(started_at: datetime.datetime, status=RunStatus.SUCCESS, trigger=RunTrigger.CRON, **fields):
    return GenerationRun.objects.create(
        started_at=started_at,
        finished_at=started_at + datetime.timedelta(milliseconds=40),
        duration_ms=40,
        status=status,
        trigger=trigger,
        **fields,
    )


# The seed's frequency examples, as cron schedules (README "Scheduling").
SEED_EXAMPLES = [
    "* * * * *",
    "*/5 * * * *",
    "*/10 * * * *",
    "0 * * * *",
    "0 0,6,12,18 * * *",
    "0 */6 * * *",
    "0 9-17 * * mon-fri",
    "0 9-17 * * 1-5",
]


@pytest.mark.parametrize("expression", SEED_EXAMPLES)
def test_the_seed_examples_are_valid_schedules(expression):
    validate_schedule(expression)


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("61 * * * *", "minute 61 is out of range (0-59)"),
        ("0 24 * * *", "hour 24 is out of range (0-23)"),
        ("0 9 * * fri-mon", "goes backwards"),
        ("0 9 * * funday", "not a number or a name"),
        ("*/0 * * * *", "at least 1"),
        ("*/5 * * *", "has 4 field(s)"),
        ("0 */5 * * * *", "has 6 field(s)"),
        ("@hourly", "nicknames are not supported"),
        ("0 0 L * *", "not a number"),
        ("H * * * *", "not a number"),
        ("every 5 minutes", "has 3 field(s)"),
    ],
)
def test_malformed_schedules_are_rejected_with_the_reason(expression, reason):
    with pytest.raises(InvalidSchedule, match=None) as error:
        validate_schedule(expression)
    assert reason in str(error.value)


def test_manage_check_fails_on_a_malformed_schedule():
    result = subprocess.run(
        [sys.executable, str(MANAGE), "check"],
        env={
            "PATH": os.environ["PATH"],
            "ALERTSITE_ENV_FILE": "absent.env",
            "SECRET_KEY": SECRET,
            "ALERTS_SCHEDULE": "61 * * * *",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    assert "alerts.E001" in result.stderr
    assert "ALERTS_SCHEDULE is not a valid cron schedule: minute 61 is out of range (0-59)." in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.django_db
@time_machine.travel(at(2025, 3, 14, 12, 11, 20), tick=False)
def test_next_run_follows_the_schedule_in_the_site_time_zone():
    with schedule("*/5 * * * *"):
        assert scheduler_status()["next_run_at"] == at(2025, 3, 14, 12, 15)
    with schedule("0 9-17 * * mon-fri"), override_settings(TIME_ZONE="Europe/Paris"):
        # Friday 13:11 in Paris; the next start is 14:00 Paris time (13:00 UTC).
        upcoming = scheduler_status()["next_run_at"]
    assert upcoming == at(2025, 3, 14, 13, 0)
    assert upcoming.utcoffset() == datetime.timedelta(hours=1)


@pytest.mark.django_db
def test_stale_after_three_scheduled_runs_without_success():
    run(at(2025, 3, 14, 12, 0, 2))
    with schedule("*/5 * * * *"):
        with time_machine.travel(at(2025, 3, 14, 12, 15, 30), tick=False):
            # 12:05 and 12:10 were missed; 12:15 still has its minute to finish.
            assert scheduler_status()["stale"] is False
        with time_machine.travel(at(2025, 3, 14, 12, 16, 1), tick=False):
            assert scheduler_status()["stale"] is True


@pytest.mark.django_db
def test_failed_runs_do_not_keep_the_scheduler_fresh():
    run(at(2025, 3, 14, 12, 0, 2))
    for minute in (5, 10, 15):
        run(at(2025, 3, 14, 12, minute, 1), status=RunStatus.FAILED, error="OperationalError: boom")

    with schedule("*/5 * * * *"), time_machine.travel(at(2025, 3, 14, 12, 16, 1), tick=False):
        status = scheduler_status()

    assert status["stale"] is True
    assert status["last_run"]["status"] == RunStatus.FAILED
    assert status["last_run"]["error"] == "OperationalError: boom"
    assert status["last_success_at"] == at(2025, 3, 14, 12, 0, 2)


@pytest.mark.django_db
def test_a_quiet_weekend_is_not_an_outage_for_an_office_hours_schedule():
    run(at(2025, 3, 14, 17, 0, 3))  # Friday, last run of the week
    with schedule("0 9-17 * * mon-fri"):
        with time_machine.travel(at(2025, 3, 17, 10, 30), tick=False):  # Monday
            assert scheduler_status()["stale"] is False
        with time_machine.travel(at(2025, 3, 17, 11, 1, 1), tick=False):  # 9:00, 10:00, 11:00 missed
            assert scheduler_status()["stale"] is True


@pytest.mark.django_db
def test_never_generated_is_stale():
    assert scheduler_status()["stale"] is True
    assert scheduler_status()["last_run"] is None


@pytest.mark.django_db
@time_machine.travel(at(2025, 3, 14, 12, 11), tick=False)
def test_scheduler_status_command_prints_the_state_and_json():
    run(at(2025, 3, 14, 12, 10, 1), created=2, updated=1, resolved=3, unchanged=4)
    out = StringIO()
    with schedule("*/5 * * * *"):
        call_command("scheduler_status", stdout=out, no_color=True)
        human = out.getvalue()
        out = StringIO()
        call_command("scheduler_status", "--json", stdout=out)

    assert "Schedule:     */5 * * * *" in human
    assert "Next run:     2025-03-14 12:15:00 UTC" in human
    assert "SUCCESS (cron) at 2025-03-14 12:10:01 UTC: 2 created, 1 updated, 3 resolved, 4 unchanged" in human
    assert "State:        ok" in human
    data = json.loads(out.getvalue())
    assert set(data) == {
        "schedule",
        "installed",
        "last_run",
        "last_success_at",
        "next_run_at",
        "stale",
        "outbox",
    }
    assert data["next_run_at"] == "2025-03-14T12:15:00Z"
    assert data["last_run"]["trigger"] == "CRON"
    assert data["stale"] is False


def test_scheduler_endpoint_for_any_authenticated_user(technician_client):
    # Frozen shortly after the token was issued, so the token stays valid.
    now = datetime.datetime.now(UTC).replace(second=30, microsecond=0) + datetime.timedelta(minutes=1)
    success = run(now - datetime.timedelta(minutes=6))
    run(now - datetime.timedelta(minutes=1), status=RunStatus.SKIPPED)

    with schedule("*/5 * * * *"), time_machine.travel(now, tick=False):
        response = technician_client.get("/api/alerts/scheduler")
        with_slash = technician_client.get("/api/alerts/scheduler/")

    assert response.status_code == 200
    assert with_slash.status_code == 200
    body = response.json()
    assert body["schedule"] == "*/5 * * * *"
    assert isinstance(body["installed"], bool)
    assert body["last_run"]["status"] == "SKIPPED"
    assert datetime.datetime.fromisoformat(body["last_success_at"]) == success.started_at
    next_run = datetime.datetime.fromisoformat(body["next_run_at"])
    assert next_run.minute % 5 == 0
    assert datetime.timedelta(0) < next_run - now <= datetime.timedelta(minutes=5)
    assert body["stale"] is False


def test_scheduler_endpoint_needs_a_token(api_client):
    assert api_client.get("/api/alerts/scheduler").status_code == 401


@time_machine.travel(at(2025, 3, 14, 12, 11), tick=False)
def test_healthz_ok_then_degraded_when_stale(client, db):
    run(at(2025, 3, 14, 12, 10, 1))
    with schedule("*/5 * * * *"):
        fresh = client.get("/healthz")
        with time_machine.travel(at(2025, 3, 14, 12, 26, 1), tick=False):
            stale = client.get("/healthz/")

    assert fresh.status_code == 200
    assert fresh.json()["status"] == "ok"
    assert fresh.json()["database"] == "ok"
    assert stale.status_code == 200
    assert stale.json()["status"] == "degraded"
    assert stale.json()["scheduler"]["stale"] is True


def test_healthz_in_paris_time(client, db):
    run(datetime.datetime.now(UTC))
    with override_settings(TIME_ZONE="Europe/Paris"):
        body = client.get("/healthz").json()
    next_run = datetime.datetime.fromisoformat(body["scheduler"]["next_run_at"])
    assert next_run.tzinfo is not None
    assert next_run.astimezone(ZoneInfo("Europe/Paris")).minute % 5 == 0


def test_kubernetes_cronjob_runs_a_cron_generation_on_a_valid_schedule():
    manifest = yaml.safe_load((MANAGE.parent / "deploy" / "k8s-cronjob.yaml").read_text())
    (container,) = manifest["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]

    validate_schedule(manifest["spec"]["schedule"])
    assert manifest["spec"]["concurrencyPolicy"] == "Forbid"
    assert container["command"] == ["python", "manage.py", "generate_alerts", "--trigger", "cron"]
