"""One measurement in a fresh process, printed as one JSON line.

`python -m bench.probe generation`: one full generation.
`python -m bench.probe refresh ID [ID ...]`: single-asset refreshes, one per id.
`python -m bench.probe enqueue`: the notices of the latest runs for 10 subscriptions (bench.enqueue).

A fresh process per measurement makes the peak RSS (`ru_maxrss`) the
measurement's own, not that of earlier runs. Django's start-up and the database
connection are made before the clock starts; the SQL statements are counted
with a connection execute_wrapper.
"""

import argparse
import json
import resource
import statistics
import sys
import time

import django

WARMUP_ASSETS = 3


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def rss_mb() -> float:
    """This process's peak resident memory, in MB.

    `VmHWM` of /proc where there is one: `ru_maxrss` carries over the peak of
    the process that started this one (a runner of 98 MB made a 400-asset
    generation look like 98 MB). Elsewhere `ru_maxrss` (Linux: kilobytes).
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_generation() -> dict:
    from django.db import connection

    from alerts.choices import RunTrigger
    from alerts.services import generate_alerts

    connection.ensure_connection()
    counter = QueryCounter()
    rss_before = rss_mb()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        result = generate_alerts(trigger=RunTrigger.CLI)
        seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "queries": counter.count,
        "peak_rss_mb": rss_mb(),
        "rss_before_mb": rss_before,
        "status": result.status,
        "created": result.created,
        "updated": result.updated,
        "resolved": result.resolved,
        "unchanged": result.unchanged,
    }


def measure_refresh(asset_ids: list[int], warmup_ids: list[int]) -> dict:
    """Time `refresh_asset_alerts` once per asset, after a few warm-up calls.

    The refresh runs in a long-lived web worker in production, so the first
    calls of a process (imports, compiled regexes, connection) are not timed.
    """
    from django.db import connection

    from alerts.services import refresh_asset_alerts

    connection.ensure_connection()
    for asset_id in warmup_ids:
        refresh_asset_alerts([asset_id])
    timings, queries = [], []
    for asset_id in asset_ids:
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            started = time.perf_counter()
            refresh_asset_alerts([asset_id])
            timings.append(time.perf_counter() - started)
        queries.append(counter.count)
    return {
        "seconds": timings,
        "median_seconds": statistics.median(timings),
        "queries": max(queries),
        "peak_rss_mb": rss_mb(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.probe", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    sub.add_parser("generation", help="one full generation")
    refresh = sub.add_parser("refresh", help="one single-asset refresh per id")
    refresh.add_argument("asset_ids", type=int, nargs="+")
    refresh.add_argument("--warmup", type=int, nargs="*", default=[], help="ids refreshed untimed first")
    enqueue = sub.add_parser("enqueue", help="the notices of the latest runs for 10 subscriptions")
    enqueue.add_argument("--user", default="manager", help="owner of the subscriptions")
    args = parser.parse_args(argv)

    django.setup()
    if args.what == "generation":
        result = measure_generation()
    elif args.what == "enqueue":
        from django.contrib.auth import get_user_model

        from bench.enqueue import measure_enqueue

        result = measure_enqueue(get_user_model().objects.get(username=args.user))
    else:
        result = measure_refresh(args.asset_ids, args.warmup)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
