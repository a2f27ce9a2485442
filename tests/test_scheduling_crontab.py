"""The real crontab and cron daemon: install, keep other lines, run under cron's empty environment.

These tests change the current user's crontab: they save it first, restore it
after, and take a file lock so that two test runs on one machine never edit
it at the same time. (django-crontab has no setting for another user's
crontab, and a throwaway user could not run a virtualenv kept in root's home.)
"""

import fcntl
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from alerts.scheduling import cron_daemon_running
from tests.scheduling_site import free_port, http_get, require_program

UNRELATED = [
    "# an unrelated job that the alertsite tests must leave alone",
    "17 3 * * 1 true unrelated-weekly-job",
]
LINE = re.compile(r"^(?:\S+\s+){5}(?P<command>[^#]*?)\s*#\s*(?P<comment>.*)$")


class UserCrontab:
    def __init__(self, program: str):
        self.program = program

    def read(self) -> list[str]:
        listing = subprocess.run([self.program, "-l"], capture_output=True, text=True)
        return listing.stdout.splitlines() if listing.returncode == 0 else []

    def write(self, lines: list[str]) -> None:
        subprocess.run([self.program, "-"], input="\n".join(lines) + "\n", text=True, check=True)

    def ours(self) -> list[str]:
        return [line for line in self.read() if line.endswith(f"# {settings.CRONTAB_COMMENT}")]

    def job(self, command: str) -> str:
        """Our line that runs `command`: django-crontab writes the jobs in the order of CRONJOBS."""
        commands = [job[2][0] for job in settings.CRONJOBS]
        lines = self.ours()
        assert len(lines) == len(commands), lines
        return lines[commands.index(command)]

    def generation(self) -> str:
        return self.job("generate_alerts")

    def others(self) -> list[str]:
        return [line for line in self.read() if line not in self.ours()]


@pytest.fixture
def user_crontab():
    """The current user's crontab, holding only UNRELATED lines during the test."""
    program = require_program("crontab")
    with open(Path(tempfile.gettempdir()) / "alertsite-crontab-tests.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        saved = subprocess.run([program, "-l"], capture_output=True, text=True)
        crontab = UserCrontab(program)
        crontab.write(UNRELATED)
        try:
            yield crontab
        finally:
            if saved.returncode == 0:
                subprocess.run([program, "-"], input=saved.stdout, text=True, check=True)
            else:
                subprocess.run([program, "-r"], capture_output=True)


def command_of(line: str) -> str:
    return LINE.match(line)["command"]


def test_crontab_add_show_remove_keep_unrelated_lines(site, user_crontab):
    site.manage("crontab", "add")
    site.manage("crontab", "add")

    assert user_crontab.others() == UNRELATED
    line, notify = user_crontab.generation(), user_crontab.job("send_notifications")
    assert line.startswith("*/5 * * * * ")
    # The second job delivers the notifications' outbox every minute (DESIGN §12).
    assert notify.startswith("* * * * * ") and "send_notifications" in site.manage("crontab", "show").stdout
    assert "generate_alerts" in site.manage("crontab", "show").stdout
    assert site.status()["installed"] is True

    site.manage("crontab", "remove")

    assert user_crontab.read() == UNRELATED
    assert site.status()["installed"] is False


def test_the_crontab_line_holds_no_secret(site, user_crontab):
    site.configure(DATABASE_URL=site.database_url.replace("://", "://alertsite:s3cret-pass@", 1))
    site.manage("crontab", "add")

    line = "\n".join(user_crontab.ours())  # every job of ours
    assert site.config["SECRET_KEY"] not in line
    assert "s3cret-pass" not in line
    assert "DATABASE_URL" not in line
    assert f"ALERTSITE_ENV_FILE={site.env_file}" in line


def test_installed_line_records_a_cron_run_under_an_empty_environment(site, user_crontab):
    site.manage("crontab", "add")
    line = user_crontab.generation()

    # What cron does: a shell with (almost) nothing in its environment.
    subprocess.run(["env", "-i", "sh", "-c", command_of(line)], cwd="/", timeout=120)

    status = site.status()
    assert status["last_run"] is not None, f"no run recorded; log:\n{site.log()}"
    assert status["last_run"]["trigger"] == "CRON"
    assert status["last_run"]["status"] == "SUCCESS", site.log()
    assert status["stale"] is False
    assert "Generation finished" in site.log()


def test_a_failing_cron_run_is_recorded_logged_and_reported(site, user_crontab):
    refuse_alerts = {
        "sqlite": [
            "CREATE TRIGGER refuse_alerts BEFORE INSERT ON alerts_alert "
            "BEGIN SELECT RAISE(ABORT, 'alerts refused by the test'); END"
        ],
        "postgresql": [
            "CREATE FUNCTION refuse_alerts() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'alerts refused by the test'; END $$",
            "CREATE TRIGGER refuse_alerts BEFORE INSERT ON alerts_alert "
            "FOR EACH ROW EXECUTE FUNCTION refuse_alerts()",
        ],
    }[connection.vendor]
    site.execute_sql(refuse_alerts)
    try:
        # Overdue work the generation must alert on (the instant refresh fails quietly first).
        site.shell(
            "import datetime; from django.utils import timezone\n"
            "from tests.factories import MaintenanceFactory\n"
            "MaintenanceFactory(scheduled_date=timezone.localdate() - datetime.timedelta(days=3))"
        )
        site.manage("crontab", "add")
        line = user_crontab.generation()
        subprocess.run(["env", "-i", "sh", "-c", command_of(line)], cwd="/", timeout=120)

        status = site.status()
        human = site.manage("scheduler_status", "--no-color").stdout
    finally:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("DROP TRIGGER refuse_alerts ON alerts_alert")
                cursor.execute("DROP FUNCTION refuse_alerts()")

    assert status["last_run"]["trigger"] == "CRON"
    assert status["last_run"]["status"] == "FAILED"
    assert "alerts refused by the test" in status["last_run"]["error"]
    assert "ERROR alerts.generation.service: Generation failed (trigger CRON)" in site.log()
    assert "Last run:     FAILED (cron)" in human
    assert "alerts refused by the test" in human


def test_crontab_add_refuses_a_malformed_schedule_and_keeps_the_crontab(site, user_crontab):
    site.manage("crontab", "add")
    before = user_crontab.read()
    site.configure(ALERTS_SCHEDULE="61 * * * *")

    result = site.manage("crontab", "add", check=False)

    assert result.returncode != 0
    assert "minute 61 is out of range (0-59)" in result.stderr
    assert user_crontab.read() == before


def test_ensure_crontab_is_idempotent_and_follows_a_new_schedule(site, user_crontab):
    first = site.manage("ensure_crontab")
    installed = user_crontab.read()
    second = site.manage("ensure_crontab")

    assert "Crontab entry installed" in first.stdout
    assert "already up to date" in second.stdout
    assert user_crontab.read() == installed

    site.configure(ALERTS_SCHEDULE="0 9-17 * * mon-fri")
    third = site.manage("ensure_crontab")

    assert "Crontab entry installed (0 9-17 * * mon-fri)" in third.stdout
    line = user_crontab.generation()
    assert line.startswith("0 9-17 * * mon-fri ")
    assert user_crontab.others() == UNRELATED
    assert site.status()["installed"] is True


def test_pause_removes_the_entry_and_resume_puts_it_back(site, user_crontab):
    site.manage("ensure_crontab")
    site.configure(ALERTS_CRON_ENABLED="false")

    paused = site.manage("ensure_crontab")

    assert "paused (ALERTS_CRON_ENABLED is off): crontab entry removed." in paused.stdout
    assert user_crontab.read() == UNRELATED
    assert site.status()["installed"] is False

    site.configure(ALERTS_CRON_ENABLED="true")
    site.manage("ensure_crontab")

    assert len(user_crontab.ours()) == len(settings.CRONJOBS)  # every job of ours
    assert site.status()["installed"] is True


def test_start_script_migrates_generates_installs_and_serves(site, user_crontab, tmp_path):
    if connection.vendor == "sqlite":
        (tmp_path / "db.sqlite3").unlink()  # a fresh machine: start from no database at all
    port = free_port()
    server = subprocess.Popen(
        [str(Path(settings.BASE_DIR) / "scripts" / "start")],
        env=site.environment(PORT=str(port), PYTHON=sys.executable),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        status, body = http_get(f"http://127.0.0.1:{port}/healthz", timeout=120)
    finally:
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=30)[0]

    assert (status, body["status"]) == (200, "ok"), output
    scheduler = site.status()
    assert scheduler["last_run"]["trigger"] == "STARTUP"
    assert scheduler["installed"] is True, output
    assert user_crontab.others() == UNRELATED


@pytest.fixture
def cron_daemon():
    """A running cron daemon: the host's, or one started (and stopped) by the test."""
    program = require_program("cron")
    if cron_daemon_running():
        yield
        return
    daemon = subprocess.Popen([program, "-f"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)
    if daemon.poll() is not None:
        pytest.fail(f"`{program} -f` exited at once with status {daemon.returncode}")
    try:
        yield
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)


def finished(run: dict | None) -> bool:
    return run is not None and run["status"] != "RUNNING"


@pytest.mark.slow
def test_cron_daemon_records_a_cron_run_within_about_a_minute(site, user_crontab, cron_daemon):
    site.configure(ALERTS_SCHEDULE="* * * * *")
    site.manage("crontab", "add")

    deadline = time.monotonic() + 75
    status = site.status()
    while not finished(status["last_run"]) and time.monotonic() < deadline:
        time.sleep(3)
        status = site.status()

    assert status["last_run"] is not None, (
        "cron recorded no run within 75 s of `crontab add` with schedule '* * * * *'.\n"
        f"crontab:\n{chr(10).join(user_crontab.read())}\nlog:\n{site.log()}"
    )
    assert status["last_run"]["trigger"] == "CRON"
    assert status["last_run"]["status"] == "SUCCESS", site.log()


def start_demo(site, port: int) -> subprocess.Popen:
    """Start scripts/run on this site, its data already there (no seeding)."""
    site.configure(DEBUG="true")
    site.shell("from assets.models import Asset; Asset.objects.create(code='DEMO-1', name='Demo pump')")
    return subprocess.Popen(
        [str(Path(settings.BASE_DIR) / "scripts" / "run")],
        env=site.environment(PORT=str(port)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.parametrize("stop", ["INT", "TERM"])
def test_demo_removes_its_crontab_entry_when_stopped(site, user_crontab, stop):
    port = free_port()
    demo = start_demo(site, port)
    try:
        status, _body = http_get(f"http://127.0.0.1:{port}/healthz", timeout=180)
        assert status == 200
        assert len(user_crontab.ours()) == len(settings.CRONJOBS)
    finally:
        demo.send_signal(getattr(signal, f"SIG{stop}"))
        output = demo.communicate(timeout=60)[0]

    assert "run: crontab entry removed" in output, output
    assert user_crontab.read() == UNRELATED
    with pytest.raises(OSError):
        http_get(f"http://127.0.0.1:{port}/healthz", timeout=1)  # the server went with it


def test_demo_removes_its_crontab_entry_when_the_server_exits(site, user_crontab):
    with socket.socket() as taken:  # the port is busy: runserver exits at once
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        demo = start_demo(site, taken.getsockname()[1])
        output = demo.communicate(timeout=180)[0]

    assert demo.returncode != 0
    assert "run: crontab entry removed" in output, output
    assert user_crontab.read() == UNRELATED


@pytest.fixture
def counted_crontab(user_crontab, tmp_path, settings):
    """The real crontab behind a wrapper that counts `crontab -l`; yields a call counter."""
    calls = tmp_path / "crontab-l-calls"
    calls.touch()
    wrapper = tmp_path / "crontab"
    wrapper.write_text(f'#!/bin/sh\n[ "$1" = -l ] && echo >> "{calls}"\nexec "{user_crontab.program}" "$@"\n')
    wrapper.chmod(0o755)
    settings.CRONTAB_EXECUTABLE = str(wrapper)
    return lambda: len(calls.read_text().splitlines())


def test_scheduler_endpoint_reuses_a_recent_crontab_listing(technician_client, counted_crontab, monkeypatch):
    from alerts import scheduling

    first = technician_client.get("/api/alerts/scheduler").json()
    second = technician_client.get("/api/alerts/scheduler").json()
    assert (first["installed"], second["installed"], counted_crontab()) == (False, False, 1)

    call_command("ensure_crontab", stdout=StringIO(), stderr=StringIO())
    # This process changed the crontab: no answer from before the change.
    assert technician_client.get("/api/alerts/scheduler").json()["installed"] is True
    reads = counted_crontab()

    monkeypatch.setattr(scheduling, "CRONTAB_STATE_MAX_AGE", 0.2)
    monkeypatch.setattr("alerts.api.views.CRONTAB_STATE_MAX_AGE", 0.2)
    time.sleep(0.3)
    technician_client.get("/api/alerts/scheduler")
    assert counted_crontab() == reads + 1  # older than the maximum age: read again
