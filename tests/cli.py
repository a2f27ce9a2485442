"""`manage.py` in a real process, on a fresh SQLite file, as cron and an operator run it."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings


def migrated_env(tmp_path: Path) -> dict:
    """The environment of a site on its own migrated SQLite file under `tmp_path`."""
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


def manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
