"""A server started as in production (gunicorn, DEBUG off): before `collectstatic`, behind a proxy or not."""

import http.client
import re
import subprocess
import sys
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest

from tests.scheduling_site import MANAGE, free_port, http_get


@contextmanager
def gunicorn(site):
    """gunicorn serving `site` (configured by its env file only); yields the base address."""
    port = free_port()
    with open(site.root / "server.log", "w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "alertsite.wsgi:application", "--bind", f"127.0.0.1:{port}"],
            cwd=MANAGE.parent,
            env=site.environment(),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        http_get(f"{base}/healthz", timeout=60)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


# A client on the network, as far as gunicorn can tell: it trusts proxy headers
# from 127.0.0.1 only (forwarded_allow_ips), so Django's settings decide.
REMOTE = ("127.0.0.2", 0)


def fetch(url: str, headers: dict | None = None) -> tuple[int, str, str, dict]:
    """(status, content type, body, headers) of one GET from REMOTE, redirects not followed."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=30, source_address=REMOTE)
    try:
        connection.request("GET", parts.path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers["Content-Type"], response.read().decode(), response.headers
    finally:
        connection.close()


@pytest.fixture
def uncollected_site(site):
    site.configure(DEBUG="false", SECURE_SSL_REDIRECT="false", STATIC_ROOT=str(site.root / "never-collected"))
    return site


def test_debug_off_without_collectstatic_serves_the_pages_and_their_files(uncollected_site):
    with gunicorn(uncollected_site) as base:
        login = fetch(f"{base}/admin/login/")
        dashboard = fetch(f"{base}/")
        docs = fetch(f"{base}/api/docs/")
        assert (login[0], dashboard[0], docs[0]) == (200, 200, 200), (
            uncollected_site.root / "server.log"
        ).read_text()

        stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+base\.css)"', login[2])[1]
        dashboard_css = re.search(r'href="([^"]+dashboard\.css)"', dashboard[2])[1]
        swagger_js = re.search(r'src="([^"]+swagger-ui-bundle\.js)"', docs[2])[1]
        files = {path: fetch(f"{base}{path}") for path in (stylesheet, dashboard_css, swagger_js)}

    assert stylesheet == "/static/admin/css/base.css"  # plain names: nothing was collected
    assert {
        path: (status, kind.split(";")[0]) for path, (status, kind, _body, _headers) in files.items()
    } == {
        stylesheet: (200, "text/css"),
        dashboard_css: (200, "text/css"),
        swagger_js: (200, "text/javascript"),
    }


def test_once_collected_the_hashed_names_are_used(tmp_path):
    from alertsite.staticfiles import ManifestStaticFilesStorage

    uncollected = ManifestStaticFilesStorage(location=tmp_path)
    assert uncollected.url("admin/css/base.css") == "/static/admin/css/base.css"

    (tmp_path / "staticfiles.json").write_text(
        '{"version": "1.1", "hash": "h", "paths": {"admin/css/base.css": "admin/css/base.0123abcd.css"}}'
    )
    collected = ManifestStaticFilesStorage(location=tmp_path)
    assert collected.url("admin/css/base.css") == "/static/admin/css/base.0123abcd.css"
    with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
        collected.url("admin/css/never-collected.css")


@pytest.mark.parametrize("trusted", [False, True])
def test_x_forwarded_proto_is_trusted_only_behind_a_configured_proxy(site, trusted):
    site.configure(DEBUG="false", TRUST_X_FORWARDED_PROTO=str(trusted).lower())
    with gunicorn(site) as base:
        status, _kind, _body, headers = fetch(f"{base}/api/schema/", {"X-Forwarded-Proto": "https"})

    if trusted:  # the proxy said HTTPS: served, with HSTS
        assert status == 200
        assert "max-age=31536000" in headers["Strict-Transport-Security"]
    else:  # a client's claim: still plain HTTP, redirected, no HSTS
        assert (status, headers["Location"]) == (301, f"https://127.0.0.1:{urlsplit(base).port}/api/schema/")
        assert "Strict-Transport-Security" not in headers
