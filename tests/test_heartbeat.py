"""The dead man's switch (DESIGN §15): a GET after each successful full generation, to a real server."""

import datetime
import logging
import socket
import sqlite3
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from alerts import heartbeat
from alerts.choices import RunStatus
from alerts.generation import faults
from alerts.models import Alert, GenerationRun
from tests.cli import manage, migrated_env
from tests.factories import MaintenanceFactory


class Receiver:
    """A loopback HTTP server that records every request and answers the statuses it is given."""

    def __init__(self):
        self.requests: list[tuple[str, str, str]] = []
        self.statuses: list[int] = []  # answers in turn; 200 once they run out
        self.delay = 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                receiver.requests.append((self.command, self.path, self.headers.get("User-Agent", "")))
                time.sleep(receiver.delay)
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"OK")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/ping/secret-check-id"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    with Receiver() as receiver:
        settings.ALERTS_HEARTBEAT_URL = receiver.url
        yield receiver


@pytest.fixture
def dead_url() -> str:
    """A loopback port nobody listens on: the connection is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/ping/secret-check-id"


@pytest.fixture(autouse=True)
def quick_retry(monkeypatch):
    monkeypatch.setattr(heartbeat, "RETRY_PAUSE_SECONDS", 0)


def generate(*args) -> str:
    out = StringIO()
    call_command("generate_alerts", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
class TestAfterAGeneration:
    def test_a_full_run_pings_once(self, receiver):
        MaintenanceFactory(scheduled_date=datetime.date(2020, 1, 1))

        assert generate().startswith("Generation finished: 1 created")

        assert receiver.requests == [("GET", "/ping/secret-check-id", "alertsite-heartbeat")]

    def test_every_successful_run_pings(self, receiver):
        generate("--trigger", "cron")
        generate("--json")

        assert len(receiver.requests) == 2

    @pytest.mark.parametrize("args", [["--dry-run"], ["--asset", "{asset}"]])
    def test_no_ping_for_a_dry_run_or_a_partial_run(self, receiver, args):
        maintenance = MaintenanceFactory()

        generate(*[a.format(asset=maintenance.asset_id) for a in args])

        assert receiver.requests == []

    def test_nothing_is_sent_when_unset(self, receiver, settings, caplog):
        settings.ALERTS_HEARTBEAT_URL = ""

        with caplog.at_level(logging.INFO, logger="alerts"):
            generate()

        assert receiver.requests == []
        assert "Heartbeat" not in caplog.text

    def test_one_retry_after_an_error_answer(self, receiver, caplog):
        receiver.statuses = [503]

        with caplog.at_level(logging.INFO, logger="alerts"):
            generate()

        assert len(receiver.requests) == 2
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING]

    def test_two_failures_are_a_warning_not_a_failed_run(self, receiver, caplog):
        receiver.statuses = [500, 500]

        with caplog.at_level(logging.INFO, logger="alerts"):
            output = generate()

        assert output.startswith("Generation finished")
        assert len(receiver.requests) == 2
        [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert "Heartbeat" in warning.getMessage() and "HTTP Error 500" in warning.getMessage()
        # The check's id (often its secret) stays out of the log.
        assert "secret-check-id" not in caplog.text

    def test_a_receiver_slower_than_the_timeout_is_a_failure(self, receiver, monkeypatch, caplog):
        monkeypatch.setattr(heartbeat, "TIMEOUT_SECONDS", 0.2)
        receiver.delay = 1

        with caplog.at_level(logging.WARNING, logger="alerts"):
            generate()

        assert len(receiver.requests) == 2
        assert "timed out" in caplog.text

    def test_a_dead_port_is_logged(self, settings, dead_url, caplog):
        settings.ALERTS_HEARTBEAT_URL = dead_url

        with caplog.at_level(logging.WARNING, logger="alerts"):
            assert generate().startswith("Generation finished")

        assert "Heartbeat to http://127.0.0.1:" in caplog.text
        assert "refused" in caplog.text.lower()

    def test_only_http_urls(self, settings, caplog):
        settings.ALERTS_HEARTBEAT_URL = f"file://{settings.BASE_DIR / 'manage.py'}"

        with caplog.at_level(logging.WARNING, logger="alerts"):
            generate()

        assert "must be an http(s) URL" in caplog.text


@pytest.mark.django_db
class TestEveryEntryPoint:
    """The ping lives in the generation itself: every successful full run sends it, whoever starts it."""

    def test_the_api_generation_pings(self, receiver, manager_client):
        response = manager_client.post("/api/alerts/generate")

        assert response.status_code == 200
        assert receiver.requests == [("GET", "/ping/secret-check-id", "alertsite-heartbeat")]

    def test_the_admin_generation_pings(self, receiver, admin_client):
        response = admin_client.post(reverse("admin:alerts_alert_generate"))

        assert response.status_code == 302
        assert len(receiver.requests) == 1

    def test_a_dead_heartbeat_does_not_fail_the_api_generation(self, dead_url, settings, manager_client):
        settings.ALERTS_HEARTBEAT_URL = dead_url

        response = manager_client.post("/api/alerts/generate")

        assert response.status_code == 200
        assert GenerationRun.objects.get(pk=response.json()["run"]).status == RunStatus.SUCCESS

    def test_no_ping_for_a_failed_api_generation(self, receiver, manager_client):
        with faults.fail_at(faults.RECORDED, RuntimeError("disk full")):
            response = manager_client.post("/api/alerts/generate")

        assert response.status_code == 503
        assert receiver.requests == []

    def test_no_ping_for_an_instant_refresh(self, receiver, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            MaintenanceFactory(scheduled_date=datetime.date(2020, 1, 1))

        assert Alert.objects.count() == 1
        assert receiver.requests == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_no_ping_when_the_run_is_skipped(receiver, other_session):
    from alerts.services import GENERATION_LOCK_KEY

    other_session.execute("SELECT pg_advisory_lock(%s)", [GENERATION_LOCK_KEY])

    assert generate().startswith("Generation skipped")

    assert receiver.requests == []


class TestRealProcess:
    """`manage.py generate_alerts` as cron runs it: the exit code is the run's, never the ping's."""

    @pytest.fixture
    def env(self, tmp_path: Path) -> dict:
        return migrated_env(tmp_path)

    def test_dead_port_run_succeeds_with_exit_zero_and_a_warning(self, env, dead_url):
        env = {**env, "ALERTS_HEARTBEAT_URL": dead_url}

        result = manage(env, "generate_alerts", "--trigger", "cron")

        assert result.returncode == 0, result.stderr
        assert "Generation finished" in result.stdout
        [warning] = [line for line in result.stdout.splitlines() if " WARNING " in line]
        assert "alerts.heartbeat: Heartbeat to http://127.0.0.1:" in warning
        assert "failed after 2 attempts" in warning

    def test_a_failed_run_sends_no_heartbeat(self, env, tmp_path):
        with sqlite3.connect(tmp_path / "cli.sqlite3") as conn:
            conn.execute("DROP TABLE alerts_alert")
        with Receiver() as receiver:
            result = manage({**env, "ALERTS_HEARTBEAT_URL": receiver.url}, "generate_alerts")

        assert result.returncode == 1
        assert receiver.requests == []

    def test_a_live_receiver_gets_the_cron_runs_ping(self, env):
        with Receiver() as receiver:
            result = manage(
                {**env, "ALERTS_HEARTBEAT_URL": receiver.url}, "generate_alerts", "--trigger", "cron"
            )

        assert result.returncode == 0, result.stderr
        assert receiver.requests == [("GET", "/ping/secret-check-id", "alertsite-heartbeat")]
