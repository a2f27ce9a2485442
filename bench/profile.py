"""Where a small authenticated request spends its time: `python -m bench.profile` (issue 19).

Runs a request (default `GET /api/alerts?limit=50`) through the whole Django
stack in this process (middleware, JWT, permissions, DRF, the page count,
rendering), many times under cProfile, and prints the time per request of each
layer with the SQL statements it runs. Point it at a bench data set:

    DJANGO_SETTINGS_MODULE=bench.settings DATABASE_URL=postgres://…/alertsite_bench_medium \\
        .venv/bin/python -m bench.profile --requests 300

cProfile slows Python code more than it slows the database, so the shares of
the layers matter more than the absolute figures; `--no-profile` gives the
plain time per request.
"""

import argparse
import cProfile
import os
import pstats
import sys
import time

# (label, file suffix, function name): cumulative time of each, per request.
LAYERS = (
    ("whole request (handler)", "django/core/handlers/base.py", "get_response"),
    ("DRF dispatch (view, after middleware)", "rest_framework/views.py", "dispatch"),
    ("  authentication (JWT, user query)", "rest_framework/request.py", "_authenticate"),
    ("  permissions (user's permissions)", "rest_framework/views.py", "check_permissions"),
    ("  content negotiation", "rest_framework/views.py", "perform_content_negotiation"),
    ("  filters (django-filter, strict)", "alertsite/api/filters.py", "filter_queryset"),
    ("  page (count and rows fetched)", "rest_framework/pagination.py", "paginate_queryset"),
    ("    of which the count", "alertsite/api/pagination.py", "get_count"),
    ("  rows represented", "alertsite/api/serializers.py", "represent"),
    ("  rendering (orjson)", "rest_framework/response.py", "rendered_content"),
    ("SQL executed (all layers)", "django/db/backends/utils.py", "_execute"),
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.splitlines()[0])
    parser.add_argument("--path", default="/api/alerts?limit=50", help="The request (GET).")
    parser.add_argument("--user", default="manager", help="The token's user (default: manager).")
    parser.add_argument("--requests", type=int, default=200, help="Requests profiled (default 200).")
    parser.add_argument("--no-profile", action="store_true", help="Time the requests without cProfile.")
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

    def request():
        response = client.get(args.path)
        assert response.status_code == 200, response.status_code
        return response

    for _ in range(20):  # warm-up: imports, caches, the connection
        request()
    statements: list[str] = []

    def record(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        request()
    started = time.perf_counter()
    profiler = None if args.no_profile else cProfile.Profile()
    if profiler:
        profiler.enable()
    for _ in range(args.requests):
        request()
    if profiler:
        profiler.disable()
    elapsed = (time.perf_counter() - started) / args.requests

    out = sys.stdout
    out.write(f"{args.path} as {args.user}: {elapsed * 1000:.2f} ms per request")
    out.write(" (without profiler)\n" if profiler is None else " (under cProfile)\n")
    out.write(f"{len(statements)} SQL statements:\n")
    for sql in statements:
        out.write(f"  {sql[:150]}\n")
    if profiler is None:
        return
    stats = pstats.Stats(profiler).stats
    total = None
    out.write("\nlayer                                     ms/request   share\n")
    for label, suffix, name in LAYERS:
        seconds = sum(
            cumulative
            for (filename, _line, function), (_cc, _nc, _tt, cumulative, _callers) in stats.items()
            if function == name and filename.replace("\\", "/").endswith(suffix)
        )
        per_request = seconds / args.requests * 1000
        total = total or per_request
        out.write(f"{label:<42}{per_request:>9.3f}   {per_request / total:>6.1%}\n")


if __name__ == "__main__":
    main()
