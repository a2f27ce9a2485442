"""Where a small authenticated request spends its time: `python -m bench.profile` (issue 19).

Runs a request (default `GET /api/alerts?limit=50`) through the whole Django
stack in this process (middleware, JWT, permissions, DRF, the page count,
rendering), many times under cProfile, and prints the time per request of each
layer with the SQL statements it runs. Point it at a bench data set:

    DJANGO_SETTINGS_MODULE=bench.settings DATABASE_URL=postgres://…/alertsite_bench_medium \\
        .venv/bin/python -m bench.profile --requests 300

cProfile slows Python code more than it slows the database, so the shares of
the layers matter more than the absolute figures; `--no-profile` gives the
plain time per request, and this process's CPU time per request, which other
work on the machine disturbs less. `--if-none-match` sends the ETag of a first
answer, so the requests profiled are the 304s that replace it.
"""

import argparse
import cProfile
import os
import pstats
import sys
import time

# (label, file suffix, function name): cumulative time of each, per request.
LAYERS = (
    ("whole request (with a streamed body)", "bench/profile.py", "request"),
    ("  handler (middleware and view)", "django/core/handlers/base.py", "get_response"),
    ("  DRF dispatch (the view)", "rest_framework/views.py", "dispatch"),
    ("  authentication (JWT, user query)", "rest_framework/request.py", "_authenticate"),
    ("    of which the user and permissions", "alertsite/api/authentication.py", "token_user"),
    ("  permissions (user's permissions)", "rest_framework/views.py", "check_permissions"),
    ("  content negotiation", "rest_framework/views.py", "perform_content_negotiation"),
    ("  ETag (alerts_version)", "alerts/selectors.py", "alerts_version"),
    ("  filters (django-filter, strict)", "alertsite/api/filters.py", "filter_queryset"),
    ("  page (count and rows fetched)", "rest_framework/pagination.py", "paginate_queryset"),
    ("    of which the count", "alertsite/api/pagination.py", "get_count"),
    ("  rows represented", "alertsite/api/serializers.py", "represent"),
    ("  rendering (orjson)", "rest_framework/response.py", "rendered_content"),
    ("  streamed body (rows fetched, represented, rendered)", "alertsite/api/renderers.py", "stream"),
    ("SQL executed (all layers)", "django/db/backends/utils.py", "_execute"),
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.splitlines()[0])
    parser.add_argument("--path", default="/api/alerts?limit=50", help="The request (GET).")
    parser.add_argument("--user", default="manager", help="The token's user (default: manager).")
    parser.add_argument("--requests", type=int, default=200, help="Requests profiled (default 200).")
    parser.add_argument("--no-profile", action="store_true", help="Time the requests without cProfile.")
    parser.add_argument(
        "--if-none-match", action="store_true", help="Send the first answer's ETag: profile the 304s."
    )
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from rest_framework_simplejwt.tokens import AccessToken

    user = get_user_model().objects.get(username=args.user)
    client = Client(SERVER_NAME="localhost", HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")

    headers = {}
    if args.if_none_match:
        headers["If-None-Match"] = client.get(args.path)["ETag"]
    expected = 304 if args.if_none_match else 200

    def request():
        response = client.get(args.path, headers=headers)
        assert response.status_code == expected, response.status_code
        if response.streaming:
            # A streamed list is represented and rendered while it is read.
            b"".join(response.streaming_content)
        return response

    for _ in range(20):  # warm-up: imports, caches, the connection
        request()
    statements: list[str] = []

    def record(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        request()
    started, cpu_started = time.perf_counter(), time.process_time()
    profiler = None if args.no_profile else cProfile.Profile()
    if profiler:
        profiler.enable()
    for _ in range(args.requests):
        request()
    if profiler:
        profiler.disable()
    elapsed = (time.perf_counter() - started) / args.requests
    cpu = (time.process_time() - cpu_started) / args.requests

    out = sys.stdout
    out.write(f"{args.path} as {args.user}: {elapsed * 1000:.2f} ms per request")
    out.write(f", {cpu * 1000:.2f} ms of CPU time in this process")
    out.write(" (without profiler)\n" if profiler is None else " (under cProfile)\n")
    out.write(f"{len(statements)} SQL statements:\n")
    for sql in statements:
        out.write(f"  {sql[:150]}\n")
    if profiler is None:
        return
    stats = pstats.Stats(profiler).stats

    def per_request(suffix: str, name: str) -> float:
        seconds = sum(
            cumulative
            for (filename, _line, function), (_cc, _nc, _tt, cumulative, _callers) in stats.items()
            if function == name and filename.replace("\\", "/").endswith(suffix)
        )
        return seconds / args.requests * 1000

    rows = [(label, per_request(suffix, name)) for label, suffix, name in LAYERS]
    total = rows[0][1]
    # The middleware is what the handler spends outside the view.
    rows.insert(2, ("  middleware (handler minus view)", rows[1][1] - rows[2][1]))
    out.write("\n" + "layer".ljust(56) + "ms/request   share\n")
    for label, value in rows:
        out.write(f"{label:<56}{value:>9.3f}   {value / total:>6.1%}\n")


if __name__ == "__main__":
    main()
