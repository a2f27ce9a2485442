"""The CSV export (DESIGN §15) next to its floor: time, and peak memory of the web worker and of Python.

Both exports read the maintenances by scheduled date up to the date where
`rows` of them are reached (all of them on a smaller data set):

- product: `GET /api/maintenances?format=csv&scheduled_before=…` with a token;
- floor: `/bench/floor/maintenances.csv?scheduled_before=…` (a server-side
  cursor and csv.writer, see bench/floor.py).

Each is read over HTTP from the bench's gunicorn while the resident memory of
its workers is sampled (the growth of the one that served it is reported),
then once in this process through Django's test client under tracemalloc (the
peak of Python allocations while the body is read, as a WSGI server reads it).
"""

import threading
import time
import tracemalloc
import urllib.request
from pathlib import Path

EXPORT_ROWS = 100_000
SAMPLE_SECONDS = 0.005


def cutoff(rows: int) -> tuple[str | None, int]:
    """The `scheduled_before` date that holds at least `rows` maintenances, and how many it holds."""
    from maintenance.models import Maintenance

    ordered = Maintenance.objects.order_by("scheduled_date", "id").values_list("scheduled_date", flat=True)
    last = ordered[rows - 1 : rows].first()
    if last is None:
        last = ordered.last()
    if last is None:
        return None, 0
    return last.isoformat(), Maintenance.objects.filter(scheduled_date__lte=last).count()


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime


def over_http(base: str, path: str, token: str | None, master: int) -> dict:
    """Seconds to read the whole body and its size; the peak RSS of the worker that served it, and its growth.

    The serving worker is the one that spent the most CPU meanwhile.
    """
    pids = worker_pids(master)
    before = {pid: rss_bytes(pid) for pid in pids}
    ticks = {pid: cpu_ticks(pid) for pid in pids}
    peak = dict(before)
    done = threading.Event()

    def sample():
        while not done.is_set():
            for pid in pids:
                peak[pid] = max(peak[pid], rss_bytes(pid))
            time.sleep(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    request = urllib.request.Request(f"{base}{path}")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    size = 0
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            while chunk := response.read(1 << 16):
                size += len(chunk)
    finally:
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
    cell = {"seconds": seconds, "bytes": size, "worker_peak_rss_bytes": None, "worker_rss_growth_bytes": None}
    if pids:
        served = max(pids, key=lambda pid: cpu_ticks(pid) - ticks[pid])
        cell["worker_peak_rss_bytes"] = peak[served]
        cell["worker_rss_growth_bytes"] = peak[served] - before[served]
    return cell


def in_process(path: str, token: str | None) -> dict:
    """Peak Python allocation while the streamed body is read (and not kept), and its size."""
    from django.test import Client

    client = Client(SERVER_NAME="localhost")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    response = client.get(path, **headers)
    assert response.status_code == 200 and response.streaming, response.status_code
    tracemalloc.start()
    try:
        size = sum(len(chunk) for chunk in response.streaming_content)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return {"tracemalloc_peak_bytes": peak, "in_process_bytes": size}


def measure_export(base: str, token: str, master: int, rows: int = EXPORT_ROWS) -> dict | None:
    """Product and floor, over HTTP then in this process (Django set up with the bench settings)."""
    date, count = cutoff(rows)
    if date is None:
        return None
    paths = {
        "product": (f"/api/maintenances?format=csv&scheduled_before={date}", token),
        "floor": (f"/bench/floor/maintenances.csv?scheduled_before={date}", None),
    }
    result: dict = {"condition": f"{count:,} maintenances"}
    for variant, (path, auth) in paths.items():
        over_http(base, path, auth, master)  # warm-up: caches, the worker's first allocations
        cell = over_http(base, path, auth, master)
        cell.update(in_process(path, auth))
        cell["rows"] = count
        cell["rows_per_second"] = count / cell["seconds"]
        result[variant] = cell
    return result
