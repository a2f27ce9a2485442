"""End to end: a real server in a subprocess, driven with the seed's curl commands.

The demo manager, with curl alone, gets a token, lists alerts, filters the
critical ones, marks one read, regenerates and reads the stats (issue 4's
"done when"). The server runs the production settings against a migrated
SQLite file, whatever database the rest of the suite uses.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEMO_PASSWORD = "e2e-demo-password"

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A migrated, seeded SQLite file and the environment to run the project on it."""
    tmp = tmp_path_factory.mktemp("e2e")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp),
        "DJANGO_SETTINGS_MODULE": "alertsite.settings",
        "ALERTSITE_ENV_FILE": str(tmp / "no.env"),
        "SECRET_KEY": "e2e-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "ALERTS_LOG_FILE": str(tmp / "generate_alerts.log"),
        "DEMO_PASSWORD": DEMO_PASSWORD,
    }
    manage("migrate", "--no-input", env=env)
    manage("seed_demo", "--assets", "30", "--maintenances", "120", env=env)
    return env


@pytest.fixture(scope="module")
def server(site):
    port = free_port()
    # A file, not a pipe: a full pipe would block the server.
    log = Path(site["HOME"]) / "runserver.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=PROJECT_DIR,
            env=site,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process, log)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def wait_until_up(base: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"runserver exited: {log.read_text()}")
        try:
            urllib.request.urlopen(f"{base}/api/alerts", timeout=1)
        except urllib.error.HTTPError:
            return  # 401: the server answers
        except OSError:
            time.sleep(0.2)
    pytest.fail("runserver did not answer within 30 s")


def curl(*args: str) -> tuple[int, object]:
    """Run curl; return the HTTP status and the decoded JSON body."""
    result = subprocess.run(
        ["curl", "--silent", "--show-error", "--write-out", "\n%{http_code}", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    body, _, status = result.stdout.rpartition("\n")
    return int(status), json.loads(body) if body else None


def test_the_demo_managers_day_with_curl(site, server):
    # A token with the password …
    status, tokens = curl(
        "-X",
        "POST",
        "-H",
        "Content-Type: application/json",
        "-d",
        json.dumps({"username": "manager", "password": DEMO_PASSWORD}),
        f"{server}/api/auth/token/",
    )
    assert status == 200 and set(tokens) == {"access", "refresh"}
    # … or from issue_token, as the README's curl examples do.
    token = manage("issue_token", "manager", env=site).stdout.strip()
    auth = ("-H", f"Authorization: Bearer {token}")

    # The seed's regeneration, exactly as written there (no trailing slash, POST not redirected).
    status, generated = curl("-X", "POST", *auth, f"{server}/api/alerts/generate")
    assert status == 200
    assert list(generated)[:3] == ["message", "alerts_created", "alerts_updated"]
    assert generated["alerts_created"] > 0

    # The seed's list: an array of the active alerts, most urgent first.
    status, alerts = curl(*auth, f"{server}/api/alerts")
    assert status == 200
    assert isinstance(alerts, list) and len(alerts) == generated["alerts_created"]
    ranks = {"LOW": 1, "MEDIUM": 2, "HIGH": 3, "CRITICAL": 4}
    assert [ranks[a["priority"]] for a in alerts] == sorted(
        (ranks[a["priority"]] for a in alerts), reverse=True
    )

    status, critical = curl(*auth, f"{server}/api/alerts?priority=CRITICAL")
    assert status == 200
    assert critical and {a["priority"] for a in critical} == {"CRITICAL"}

    status, read = curl("-X", "POST", *auth, f"{server}/api/alerts/{critical[0]['id']}/read")
    assert status == 200 and read["is_read"] is True

    status, stats = curl(*auth, f"{server}/api/alerts/stats")
    assert status == 200
    assert stats["total"] == len(alerts)
    assert stats["unread"] == len(alerts) - 1
    assert stats["critical"] == len(critical)

    status, again = curl("-X", "POST", *auth, f"{server}/api/alerts/generate/")
    assert status == 200
    assert (again["alerts_created"], again["alerts_unchanged"]) == (0, len(alerts))


def test_without_a_token_the_answer_is_a_json_401(server):
    status, body = curl(f"{server}/api/alerts")

    assert status == 401
    assert body == {"detail": "Authentication credentials were not provided."}


def test_issue_token_for_an_unknown_user_fails_in_one_line(site):
    result = subprocess.run(
        [sys.executable, "manage.py", "issue_token", "nobody"],
        cwd=PROJECT_DIR,
        env=site,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == ["CommandError: No user named 'nobody'."]
