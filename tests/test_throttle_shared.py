"""The token throttle counts once for every process of the site, not once per worker.

Two real gunicorn servers on one database (as two workers, or two hosts behind
a load balancer): attempts sent to both add up.
"""

import json
import socket
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from tests.scheduling_site import MANAGE, free_port, http_get

REDIS = ("127.0.0.1", 6379)


def redis_is_running() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1):
            return True
    except OSError:
        return False


def forget_redis_throttle() -> None:
    """Redis outlives the test: the count of this address starts from zero (Django's cache key)."""
    import redis

    redis.Redis(*REDIS).delete(":1:throttle_auth-token_127.0.0.1")


def post_token(base: str) -> int:
    body = json.dumps({"username": "nobody", "password": "guess"}).encode()
    request = urllib.request.Request(
        f"{base}/api/auth/token/", body, {"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def servers(site, tmp_path):
    """Start gunicorn servers of the site; each one is its own process with its own memory."""
    processes = []

    def start(**config: str) -> str:
        port = free_port()
        log = open(tmp_path / f"gunicorn-{port}.log", "w")  # noqa: SIM115 (closed with the process)
        processes.append(
            (
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "gunicorn",
                        "alertsite.wsgi:application",
                        "--bind",
                        f"127.0.0.1:{port}",
                    ],
                    cwd=MANAGE.parent,
                    env=site.environment(**config),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                ),
                log,
            )
        )
        base = f"http://127.0.0.1:{port}"
        http_get(f"{base}/healthz", timeout=60)
        return base

    site.configure(SECURE_SSL_REDIRECT="false", TOKEN_THROTTLE_RATE="10/hour")
    yield start
    for process, log in processes:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@pytest.mark.parametrize("cache", ["database", "redis"])
def test_two_processes_share_one_limit(servers, cache, request):
    config = {}
    if cache == "redis":
        if not redis_is_running():
            pytest.skip("no Redis server on 127.0.0.1:6379")
        config["CACHE_URL"] = "redis://127.0.0.1:6379/0"
        forget_redis_throttle()
        request.addfinalizer(forget_redis_throttle)
    first, second = servers(**config), servers(**config)

    statuses = [post_token(first if attempt % 2 else second) for attempt in range(10)]
    assert statuses == [401] * 10

    assert post_token(first) == 429
    assert post_token(second) == 429
