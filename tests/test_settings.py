"""Settings read from the environment: refuse to start insecurely, pass Django's deploy checks."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

MANAGE = Path(__file__).resolve().parent.parent / "manage.py"
# The configuration under test, and what other tests set in this process (the
# browser tests allow sync database calls under Playwright's event loop).
NOT_INHERITED = {
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """Run manage.py in a fresh process with only the given configuration."""
    base = {key: value for key, value in os.environ.items() if key not in NOT_INHERITED}
    return subprocess.run(
        [sys.executable, str(MANAGE), *args],
        env={**base, "ALERTSITE_ENV_FILE": "/nonexistent/alertsite.env", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_refuses_to_start_without_secret_key_when_debug_is_off():
    result = manage("check", DEBUG="0")

    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "SECRET_KEY" in lines[0]
    assert "Traceback" not in result.stderr + result.stdout


def test_production_configuration_passes_the_deploy_checks():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(45),
        ALLOWED_HOSTS="example.com",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_checks_catch_a_weak_key():
    """The check above can fail: a short key is reported."""
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY="short",
        ALLOWED_HOSTS="example.com",
    )

    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


@pytest.mark.parametrize("name", ["", "Mars/Olympus_Mons", "Europe", "../etc/passwd"])
def test_refuses_to_start_with_an_invalid_time_zone(name):
    result = manage("check", DEBUG="1", TIME_ZONE=name)

    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        f"alertsite: TIME_ZONE={name!r} is not a time zone name; use one such as UTC or Europe/Paris."
    ]


def test_starts_with_a_valid_time_zone():
    result = manage("check", DEBUG="1", TIME_ZONE="Europe/Paris")

    assert result.returncode == 0, result.stderr


def _signing_key(**env: str) -> str:
    result = manage(
        "shell",
        "--verbosity",
        "0",
        "-c",
        "from django.conf import settings; print(settings.SIMPLE_JWT['SIGNING_KEY'])",
        DEBUG="0",
        ALLOWED_HOSTS="example.com",
        **env,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_jwt_signing_key_is_derived_from_the_secret_key_but_is_not_it():
    secret = secrets.token_urlsafe(45)

    derived = _signing_key(SECRET_KEY=secret)

    assert derived not in ("", secret)
    assert _signing_key(SECRET_KEY=secret) == derived
    assert _signing_key(SECRET_KEY=secrets.token_urlsafe(45)) != derived


def test_jwt_signing_key_rotates_apart_from_the_secret_key():
    key = secrets.token_urlsafe(45)

    assert _signing_key(SECRET_KEY=secrets.token_urlsafe(45), JWT_SIGNING_KEY=key) == key
