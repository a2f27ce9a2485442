"""bench/run: build a data set with seed_demo, measure generation and API, compare to floors.

Steps (see README "Performance"):

1. Data set: a dedicated database (PostgreSQL `alertsite_bench[_small]`, or an
   SQLite file under bench/data/) seeded with `manage.py seed_demo`, 10% of the
   assets metered with a usage-based plan; reused when it already holds the
   same scale seeded today, rebuilt otherwise.
2. Generation, each measurement in a fresh process (`bench.probe`): first full
   run on an empty alerts table, unchanged re-run, run after 1% of the
   maintenances changed, single-asset refreshes; each with its floor (one
   hand-written statement, `bench.floor`, events included) on the same data
   just before.
3. Enqueueing the notices of those runs for 10 subscriptions (`bench.enqueue`),
   next to a hand-written INSERT … SELECT.
4. API under gunicorn (2 workers, the product's settings plus the floor views)
   driven by wrk at concurrency 1 and 8, with a real JWT; the floor views on the
   same data right after each endpoint; the lists' 304 to their ETag; 20
   batches of 1,000 meter readings (`bench.meters`); the CSV export.
5. Delivering 1,000 webhooks and 1,000 emails to loopback servers
   (`bench.notifications`), next to urllib3 and smtplib on the same messages.
6. The small fleet of issue 19 (400 assets, its own database): its generation's
   statements and peak RSS, the lists and their 304s at 4 connections.
7. A Markdown table on stdout and everything as JSON in bench/results/.
"""

import argparse
import datetime
import json
import logging
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.export import EXPORT_ROWS, measure_export

logger = logging.getLogger("bench")

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
PYTHON = sys.executable

SCALES = {
    "tiny": (100, 1_000),
    "small": (1_000, 10_000),
    # The smallest scale with the 100,000 maintenances of the CSV export figure.
    "medium": (10_000, 100_000),
    "default": (100_000, 1_000_000),
}
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/alertsite_bench"
SEED = 42
# Share of the assets with a run-hours meter and a usage-based plan (issue 16).
METERED_PERCENT = 10
# Share of the maintenances changed before the "1% changed" run, and by how much.
CHANGED_MODULO = 100
CHANGED_DAYS = 3
REFRESH_SAMPLES = 25
# API conditions of the issue: the stats over 100,000 active alerts, the full
# list of 1,000. Alerts beyond those are parked (resolved at this instant) for
# the measurement and restored afterwards.
STATS_ACTIVE = 100_000
LIST_ACTIVE = 1_000
PARKED_AT = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
CONCURRENCIES = (1, 8)
# Solid-state storage: random reads cost about as much as sequential ones. With
# the default (4, for spinning disks) the full alert list joined the assets by
# scanning all 100,000 of them instead of fetching its 1,000.
PG_SETTINGS = {"random_page_cost": "1.1"}
BENCH_USER = "manager"
METRICS_TOKEN = "bench-metrics-token"


@dataclass
class Figure:
    """One row of the table."""

    name: str
    value: float | None
    unit: str
    floor: float | None = None
    target: str = ""
    passed: bool | None = None

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.floor:
            return None
        return self.value / self.floor


# ---------------------------------------------------------------- data set


def database_url(args) -> str:
    if args.db == "sqlite":
        data_dir = BENCH_DIR / "data"
        data_dir.mkdir(exist_ok=True)
        return f"sqlite:///{data_dir / f'bench-{args.scale}.sqlite3'}"
    url = args.database_url or os.environ.get("BENCH_DATABASE_URL") or DEFAULT_PG_URL
    if args.scale != "default" and not (args.database_url or os.environ.get("BENCH_DATABASE_URL")):
        url = f"{url}_{args.scale}"
    name = url.rsplit("/", 1)[-1]
    if not name.startswith("alertsite_bench"):
        # The bench drops and recreates it: never point it at a real database.
        raise SystemExit(f"bench: the PostgreSQL database must be named alertsite_bench*, not {name!r}")
    return url


def bench_environment(url: str) -> dict[str, str]:
    """Environment of every process of the bench: the product's settings, no local .env."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DATABASE_URL": url,
            "ALERTSITE_ENV_FILE": os.devnull,
            "SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789abcdef",
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "LOG_LEVEL": "WARNING",
            "DJANGO_LOG_LEVEL": "WARNING",
            "JWT_ACCESS_MINUTES": "240",
            "METRICS_TOKEN": METRICS_TOKEN,
            "PYTHONPATH": str(PROJECT_DIR),
        }
    )
    return env


def ensure_postgres_database(url: str, *, recreate: bool) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and recreate:
            logger.info("Dropping database %s", name)
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            logger.info("Creating database %s", name)
            conn.execute(f'CREATE DATABASE "{name}"')
        # The README's recommended server settings (PostgreSQL section).
        for setting, value in PG_SETTINGS.items():
            conn.execute(f'ALTER DATABASE "{name}" SET {setting} = {value}')


def metered(assets: int) -> int:
    return assets * METERED_PERCENT // 100


def dataset_matches(assets: int, maintenances: int) -> bool:
    """Whether the database holds this scale's seed (meters included), laid out around today.

    A data set seeded before the meters (no `meters` column) does not match.
    """
    from django.db import DatabaseError, connection, transaction
    from django.utils import timezone

    if "bench_dataset" not in connection.introspection.table_names():
        return False
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT assets, maintenances, seed, seeded_on, meters FROM bench_dataset")
            row = cursor.fetchone()
            cursor.execute(
                "SELECT (SELECT COUNT(*) FROM assets_asset), (SELECT COUNT(*) FROM maintenance_maintenance), "
                "(SELECT COUNT(*) FROM assets_meter)"
            )
            counts = cursor.fetchone()
    except DatabaseError:
        return False
    if row is None:
        return False
    seeded_on = row[3] if isinstance(row[3], datetime.date) else datetime.date.fromisoformat(row[3])
    return (
        (*row[:3], row[4]) == (assets, maintenances, SEED, metered(assets))
        and seeded_on == timezone.localdate()
        and tuple(counts) == (assets, maintenances, metered(assets))
    )


def build_dataset(args, url: str, env: dict[str, str], assets: int, maintenances: int) -> dict:
    """Create or reuse the data set; returns what it holds and how long seeding took."""
    import django

    if args.db == "postgres":
        ensure_postgres_database(url, recreate=args.reseed)
    elif args.reseed:
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    os.environ.update(env)
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    seed_seconds = None
    if dataset_matches(assets, maintenances):
        logger.info("Reusing the data set (%d assets, %d maintenances)", assets, maintenances)
        restore_changed(connection)
    else:
        connection.close()
        if args.db == "postgres":
            ensure_postgres_database(url, recreate=True)
        else:
            Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        call_command("migrate", verbosity=0, interactive=False)
        logger.info(
            "Seeding %d assets (%d metered) and %d maintenances with seed_demo",
            assets,
            metered(assets),
            maintenances,
        )
        started = time.perf_counter()
        subprocess.run(
            [
                PYTHON,
                "manage.py",
                "seed_demo",
                "--assets",
                str(assets),
                "--maintenances",
                str(maintenances),
                "--seed",
                str(SEED),
                "--meters",
                str(metered(assets)),
            ],
            cwd=PROJECT_DIR,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        seed_seconds = time.perf_counter() - started
        logger.info("Seeded in %.1f s", seed_seconds)
        from django.utils import timezone

        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TABLE bench_dataset (assets integer, maintenances integer, seed integer, "
                "seeded_on date, changed boolean, meters integer)"
            )
            cursor.execute(
                "INSERT INTO bench_dataset VALUES (%s, %s, %s, %s, %s, %s)",
                [assets, maintenances, SEED, timezone.localdate(), False, metered(assets)],
            )
    return {
        "assets": assets,
        "maintenances": maintenances,
        "metered_assets": metered(assets),
        "seed": SEED,
        "seed_seconds": seed_seconds,
    }


def vacuum(connection, *tables: str) -> None:
    """What autovacuum would have done by the time a real request comes."""
    if connection.in_atomic_block:
        # VACUUM cannot run in a transaction (the smoke test's).
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"VACUUM ANALYZE {', '.join(tables)}")
        else:
            cursor.execute("ANALYZE")


def reset_alerts(connection) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Notifications refer to the events they announce.
            cursor.execute(
                "TRUNCATE alerts_notification, alerts_alertevent, alerts_alert, alerts_generationrun"
            )
        else:
            cursor.execute("DELETE FROM alerts_notification")
            cursor.execute("DELETE FROM alerts_alertevent")
            cursor.execute("DELETE FROM alerts_alert")
            cursor.execute("DELETE FROM alerts_generationrun")
    vacuum(connection, "alerts_alert", "alerts_alertevent", "alerts_notification", "alerts_generationrun")


def change_maintenances(connection, days: int) -> int:
    """Move 1% of the maintenances by `days` (a planner's reschedule, done in bulk).

    Recorded in bench_dataset, so that an interrupted bench restores the seed
    next time.
    """
    from django.utils import timezone

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            shifted, shift = "scheduled_date + %s", days
        else:
            shifted, shift = "date(scheduled_date, %s)", f"{days:+d} days"
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        cursor.execute(
            f"UPDATE maintenance_maintenance SET scheduled_date = {shifted}, updated_at = %s "
            f"WHERE id %% {CHANGED_MODULO} = 0",
            [shift, now],
        )
        changed = cursor.rowcount
        cursor.execute("UPDATE bench_dataset SET changed = %s", [days > 0])
    return changed


def restore_changed(connection) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT changed FROM bench_dataset")
        (changed,) = cursor.fetchone()
    if changed:
        logger.info("Restoring the maintenances changed by an interrupted bench")
        change_maintenances(connection, -CHANGED_DAYS)


# -------------------------------------------------------------- generation


def probe(env: dict[str, str], *args: str) -> dict:
    completed = subprocess.run(
        [PYTHON, "-m", "bench.probe", *args],
        cwd=PROJECT_DIR,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def floor_or_none(connection, **kwargs) -> dict | None:
    from bench.floor import generation_floor

    if connection.vendor != "postgresql":
        return None
    result = generation_floor(**kwargs)
    vacuum(connection, "alerts_alert")
    return result


def check_same_counts(name: str, product: dict, floor: dict | None) -> None:
    if floor is None:
        return
    keys = ("created", "updated", "resolved", "unchanged")
    if any(product[key] != floor[key] for key in keys):
        logger.warning(
            "%s: the floor's counts %s differ from the product's %s",
            name,
            {key: floor[key] for key in keys},
            {key: product[key] for key in keys},
        )


def measure_generation(env: dict[str, str], repeat: int) -> dict:
    """Full, unchanged and 1%-changed runs (median of `repeat`), then single-asset refreshes."""
    from django.db import connection

    runs: dict[str, list[dict]] = {"first": [], "rerun": [], "changed": []}
    floors: dict[str, list[dict]] = {"first": [], "rerun": [], "changed": []}
    vacuum(connection, "maintenance_maintenance", "assets_asset")
    for attempt in range(1, repeat + 1):
        logger.info("Generation, round %d of %d", attempt, repeat)
        reset_alerts(connection)
        steps = [("first", None), ("rerun", None), ("changed", CHANGED_DAYS)]
        for name, change in steps:
            if change:
                changed = change_maintenances(connection, change)
                vacuum(connection, "maintenance_maintenance")
            floor = floor_or_none(connection, commit=name == "first", empty=name == "first")
            if name == "first":
                reset_alerts(connection)
            product = probe(env, "generation")
            check_same_counts(name, product, floor)
            runs[name].append(product)
            if floor is not None:
                floors[name].append(floor)
            logger.info(
                "  %-8s %.3f s (floor %s), %d queries, peak RSS %.0f MB: %d created, %d updated, "
                "%d resolved, %d unchanged",
                name,
                product["seconds"],
                f"{floor['seconds']:.3f} s" if floor else "n/a",
                product["queries"],
                product["peak_rss_mb"],
                product["created"],
                product["updated"],
                product["resolved"],
                product["unchanged"],
            )
        change_maintenances(connection, -CHANGED_DAYS)
    # Back to alerts that match the seed, for the refreshes and the API.
    probe(env, "generation")
    # The events and notices tables too: emptied and refilled, they have no statistics yet.
    vacuum(connection, "alerts_alert", "alerts_alertevent", "alerts_notification", "maintenance_maintenance")

    from assets.choices import AssetStatus
    from assets.models import Asset

    asset_ids = list(Asset.objects.exclude(status=AssetStatus.RETIRED).values_list("pk", flat=True))
    sample = random.Random(SEED).sample(asset_ids, min(len(asset_ids), REFRESH_SAMPLES + 3))
    warmup, measured = sample[:3], sample[3:]
    refresh = probe(env, "refresh", *map(str, measured), "--warmup", *map(str, warmup))
    refresh_floors = (
        [floor_or_none(connection, asset_ids=[asset_id])["seconds"] for asset_id in measured]
        if connection.vendor == "postgresql"
        else None
    )
    logger.info(
        "  refresh  median %.1f ms (floor %s), %d queries",
        refresh["median_seconds"] * 1000,
        f"{statistics.median(refresh_floors) * 1000:.1f} ms" if refresh_floors else "n/a",
        refresh["queries"],
    )
    return {
        "runs": runs,
        "floors": floors,
        "changed_maintenances": changed,
        "refresh": refresh,
        "refresh_floor_seconds": refresh_floors,
    }


def median_of(items: list[dict], key: str) -> float | None:
    return statistics.median(item[key] for item in items) if items else None


def generation_figures(result: dict, fleet: dict | None = None) -> list[Figure]:
    """Each run next to its floor, which writes the same alerts and one event per changed alert.

    `fleet`: the small fleet's first and re-run probes, for the statement count and the peak
    memory that must not grow with the fleet.
    """
    runs, floors = result["runs"], result["floors"]
    first = median_of(runs["first"], "seconds")
    first_floor = median_of(floors["first"], "seconds")
    rerun, rerun_floor = median_of(runs["rerun"], "seconds"), median_of(floors["rerun"], "seconds")
    changed, changed_floor = median_of(runs["changed"], "seconds"), median_of(floors["changed"], "seconds")
    metered = result.get("metered_assets")
    events = "alerts and their events; floor too" + (f"; {metered:,} assets metered" if metered else "")

    def within(value, floor, factor=2):
        return floor is None or value <= factor * floor

    figures = [
        Figure(
            f"generation: first full run ({events})",
            first,
            "s",
            first_floor,
            "≤ 4 s and ≤ 2× floor",
            first <= 4 and within(first, first_floor),
        ),
        Figure(
            "generation: unchanged re-run",
            rerun,
            "s",
            rerun_floor,
            "≤ 1.5 s and ≤ 2× floor",
            rerun <= 1.5 and within(rerun, rerun_floor),
        ),
        Figure(
            f"generation: run after 1% changed ({result['changed_maintenances']:,} maintenances, "
            "their alerts' events)",
            changed,
            "s",
            changed_floor,
            "≤ 2× floor",
            within(changed, changed_floor),
        ),
    ]
    queries = sorted({run["queries"] for name in runs for run in runs[name]})
    fleet_queries = sorted({run["queries"] for run in fleet["runs"]}) if fleet else None
    figures.append(
        Figure(
            "generation: SQL queries per run (first, re-run, changed)"
            + (f"; small fleet: {'/'.join(map(str, fleet_queries))}" if fleet_queries else ""),
            max(queries),
            "queries",
            target="constant, ≤ 20",
            passed=max(queries) <= 20 and (fleet_queries is None or max(fleet_queries) == max(queries)),
        )
    )
    peak = max(run["peak_rss_mb"] for name in runs for run in runs[name])
    fleet_peak = max(run["peak_rss_mb"] for run in fleet["runs"]) if fleet else None
    figures.append(
        Figure(
            "generation: peak RSS of the process"
            + (f" (small fleet: {fleet_peak:.0f} MB)" if fleet_peak else ""),
            peak,
            "MB",
            target="≤ 300 MB",
            passed=peak <= 300,
        )
    )
    refresh = result["refresh"]
    refresh_floor = result["refresh_floor_seconds"]
    figures.append(
        Figure(
            f"single-asset refresh (median of {len(refresh['seconds'])})",
            refresh["median_seconds"] * 1000,
            "ms",
            statistics.median(refresh_floor) * 1000 if refresh_floor else None,
            "≤ 20 ms",
            refresh["median_seconds"] * 1000 <= 20,
        )
    )
    figures.append(Figure("single-asset refresh: SQL queries", refresh["queries"], "queries"))
    return figures


# -------------------------------------------------------------------- API


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn (2 sync workers) with the product's WSGI application and the bench's settings."""

    def __init__(self, env: dict[str, str], workdir: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = workdir / "gunicorn.log"
        self.process = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "gunicorn",
                "alertsite.wsgi:application",
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--error-logfile",
                str(self.log),
            ],
            cwd=PROJECT_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit(f"bench: gunicorn did not start:\n{self.log.read_text()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def status(self, path: str, token: str | None, headers: dict | None = None) -> tuple[int, str | None]:
        """The status of a GET and its ETag (a 304 is not an error here)."""
        request = urllib.request.Request(f"{self.base}{path}", headers=headers or {})
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                response.read()
                return response.status, response.headers.get("ETag")
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("ETag")

    def fetch(self, path: str, token: str | None, method: str = "GET"):
        request = urllib.request.Request(f"{self.base}{path}", method=method)
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(request, timeout=60) as response:
            body = response.read()
            if response.headers.get_content_type() == "application/json":
                return json.loads(body)
            return body.decode()


def wrk(url: str, *, connections: int, seconds: float, token: str | None, script_args=(), headers=()) -> dict:
    command = [
        "wrk",
        "--threads",
        "1",
        "--connections",
        str(connections),
        "--duration",
        f"{round(seconds)}s",
        "--timeout",
        "30s",
        "--script",
        str(BENCH_DIR / "wrk.lua"),
    ]
    if token:
        command += ["--header", f"Authorization: Bearer {token}"]
    for header in headers:
        command += ["--header", header]
    command += [url]
    if script_args:
        command += ["--", *script_args]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("BENCH_JSON "))
    result = json.loads(line.removeprefix("BENCH_JSON "))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    if result["status_errors"] or result["socket_errors"]:
        logger.warning(
            "%s: %d HTTP errors, %d socket errors", url, result["status_errors"], result["socket_errors"]
        )
    return result


def park_alerts(connection, keep: int) -> int:
    """Leave `keep` alerts active; the others are resolved at PARKED_AT until restored."""
    stamp = connection.ops.adapt_datetimefield_value(PARKED_AT)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE alerts_alert SET is_active = %s, resolved_at = %s WHERE is_active = %s AND id NOT IN "
            "(SELECT id FROM alerts_alert WHERE is_active = %s ORDER BY id %% 97, id LIMIT %s)",
            [False, stamp, True, True, keep],
        )
        cursor.execute("SELECT COUNT(*) FROM alerts_alert WHERE is_active = %s", [True])
        (active,) = cursor.fetchone()
    vacuum(connection, "alerts_alert")
    return active


def unpark_alerts(connection) -> None:
    stamp = connection.ops.adapt_datetimefield_value(PARKED_AT)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE alerts_alert SET is_active = %s, resolved_at = NULL WHERE resolved_at = %s", [True, stamp]
        )
    vacuum(connection, "alerts_alert")


def issue_token(env: dict[str, str]) -> str:
    return subprocess.run(
        [PYTHON, "manage.py", "issue_token", BENCH_USER],
        cwd=PROJECT_DIR,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def measure_endpoint(
    server: "Server",
    workdir: Path,
    name: str,
    condition: str,
    product_path: str,
    floor_path: str,
    *,
    token: str,
    seconds: float,
    warmup: float,
    method: str = "GET",
    ids=None,
    concurrencies=CONCURRENCIES,
    etag: bool = False,
) -> dict:
    """One endpoint, product then floor, at each concurrency; with `etag`, then the product's 304.

    The 304: wrk at the first concurrency with `If-None-Match` set to the ETag
    of the 200 just measured, on the same data, so each request answers 304.
    """
    cells = {"condition": condition}
    for variant, path, auth in (("product", product_path, token), ("floor", floor_path, None)):
        script_args: tuple = ()
        pools = {}
        if ids is not None:
            # Disjoint slices of unread alerts: every POST changes one.
            chunk = len(ids[variant]) // (len(concurrencies) + 1)
            for index, key in enumerate(("warmup", *concurrencies)):
                pool = workdir / f"{name}-{variant}-{key}.ids"
                pool.write_text("\n".join(map(str, ids[variant][index * chunk : (index + 1) * chunk])))
                pools[key] = pool
        url = f"{server.base}{path}"
        if method == "GET":
            status_probe = server.fetch(path, auth)
            cells.setdefault("sample", {})[variant] = summarize(status_probe)
        else:
            script_args = (path, str(pools["warmup"]))
            url = server.base
        wrk(url, connections=2, seconds=warmup, token=auth, script_args=script_args)
        for concurrency in concurrencies:
            if method != "GET":
                script_args = (path, str(pools[concurrency]))
            cell = wrk(url, connections=concurrency, seconds=seconds, token=auth, script_args=script_args)
            if method != "GET":
                cell["distinct_ids"] = len(pools[concurrency].read_text().split())
            cells[f"{variant}_c{concurrency}"] = cell
            log_cell(name, variant, concurrency, cell)
        if etag and variant == "product":
            status, tag = server.status(path, auth)
            held, _ = server.status(path, auth, {"If-None-Match": tag or ""})
            if status != 200 or held != 304:
                logger.warning("%s: no 304 for the ETag %s (answers %s, %s)", name, tag, status, held)
            header = f"If-None-Match: {tag}"
            concurrency = concurrencies[0]
            wrk(url, connections=concurrency, seconds=warmup, token=auth, headers=[header])
            cell = wrk(url, connections=concurrency, seconds=seconds, token=auth, headers=[header])
            cell["status"] = held
            cells[f"not_modified_c{concurrency}"] = cell
            log_cell(name, "304", concurrency, cell)
    return cells


def log_cell(name: str, variant: str, concurrency: int, cell: dict) -> None:
    logger.info(
        "  %-14s %-7s c=%d: p50 %.2f ms, p99 %.2f ms, %.0f req/s",
        name,
        variant,
        concurrency,
        cell["p50_us"] / 1000,
        cell["p99_us"] / 1000,
        cell["rps"],
    )


def measure_api(env: dict[str, str], seconds: float, warmup: float) -> dict:
    """Each endpoint, product then floor, at each concurrency, in its data-set state."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from alerts.models import Alert
    from bench.meters import http_poster, measure_readings

    token = issue_token(env)
    reader = get_user_model().objects.get(username=BENCH_USER)
    env = {**env, "BENCH_READER_ID": str(reader.pk)}
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="alertsite-bench-") as workdir:
        server = Server(env, Path(workdir))
        try:

            def run(name: str, condition: str, product_path: str, floor_path: str, **kwargs):
                kwargs.setdefault("token", token)
                results[name] = measure_endpoint(
                    server,
                    Path(workdir),
                    name,
                    condition,
                    product_path,
                    floor_path,
                    seconds=seconds,
                    warmup=warmup,
                    **kwargs,
                )

            active = Alert.objects.filter(is_active=True).count()
            logger.info("API with %d active alerts", active)
            run(
                "list_limit50",
                f"{active:,} active alerts",
                "/api/alerts?limit=50",
                "/bench/floor/alerts?limit=50",
                etag=True,
            )
            unread = list(
                Alert.objects.filter(is_active=True, is_read=False)
                .order_by("id")
                .values_list("pk", flat=True)
            )
            half = len(unread) // 2
            run(
                "read",
                f"{active:,} active alerts, a different unread alert each request",
                "/api/alerts/{id}/read",
                "/bench/floor/alerts/{id}/read",
                method="POST",
                ids={"product": unread[:half], "floor": unread[half:]},
            )
            # Before the alerts are parked: each batch refreshes its asset's alerts.
            logger.info("Meter readings in batches")
            results["readings"] = measure_readings(http_poster(server.base, token))
            log_readings(results["readings"])
            active = park_alerts(connection, STATS_ACTIVE)
            logger.info("API with %d active alerts", active)
            run("stats", f"{active:,} active alerts", "/api/alerts/stats", "/bench/floor/alerts/stats")
            run(
                "metrics",
                f"{active:,} active alerts",
                "/metrics",
                "/bench/floor/metrics",
                token=METRICS_TOKEN,
            )
            active = park_alerts(connection, LIST_ACTIVE)
            logger.info("API with %d active alerts", active)
            run("list_full", f"{active:,} active alerts", "/api/alerts", "/bench/floor/alerts", etag=True)
            logger.info("CSV export of %d maintenances", EXPORT_ROWS)
            results["export"] = measure_export(server.base, token, server.process.pid, EXPORT_ROWS)
        finally:
            server.stop()
            unpark_alerts(connection)
    return results


def log_readings(readings: dict | None) -> None:
    if readings:
        logger.info(
            "  readings: API %.0f/s, bulk_create %.0f/s (%s)",
            readings["product"]["readings_per_second"],
            readings["floor"]["readings_per_second"],
            readings["condition"],
        )


def summarize(body) -> dict:
    """What a response held, so the JSON shows each measurement's real condition."""
    if isinstance(body, list):
        return {"items": len(body)}
    if isinstance(body, dict) and "results" in body:
        return {"count": body["count"], "items": len(body["results"])}
    if isinstance(body, dict) and "total" in body:
        return {"total": body["total"]}
    return {}


API_TARGETS = {
    "list_limit50": ("GET /api/alerts?limit=50", 8),
    "list_full": ("GET /api/alerts (full list)", 40),
    "stats": ("GET /api/alerts/stats", 10),
    "read": ("POST /api/alerts/{id}/read", None),
    "metrics": ("GET /metrics (Prometheus scrape)", None),
}


def api_figures(results: dict) -> list[Figure]:
    figures = []
    for key, (label, p50_target) in API_TARGETS.items():
        cells = results[key]
        name = f"{label} [{cells['condition']}]"
        product, floor = cells["product_c1"], cells["floor_c1"]
        p50 = product["p50_us"] / 1000
        figures.append(
            Figure(
                f"{name} p50, c=1",
                p50,
                "ms",
                floor["p50_us"] / 1000,
                f"≤ {p50_target} ms" if p50_target else "",
                p50 <= p50_target if p50_target else None,
            )
        )
        for percentile in ("p95", "p99"):
            figures.append(
                Figure(
                    f"{name} {percentile}, c=1",
                    product[f"{percentile}_us"] / 1000,
                    "ms",
                    floor[f"{percentile}_us"] / 1000,
                )
            )
        figures.append(Figure(f"{name} throughput, c=1", product["rps"], "req/s", floor["rps"]))
        product8, floor8 = cells["product_c8"], cells["floor_c8"]
        figures.append(Figure(f"{name} p50, c=8", product8["p50_us"] / 1000, "ms", floor8["p50_us"] / 1000))
        figures.append(
            Figure(
                f"{name} throughput, c=8",
                product8["rps"],
                "req/s",
                floor8["rps"],
                "≥ 60% of floor",
                product8["rps"] >= 0.6 * floor8["rps"],
            )
        )
        figures += etag_figures(label, cells)
    return figures


def etag_figures(label: str, cells: dict) -> list[Figure]:
    """The 304 next to the 200 it replaces, at the same concurrency (target: a third of its time)."""
    figures = []
    for key, cell in cells.items():
        if not key.startswith("not_modified_c"):
            continue
        concurrency = key.removeprefix("not_modified_c")
        full = cells[f"product_c{concurrency}"]
        p50, full_p50 = cell["p50_us"] / 1000, full["p50_us"] / 1000
        figures.append(
            Figure(
                f"{label} [{cells['condition']}] 304 to If-None-Match p50, c={concurrency} (floor: the 200)",
                p50,
                "ms",
                full_p50,
                "≤ 1/3 of the 200",
                cell.get("status") == 304 and p50 <= full_p50 / 3,
            )
        )
    return figures


def readings_figures(readings: dict | None) -> list[Figure]:
    if not readings:
        return []
    name = f"POST /api/meters/{{id}}/readings [{readings['condition']}, floor: bulk_create]"
    product, floor_cell = readings["product"], readings["floor"]
    rate, floor_rate = product["readings_per_second"], floor_cell["readings_per_second"]
    return [
        Figure(f"{name} time", product["seconds"], "s", floor_cell["seconds"]),
        Figure(
            f"{name} throughput", rate, "readings/s", floor_rate, "≥ 0.5× floor", rate >= 0.5 * floor_rate
        ),
    ]


def enqueue_figures(enqueue: dict | None) -> list[Figure]:
    if not enqueue:
        return []
    figures = []
    for run, label in (("first", "first full run"), ("changed", "a run that changed alerts")):
        cell = enqueue.get(run)
        if cell is None:
            continue
        figures.append(
            Figure(
                f"enqueue notifications, {enqueue['subscriptions']} subscriptions [{label}: "
                f"{cell['events']:,} events → {cell['notices']:,} notices]",
                cell["seconds"],
                "s",
                cell["floor_seconds"],
            )
        )
    return figures


def delivery_figures(delivery: dict | None) -> list[Figure]:
    if not delivery:
        return []
    webhooks, emails = delivery["webhooks"], delivery["emails"]
    count = delivery["count"]
    rate, floor_rate = webhooks["product"]["per_second"], webhooks["floor"]["per_second"]
    return [
        Figure(
            f"deliver {count:,} webhooks to a loopback receiver (floor: 8-thread urllib3)",
            rate,
            "notices/s",
            floor_rate,
            "≥ 0.5× floor",
            rate >= 0.5 * floor_rate,
        ),
        Figure(
            f"deliver {count:,} emails to a loopback SMTP server "
            f"({emails['product']['smtp_connections']} connections; floor: smtplib, one)",
            emails["product"]["per_second"],
            "notices/s",
            emails["floor"]["per_second"],
        ),
    ]


def fleet_figures(fleet: dict | None) -> list[Figure]:
    """The small fleet of issue 19: throughput at 4 connections (target 0.6× floor), and the 304."""
    if not fleet:
        return []
    figures = []
    for key, label in (
        ("list_limit50", "GET /api/alerts?limit=50"),
        ("list_full", "GET /api/alerts (full list)"),
    ):
        cells = fleet[key]
        name = f"{label} [small fleet: {cells['condition']}]"
        c = FLEET_CONNECTIONS
        product, floor_cell = cells[f"product_c{c}"], cells[f"floor_c{c}"]
        figures.append(
            Figure(f"{name} p50, c={c}", product["p50_us"] / 1000, "ms", floor_cell["p50_us"] / 1000)
        )
        figures.append(
            Figure(
                f"{name} throughput, c={c}",
                product["rps"],
                "req/s",
                floor_cell["rps"],
                "≥ 0.6× floor",
                product["rps"] >= 0.6 * floor_cell["rps"],
            )
        )
        figures += etag_figures(label, {**cells, "condition": f"small fleet: {cells['condition']}"})
    return figures


def export_figures(export: dict | None) -> list[Figure]:
    if export is None:
        return []
    name = f"CSV export [{export['condition']}]"
    product, floor_cell = export["product"], export["floor"]
    mb = 1e6
    figures = [
        Figure(f"{name} time", product["seconds"], "s", floor_cell["seconds"]),
        Figure(f"{name} throughput", product["rows_per_second"], "rows/s", floor_cell["rows_per_second"]),
        Figure(
            f"{name} Python peak while streaming (tracemalloc)",
            product["tracemalloc_peak_bytes"] / mb,
            "MB",
            floor_cell["tracemalloc_peak_bytes"] / mb,
            "≤ 16 MB",
            product["tracemalloc_peak_bytes"] <= 16 * mb,
        ),
    ]
    if product["worker_peak_rss_bytes"] is not None:
        figures += [
            Figure(
                f"{name} peak RSS of the gunicorn worker",
                product["worker_peak_rss_bytes"] / mb,
                "MB",
                floor_cell["worker_peak_rss_bytes"] / mb,
            ),
            Figure(
                f"{name} RSS growth of the warm worker",
                product["worker_rss_growth_bytes"] / mb,
                "MB",
                floor_cell["worker_rss_growth_bytes"] / mb,
            ),
        ]
    return figures


# ------------------------------------------------------------ small fleet

# Issue 19's small fleet: where the fixed cost of a request shows.
FLEET = (400, 4_000)
FLEET_DATABASE = "alertsite_bench_fleet"
FLEET_CONNECTIONS = 4


def fleet_url(url: str) -> str:
    return f"{url.rsplit('/', 1)[0]}/{FLEET_DATABASE}"


def fleet_dataset(url: str, env: dict[str, str], *, reseed: bool) -> bool:
    """Seed the small fleet in its own database unless it holds today's; whether it was seeded."""
    import psycopg
    from django.utils import timezone

    assets, maintenances = FLEET
    today = timezone.localdate()
    ensure_postgres_database(url, recreate=False)
    with psycopg.connect(url, autocommit=True) as conn:
        try:
            row = conn.execute("SELECT assets, maintenances, seed, seeded_on FROM bench_dataset").fetchone()
            counts = conn.execute(
                "SELECT (SELECT COUNT(*) FROM assets_asset), (SELECT COUNT(*) FROM maintenance_maintenance)"
            ).fetchone()
        except psycopg.Error:
            row = counts = None
    if not reseed and row is not None and row == (assets, maintenances, SEED, today) and counts == FLEET:
        # Today's seed, this code's schema.
        subprocess.run(
            [PYTHON, "manage.py", "migrate", "--verbosity", "0"], cwd=PROJECT_DIR, env=env, check=True
        )
        return False
    ensure_postgres_database(url, recreate=True)
    for command in (
        ["migrate", "--verbosity", "0"],
        ["seed_demo", "--assets", str(assets), "--maintenances", str(maintenances), "--seed", str(SEED)],
    ):
        subprocess.run(
            [PYTHON, "manage.py", *command], cwd=PROJECT_DIR, env=env, check=True, stdout=subprocess.DEVNULL
        )
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE bench_dataset (assets integer, maintenances integer, seed integer, seeded_on date)"
        )
        conn.execute("INSERT INTO bench_dataset VALUES (%s, %s, %s, %s)", [assets, maintenances, SEED, today])
    return True


def measure_fleet(url: str, seconds: float, warmup: float, *, reseed: bool) -> dict:
    """The small fleet: a first and a re-run generation (statements, peak RSS), then the two lists
    at 4 connections with their 304s, gunicorn with 2 workers as for the large fleet."""
    import psycopg

    url = fleet_url(url)
    env = bench_environment(url)
    started = time.perf_counter()
    seeded = fleet_dataset(url, env, reseed=reseed)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE alerts_notification, alerts_alertevent, alerts_alert, alerts_generationrun")
        conn.execute("VACUUM ANALYZE maintenance_maintenance, assets_asset, alerts_alert")
    runs = [probe(env, "generation"), probe(env, "generation")]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE alerts_alert")
        (active,) = conn.execute("SELECT COUNT(*) FROM alerts_alert WHERE is_active").fetchone()
        (reader,) = conn.execute("SELECT id FROM auth_user WHERE username = %s", [BENCH_USER]).fetchone()
    logger.info(
        "Small fleet: %d assets, %d maintenances, %d active alerts; generation %d/%d queries",
        *FLEET,
        active,
        runs[0]["queries"],
        runs[1]["queries"],
    )
    token = issue_token(env)
    env = {**env, "BENCH_READER_ID": str(reader)}
    result: dict = {
        "assets": FLEET[0],
        "maintenances": FLEET[1],
        "active_alerts": active,
        "seeded": seeded,
        "runs": runs,
    }
    condition = f"{FLEET[0]} assets, {active:,} active alerts"
    with tempfile.TemporaryDirectory(prefix="alertsite-bench-fleet-") as workdir:
        server = Server(env, Path(workdir))
        try:
            for name, product_path, floor_path in (
                ("list_limit50", "/api/alerts?limit=50", "/bench/floor/alerts?limit=50"),
                ("list_full", "/api/alerts", "/bench/floor/alerts"),
            ):
                result[name] = measure_endpoint(
                    server,
                    Path(workdir),
                    f"fleet {name}",
                    condition,
                    product_path,
                    floor_path,
                    token=token,
                    seconds=seconds,
                    warmup=warmup,
                    concurrencies=(FLEET_CONNECTIONS,),
                    etag=True,
                )
        finally:
            server.stop()
    result["seconds"] = time.perf_counter() - started
    return result


# -------------------------------------------------- enqueue and delivery


def measure_enqueue(env: dict[str, str]) -> dict | None:
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    result = probe(env, "enqueue", "--user", BENCH_USER)
    for name in ("first", "changed"):
        cell = result.get(name)
        if cell is None:
            continue
        if cell["notices"] != cell["floor_notices"]:
            logger.warning(
                "enqueue (%s run): the floor's %d notices differ from the product's %d",
                name,
                cell["floor_notices"],
                cell["notices"],
            )
        logger.info(
            "  enqueue  %-8s %d events → %d notices in %.3f s (floor %.3f s)",
            name,
            cell["events"],
            cell["notices"],
            cell["seconds"],
            cell["floor_seconds"],
        )
    return result


def measure_delivery(env: dict[str, str]) -> dict:
    """`bench.notifications` in its own process, on the bench database."""
    completed = subprocess.run(
        [PYTHON, "-m", "bench.notifications", "--json"],
        cwd=PROJECT_DIR,
        env={**env, "NOTIFY_ALLOW_PRIVATE_WEBHOOKS": "true"},
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    for channel in ("webhooks", "emails"):
        logger.info(
            "  %-8s %.0f/s (floor %.0f/s)",
            channel,
            result[channel]["product"]["per_second"],
            result[channel]["floor"]["per_second"],
        )
    return result


# ----------------------------------------------------------------- report


def fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    if unit == "queries" or ((unit.endswith("/s") or unit == "MB") and value >= 10):
        return f"{value:,.0f}"
    if unit == "ms":
        return f"{value:.1f} ms" if value >= 10 else f"{value:.2f} ms"
    if unit == "s":
        return f"{value:.2f} s" if value >= 1 else f"{value * 1000:.0f} ms"
    return f"{value:.1f}"


def markdown_table(figures: list[Figure]) -> str:
    lines = ["| Figure | Value | Floor | Ratio | Target | Result |", "|---|---|---|---|---|---|"]
    for figure in figures:
        unit = f" {figure.unit}" if figure.unit.endswith("/s") or figure.unit in ("MB", "queries") else ""
        ratio = f"{figure.ratio:.2f}×" if figure.ratio is not None else "—"
        result = {True: "pass", False: "**miss**", None: ""}[figure.passed]
        floor = fmt(figure.floor, figure.unit) + (unit if figure.floor is not None else "")
        lines.append(
            f"| {figure.name} | {fmt(figure.value, figure.unit)}{unit} | {floor} | {ratio} | "
            f"{figure.target} | {result} |"
        )
    return "\n".join(lines)


def machine() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
        else:
            cursor.execute("SELECT 'SQLite ' || sqlite_version()")
        (database,) = cursor.fetchone()
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "database": database if connection.vendor != "postgresql" else f"PostgreSQL {database}",
        "platform": platform.platform(),
        # --skip-api runs without wrk installed.
        "wrk": subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
        if shutil.which("wrk")
        else None,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="bench/run",
        description=(
            "Benchmark alert generation and the API against their floors on a seed_demo data set "
            "(see the README's Performance section)."
        ),
    )
    parser.add_argument(
        "--scale",
        choices=sorted(SCALES),
        default="default",
        help="default: 100,000 assets / 1,000,000 maintenances; medium: 10,000 / 100,000; "
        "small: 1,000 / 10,000; tiny: 100 / 1,000.",
    )
    parser.add_argument(
        "--db", choices=["postgres", "sqlite"], default="postgres", help="Database (default: postgres)."
    )
    parser.add_argument(
        "--database-url",
        help=f"PostgreSQL database to use (recreated when needed; name must start with alertsite_bench). "
        f"Default: BENCH_DATABASE_URL or {DEFAULT_PG_URL}[_SCALE].",
    )
    parser.add_argument("--reseed", action="store_true", help="Rebuild the data set even if it matches.")
    parser.add_argument(
        "--repeat", type=int, default=3, help="Generation rounds; medians are reported (default 3)."
    )
    parser.add_argument(
        "--duration", type=float, help="Seconds per load measurement (default 10, 3 below default scale)."
    )
    parser.add_argument(
        "--skip-api", action="store_true", help="No HTTP load (generation, enqueue and delivery only)."
    )
    parser.add_argument(
        "--skip-fleet",
        action="store_true",
        help=f"Not the small fleet ({FLEET[0]} assets, {FLEET[1]:,} maintenances, {FLEET_DATABASE}).",
    )
    parser.add_argument(
        "--results", type=Path, default=BENCH_DIR / "results", help="Directory of the JSON results."
    )
    args = parser.parse_args(argv)
    # Its own handler: Django's LOGGING (set up later) sends the root logger to stdout at WARNING.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False

    if not args.skip_api and shutil.which("wrk") is None:
        raise SystemExit("bench: wrk is not installed (bench/run installs it with apt-get)")
    assets, maintenances = SCALES[args.scale]
    duration = args.duration or (10 if args.scale == "default" else 3)
    url = database_url(args)
    env = bench_environment(url)
    started = datetime.datetime.now(datetime.UTC)
    load_before = os.getloadavg()
    dataset = build_dataset(args, url, env, assets, maintenances)
    generation = measure_generation(env, args.repeat)
    generation["metered_assets"] = dataset["metered_assets"]
    logger.info("Enqueueing notices for 10 subscriptions")
    enqueue = measure_enqueue(env)
    warmup = max(1, min(2, round(duration / 3)))
    api = delivery = fleet = None
    if not args.skip_api:
        api = measure_api(env, duration, warmup=warmup)
    logger.info("Delivering notifications to loopback servers")
    delivery = measure_delivery(env)
    if not args.skip_api and not args.skip_fleet and args.db == "postgres":
        logger.info("Small fleet (%d assets, %d maintenances) in %s", *FLEET, FLEET_DATABASE)
        fleet = measure_fleet(url, duration, warmup, reseed=args.reseed)
    figures = generation_figures(generation, fleet)
    figures += enqueue_figures(enqueue) + delivery_figures(delivery)
    if api is not None:
        figures += (
            api_figures(api) + readings_figures(api.get("readings")) + export_figures(api.get("export"))
        )
    figures += fleet_figures(fleet)

    from alerts.models import Alert

    dataset["active_alerts"] = Alert.objects.filter(is_active=True).count()
    finished = datetime.datetime.now(datetime.UTC)
    report = {
        "started_at": started.isoformat(),
        "finished_at": finished.isoformat(),
        "run_seconds": (finished - started).total_seconds(),
        "scale": args.scale,
        "db": args.db,
        "dataset": dataset,
        "machine": {**machine(), "loadavg_before": load_before, "loadavg_after": os.getloadavg()},
        "database_settings": PG_SETTINGS if args.db == "postgres" else {},
        "load_seconds": duration,
        "figures": [{**asdict(figure), "ratio": figure.ratio} for figure in figures],
        "generation": generation,
        # The statement count and peak memory of a full run, here and on the small fleet (issue 19).
        "constancy": constancy(generation, fleet, assets, maintenances),
        "enqueue": enqueue,
        "delivery": delivery,
        "api": api,
        "fleet": fleet,
    }
    args.results.mkdir(parents=True, exist_ok=True)
    path = args.results / f"{started:%Y%m%dT%H%M%SZ}-{args.scale}-{args.db}.json"
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    title = (
        f"{assets:,} assets, {maintenances:,} maintenances, {dataset['active_alerts']:,} active alerts; "
        f"{report['machine']['database']}, {os.cpu_count()} CPUs, load average before "
        f"{load_before[0]:.2f}, after {report['machine']['loadavg_after'][0]:.2f}"
    )
    sys.stdout.write(
        f"\n{title}; {report['run_seconds'] / 60:.1f} min\n\n{markdown_table(figures)}\n\n"
        f"Results: {path.relative_to(PROJECT_DIR)}\n"
    )


def constancy(generation: dict, fleet: dict | None, assets: int, maintenances: int) -> dict:
    runs = [run for name in generation["runs"] for run in generation["runs"][name]]
    result = {
        f"{maintenances:,} maintenances": {
            "queries": sorted({run["queries"] for run in runs}),
            "peak_rss_mb": max(run["peak_rss_mb"] for run in runs),
        }
    }
    if fleet:
        result[f"{fleet['maintenances']:,} maintenances"] = {
            "queries": sorted({run["queries"] for run in fleet["runs"]}),
            "peak_rss_mb": max(run["peak_rss_mb"] for run in fleet["runs"]),
        }
    return result
