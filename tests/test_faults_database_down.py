"""The database does not answer: clients get a JSON 503 to retry, operators one readable line.

A real server (gunicorn, production settings) and real processes, pointed at
a PostgreSQL port where nothing listens. (A generation killed half-way is in
test_generation_faults.)
"""

import datetime
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
import uuid

import jwt
import pytest

from tests.scheduling_site import MANAGE, SECRET, free_port, http_get

PASSWORD = "s3cret-db-pass"
UNREACHABLE = f"postgres://alertsite:{PASSWORD}@127.0.0.1:1/unreachable"
SIGNING_KEY = "database-down-tests-jwt-signing-key"


def environment(tmp_path) -> dict:
    return {
        "PATH": os.environ["PATH"],
        "ALERTSITE_ENV_FILE": str(tmp_path / "absent.env"),
        "SECRET_KEY": SECRET,
        "DATABASE_URL": UNREACHABLE,
        "TRUST_X_FORWARDED_PROTO": "true",
        "JWT_SIGNING_KEY": SIGNING_KEY,
    }


def access_token(user_id: int, token_type: str = "access") -> str:
    """A valid token of the server's key: only the user lookup needs the database."""
    now = datetime.datetime.now(tz=datetime.UTC)
    claims = {
        "token_type": token_type,
        "exp": now + datetime.timedelta(minutes=5),
        "iat": now,
        "jti": uuid.uuid4().hex,
        "user_id": str(user_id),
    }
    return jwt.encode(claims, SIGNING_KEY, algorithm="HS256")


def request(url: str, *, method: str = "GET", body: dict | None = None, token: str | None = None):
    # As behind the TLS-terminating proxy of a production deployment (no HTTPS redirect).
    headers = {"Accept": "application/json", "X-Forwarded-Proto": "https"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        with urllib.request.urlopen(
            urllib.request.Request(url, data, headers, method=method), timeout=30
        ) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The server's address, and the file its output (the logs) goes to."""
    directory = tmp_path_factory.mktemp("server")
    port = free_port()
    log = directory / "server.log"
    with open(log, "w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "alertsite.wsgi:application", "--bind", f"127.0.0.1:{port}"],
            cwd=MANAGE.parent,
            env=environment(directory),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        http_get(f"{base}/healthz", timeout=60)  # up (and answering 503)
        yield base, log
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_healthz_is_a_503_for_load_balancers(server):
    base, _log = server

    status, headers, body = request(f"{base}/healthz")

    assert status == 503
    assert headers["Retry-After"] == "5"
    assert json.loads(body) == {"status": "unavailable", "database": "unreachable"}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/alerts", None),
        ("GET", "/api/alerts/stats", None),
        ("POST", "/api/alerts/generate", None),
        ("POST", "/api/maintenances", {"asset": 1, "title": "Check", "scheduled_date": "2030-01-01"}),
        ("PATCH", "/api/assets/1", {"status": "OUT_OF_SERVICE"}),
    ],
)
def test_api_requests_get_a_json_503_to_retry(server, method, path, body):
    base, _log = server
    status, headers, text = request(base + path, method=method, body=body, token=access_token(1))

    assert status == 503, text
    assert json.loads(text) == {"detail": "The database is unavailable; try again in a few seconds."}
    assert headers["Retry-After"] == "5"
    assert headers["Content-Type"].startswith("application/json")


def test_the_token_endpoint_gets_a_json_503_without_the_connection_details(server):
    base, log = server
    status, _headers, text = request(
        f"{base}/api/auth/token/", method="POST", body={"username": "manager", "password": "guess"}
    )

    assert status == 503
    assert "detail" in json.loads(text)
    assert PASSWORD not in text and "Traceback" not in text
    logged = log.read_text()
    assert "Database unavailable during /api/auth/token/" in logged
    assert PASSWORD not in logged and "Traceback" not in logged


def test_no_token_is_still_a_401(server):
    base, _log = server
    status, _headers, text = request(f"{base}/api/alerts")

    assert status == 401
    assert json.loads(text)["detail"]


def test_generate_alerts_exits_one_with_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, str(MANAGE), "generate_alerts", "--trigger", "cron"],
        env=environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("CommandError: Database unavailable: connection failed:")
    assert "Connection refused" in line
    assert PASSWORD not in result.stdout + result.stderr


def test_every_operation_of_the_schema_answers_its_documented_503(server):
    """The schema needs no database: ask the down server for it, then try each operation."""
    base, _log = server
    status, _headers, text = request(f"{base}/api/schema/?format=json")
    assert status == 200, text
    answers = {}
    for path, methods in json.loads(text)["paths"].items():
        for method, operation in methods.items():
            body = {
                "/api/auth/token/": {"username": "manager", "password": "guess"},
                "/api/auth/token/refresh/": {"refresh": access_token(1, "refresh")},
                "/api/auth/logout/": {"refresh": access_token(1, "refresh")},
            }.get(path, {})
            url = base + path.replace("{id}", "1")
            if path == "/api/calendar.ics/":
                url += "?token=1.secret"  # looked up in the database, like a real one
            status, headers, _text = request(url, method=method.upper(), body=body, token=access_token(1))
            documented = operation["responses"].get(str(status), {})
            answers[f"{method.upper()} {path}"] = (status, "Retry-After" in documented.get("headers", {}))

    assert answers == {operation: (503, True) for operation in answers}
