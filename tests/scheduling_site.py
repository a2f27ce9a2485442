"""A deployed site for the scheduling tests: its own env file, database, log and processes.

Cron starts jobs with an empty environment, so these tests run the project in
fresh processes configured only by an env file, exactly as cron does. The
database is the test database on PostgreSQL; on SQLite (an in-memory test
database no other process can see) it is a file copied from a migrated template.
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
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection

MANAGE = Path(settings.BASE_DIR) / "manage.py"
SECRET = "scheduling-tests-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"


def under_ci() -> bool:
    return os.environ.get("CI", "").lower() not in {"", "0", "false", "no"}


def require_program(name: str) -> str:
    """The program's path; skip without it, but fail under CI, which must provide it."""
    path = shutil.which(name)
    if path is None:
        message = f"`{name}` is not installed (Debian/Ubuntu: apt-get install cron)"
        if under_ci():
            pytest.fail(f"{message}, and CI is set: .ci/run must install it")
        pytest.skip(message)
    return path


def postgres_url(settings_dict: dict) -> str:
    credentials = quote(settings_dict["USER"] or "", safe="")
    if settings_dict["PASSWORD"]:
        credentials += ":" + quote(settings_dict["PASSWORD"], safe="")
    port = f":{settings_dict['PORT']}" if settings_dict["PORT"] else ""
    return f"postgres://{credentials}@{settings_dict['HOST'] or ''}{port}/{settings_dict['NAME']}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_get(url: str, *, timeout: float = 30) -> tuple[int, dict]:
    """GET `url` once the server answers; (status, JSON body)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


@dataclass
class Site:
    root: Path
    database_url: str
    config: dict = field(default_factory=dict)

    @property
    def env_file(self) -> Path:
        return self.root / "site.env"

    @property
    def log_file(self) -> Path:
        return self.root / "logs" / "generate_alerts.log"

    def configure(self, **values: str) -> None:
        """Write the env file: the only configuration cron-launched processes get."""
        self.config.update(values)
        lines = [f"{name}={value}" for name, value in self.config.items()]
        self.env_file.write_text("\n".join(lines) + "\n")

    def environment(self, **extra: str) -> dict:
        """What a process of this site starts with: PATH and where the env file is, nothing else."""
        return {"PATH": os.environ["PATH"], "ALERTSITE_ENV_FILE": str(self.env_file), **extra}

    def manage(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, str(MANAGE), *args],
            env=self.environment(),
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check:
            assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stdout}{result.stderr}"
        return result

    def status(self) -> dict:
        return json.loads(self.manage("scheduler_status", "--json").stdout)

    def shell(self, code: str) -> None:
        self.manage("shell", "--verbosity", "0", "-c", code)

    def execute_sql(self, statements: list[str]) -> None:
        self.shell(
            "from django.db import connection\n"
            f"for sql in {statements!r}:\n"
            "    connection.cursor().execute(sql)"
        )

    def log(self) -> str:
        return self.log_file.read_text() if self.log_file.exists() else "(no log file)"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory, django_db_setup, django_db_blocker) -> Path | None:
    """A migrated SQLite file, made once per session and copied by each test."""
    if connection.vendor != "sqlite":
        return None
    template = tmp_path_factory.mktemp("site-template")
    site = Site(template, f"sqlite:///{template / 'db.sqlite3'}")
    site.configure(SECRET_KEY=SECRET, DATABASE_URL=site.database_url)
    site.manage("migrate", "--no-input", timeout=300)
    return template / "db.sqlite3"


@pytest.fixture
def site(tmp_path, transactional_db, sqlite_template) -> Site:
    """A site whose processes share the test's database (committed data, flushed after)."""
    if sqlite_template is None:
        database_url = postgres_url(connection.settings_dict)
        # The shared cache (throttle counts) is a table the flush after each test leaves alone.
        cache.clear()
    else:
        shutil.copy(sqlite_template, tmp_path / "db.sqlite3")
        database_url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    site = Site(tmp_path, database_url)
    site.configure(
        SECRET_KEY=SECRET,
        DATABASE_URL=database_url,
        TIME_ZONE="UTC",
        ALERTS_SCHEDULE="*/5 * * * *",
        ALERTS_LOG_FILE=str(site.log_file),
    )
    return site
