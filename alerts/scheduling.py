"""Scheduling with system cron: the crontab entry and the scheduler's health (DESIGN §5, §6).

django-crontab writes one crontab line per `settings.CRONJOBS` entry. Cron
runs it with an almost empty environment and django-crontab's `crontab run`
swallows every exception, so nothing here trusts an exit status: a run is
alive when the database says so (`GenerationRun`), and the entry is installed
when `crontab -l` shows it.
"""

import datetime
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import environ
from croniter import croniter
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from django_crontab.app_settings import Settings as CrontabSettings
from django_crontab.crontab import Crontab

from alerts.choices import RunStatus
from alerts.models import GenerationRun
from alerts.notifications.selectors import outbox_status
from alerts.selectors import last_run, last_successful_run

# A scheduled run gets this long to start and finish before it counts as missed.
RUN_GRACE = datetime.timedelta(minutes=1)

# (name, lowest, highest, names allowed in the field)
_FIELDS = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")),
    ("day of week", 0, 7, ("sun", "mon", "tue", "wed", "thu", "fri", "sat")),
)
_ITEM = re.compile(
    r"^(?:\*|(?P<start>[0-9a-z]+)(?:-(?P<end>[0-9a-z]+))?)(?:/(?P<step>[0-9]+))?$", re.IGNORECASE
)
# How long the API reuses this host's crontab listing (a dashboard polls every 30 s by default).
CRONTAB_STATE_MAX_AGE = 10
_crontab_cache: tuple[float, list[str]] | None = None
_CRONTAB_RUN = re.compile(r"crontab run (?P<hash>[0-9a-f]{32})")

# Settings whose value a cron-launched run must share with the server.
_SHARED_SETTINGS = ("SECRET_KEY", "DEBUG", "DATABASE_URL", "TIME_ZONE", "LANGUAGE_CODE", "LOG_LEVEL")


class InvalidSchedule(ValueError):
    """The schedule is not a five-field cron expression system cron accepts."""


class CrontabUnavailable(RuntimeError):
    """The `crontab` program is missing or refuses to work."""


def validate_schedule(expression: str) -> None:
    """Raise `InvalidSchedule` with a readable reason unless `expression` is a plain cron schedule.

    Stricter than croniter on purpose: system cron has no seconds field and
    no `L`, `W`, `#` or `H`, and django-crontab only recognises its own lines
    (to replace or remove them) when the schedule has exactly five fields, so
    `@hourly` and friends would pile up duplicate entries.
    """
    fields = expression.split()
    if expression.strip().startswith("@"):
        raise InvalidSchedule(
            f"{expression.strip()!r}: nicknames are not supported (django-crontab could not find the "
            "line again to replace or remove it); write the five fields, e.g. '0 * * * *' for @hourly."
        )
    if len(fields) != len(_FIELDS):
        raise InvalidSchedule(
            f"{expression!r} has {len(fields)} field(s); a cron schedule has five: "
            "minute hour day-of-month month day-of-week (for example '*/5 * * * *')."
        )
    for field, (name, low, high, names) in zip(fields, _FIELDS, strict=True):
        for item in field.split(","):
            _validate_item(item, name, low, high, names)
    if not croniter.is_valid(expression):
        raise InvalidSchedule(f"{expression!r} is not a valid cron schedule.")


def _validate_item(item: str, name: str, low: int, high: int, names: tuple[str, ...]) -> None:
    match = _ITEM.match(item)
    if not match:
        raise InvalidSchedule(f"{name} field {item!r} is not cron syntax (use *, 5, 1-5, */10 or 1,15).")
    if match["step"] is not None and int(match["step"]) == 0:
        raise InvalidSchedule(f"{name} step in {item!r} must be at least 1.")
    bounds = []
    for value in (match["start"], match["end"]):
        if value is None:
            continue
        if value.isdigit():
            number = int(value)
        elif value.lower() in names:
            number = names.index(value.lower()) + low
        else:
            allowed = f" or a name ({names[0]}…{names[-1]})" if names else ""
            raise InvalidSchedule(f"{name} {value!r} is not a number{allowed}.")
        if not low <= number <= high:
            raise InvalidSchedule(f"{name} {number} is out of range ({low}-{high}).")
        bounds.append(number)
    if len(bounds) == 2 and bounds[0] > bounds[1]:
        raise InvalidSchedule(f"{name} range {item!r} goes backwards.")


def schedule() -> str:
    """The configured cron schedule (`ALERTS_SCHEDULE`)."""
    return settings.ALERTS["SCHEDULE"]


def next_run_at(*, now: datetime.datetime | None = None) -> datetime.datetime:
    """When cron will next start a generation, in the site's time zone."""
    now = timezone.localtime(now or timezone.now(), ZoneInfo(settings.TIME_ZONE))
    return croniter(schedule(), now).get_next(datetime.datetime)


def stale_since(*, now: datetime.datetime | None = None) -> datetime.datetime:
    """The oldest of the last `STALE_AFTER_INTERVALS` scheduled starts, each given `RUN_GRACE`.

    The scheduler is stale when no generation succeeded since then, i.e. that
    many scheduled runs in a row produced no success. Counting fire times
    rather than multiplying one interval keeps irregular schedules honest: with
    `0 9-17 * * mon-fri` a quiet weekend is not an outage.
    """
    now = timezone.localtime(now or timezone.now(), ZoneInfo(settings.TIME_ZONE))
    fires = croniter(schedule(), now - RUN_GRACE)
    for _ in range(settings.ALERTS["STALE_AFTER_INTERVALS"]):
        since = fires.get_prev(datetime.datetime)
    return since


def scheduler_status(
    *, now: datetime.datetime | None = None, check_crontab: bool = True, crontab_max_age: float = 0
) -> dict:
    """The scheduler at a glance: schedule, crontab entry, last runs, next run, staleness.

    `installed` tells whether the crontab really holds the current job (False
    when cron is not installed); `check_crontab=False` leaves it out, for
    callers that must not start a process (the health check), and
    `crontab_max_age` lets it come from a listing that many seconds old.
    """
    now = now or timezone.now()
    run = last_run()
    success = run if run is not None and run.status == RunStatus.SUCCESS else last_successful_run()
    try:
        validate_schedule(schedule())
    except InvalidSchedule:
        # `manage.py check` refuses such a schedule; cron cannot run it either.
        upcoming, stale = None, True
    else:
        upcoming = next_run_at(now=now)
        stale = success is None or success.started_at < stale_since(now=now)
    status = {"schedule": schedule()}
    if check_crontab:
        status["installed"] = crontab_installed(max_age=crontab_max_age)
    status.update(
        last_run=_run_summary(run) if run is not None else None,
        last_success_at=success.started_at if success is not None else None,
        next_run_at=upcoming,
        stale=stale,
        outbox=outbox_status(now=now),
    )
    return status


def _run_summary(run: GenerationRun) -> dict:
    return {
        "id": run.pk,
        "status": run.status,
        "trigger": run.trigger,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "duration_ms": run.duration_ms,
        "created": run.created,
        "updated": run.updated,
        "resolved": run.resolved,
        "unchanged": run.unchanged,
        "error": run.error,
    }


def crontab_available() -> bool:
    """Whether the `crontab` program django-crontab is configured with exists."""
    return _crontab_executable() is not None


def read_crontab(*, max_age: float = 0) -> list[str]:
    """The current user's crontab, line by line (empty when there is none).

    With `max_age`, a listing read by this process less than that many
    seconds ago is reused: every open dashboard polls the scheduler's status,
    and each `crontab -l` is a process. The cache is per process, as the
    crontab is per host; it is forgotten when this process changes the crontab.
    """
    global _crontab_cache
    if max_age and _crontab_cache is not None and time.monotonic() - _crontab_cache[0] < max_age:
        return list(_crontab_cache[1])
    executable = _crontab_executable()
    if executable is None:
        raise CrontabUnavailable("the crontab program is not installed")
    listing = subprocess.run([executable, "-l"], capture_output=True, text=True, check=False)
    if listing.returncode != 0 and "no crontab" not in listing.stderr.lower():
        raise CrontabUnavailable(listing.stderr.strip() or f"crontab -l exited {listing.returncode}")
    lines = listing.stdout.splitlines() if listing.returncode == 0 else []
    _crontab_cache = (time.monotonic(), lines)
    return list(lines)


def forget_crontab() -> None:
    """Drop the cached listing of `read_crontab`, so that the next read sees the crontab as it is."""
    global _crontab_cache
    _crontab_cache = None


def installed_lines(*, max_age: float = 0) -> list[str]:
    """The crontab lines django-crontab manages for this project (those with its comment)."""
    crontab_settings = CrontabSettings(settings)
    lines = []
    for line in read_crontab(max_age=max_age):
        match = crontab_settings.CRONTAB_LINE_REGEXP.match(line)
        if match and match.group(5) == crontab_settings.CRONTAB_COMMENT:
            lines.append(line)
    return lines


def crontab_installed(*, max_age: float = 0) -> bool:
    """Whether the crontab holds a line running the current job (same schedule and command).

    `max_age`: reuse a listing that recent (see `read_crontab`).
    """
    try:
        lines = installed_lines(max_age=max_age)
    except CrontabUnavailable:
        return False
    wanted = {_job_hash(line) for line in expected_lines()}
    return bool(wanted) and wanted <= {_job_hash(line) for line in lines}


def expected_lines() -> list[str]:
    """The lines `manage.py crontab add` would write now, built by django-crontab itself."""
    crontab = Crontab(verbosity=0, readonly=True)
    crontab.add_jobs()
    return [line.rstrip("\n") for line in crontab.crontab_lines]


def ensure_crontab_installed() -> bool:
    """Install or refresh this project's crontab entry; True when the crontab changed.

    Idempotent: an entry identical to the one `crontab add` would write is
    left alone. Unrelated lines are kept (django-crontab only replaces lines
    carrying its comment). Raises `InvalidSchedule` before touching anything,
    and `CrontabUnavailable` when cron is missing or the new crontab was
    refused (django-crontab ignores the exit status of `crontab`).
    """
    validate_schedule(schedule())
    validate_schedule(settings.ALERTS["NOTIFY_SCHEDULE"])
    wanted = expected_lines()
    if installed_lines() == wanted:
        return False
    forget_crontab()
    call_command("crontab", "add", verbosity=0)
    if installed_lines() != wanted:
        raise CrontabUnavailable("crontab did not accept the new entry (see its message above)")
    return True


def settings_cron_will_miss() -> list[str]:
    """Settings set in this process's environment that a cron-launched run will not see.

    Cron starts the job with an empty environment, so it only reads the env
    file (`ALERTSITE_ENV_FILE`, default `.env` in the project directory).
    """
    in_file = _env_file_values(Path(settings.ENV_FILE))
    names = [*_SHARED_SETTINGS, *sorted(name for name in os.environ if name.startswith("ALERTS_"))]
    return [name for name in names if name in os.environ and in_file.get(name) != os.environ[name]]


def cron_daemon_running() -> bool | None:
    """Whether a cron daemon process runs on this host (None when that cannot be told)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    for comm in proc.glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() in {"cron", "crond"}:
                return True
        except OSError:
            continue
    return False


def _env_file_values(path: Path) -> dict[str, str]:
    # django-environ's own parser, pointed at a private mapping instead of os.environ.
    reader = type("EnvFileReader", (environ.Env,), {"ENVIRON": {}})
    if path.is_file():
        reader.read_env(path, overwrite=True)
    return reader.ENVIRON


def _crontab_executable() -> str | None:
    return shutil.which(CrontabSettings(settings).CRONTAB_EXECUTABLE)


def _job_hash(line: str) -> str | None:
    match = _CRONTAB_RUN.search(line)
    return match["hash"] if match else None
