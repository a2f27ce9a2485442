"""Every response carries the Content-Security-Policy; the pages need nothing it refuses.

The browser tests (test_dashboard_browser, marked slow) check that the
dashboard, the docs and the admin work under it in Chromium.
"""

import re

import pytest

POLICY = {
    "default-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "frame-ancestors": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
}


def directives(header: str) -> dict:
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


@pytest.mark.parametrize(
    "path",
    ["/", "/admin/login/", "/api/docs/", "/api/docs/?script", "/api/schema/", "/healthz", "/api/alerts"],
)
def test_every_response_carries_the_policy(client, db, path):
    response = client.get(path)

    assert directives(response["Content-Security-Policy"]) == POLICY


@pytest.mark.parametrize("path", ["/", "/admin/login/", "/api/docs/"])
def test_pages_have_no_inline_script_or_style(client, db, path):
    html = client.get(path).content.decode()

    inline_scripts = [
        tag
        for tag in re.findall(r"<script\b[^>]*>", html)
        if "src=" not in tag and "application/json" not in tag
    ]
    assert inline_scripts == []
    assert "<style" not in html
    assert not re.search(r"\son[a-z]+=", html)  # no event handler attributes


def test_docs_script_is_served_as_javascript(client, db):
    response = client.get("/api/docs/?script")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in response.content.decode()


def test_violations_are_reported_where_configured():
    from tests.test_settings import manage

    code = "from django.conf import settings; print(settings.CONTENT_SECURITY_POLICY['DIRECTIVES'])"
    reported = manage("shell", "-c", code, DEBUG="1", CSP_REPORT_URI="https://reports.example.com/csp")
    default = manage("shell", "-c", code, DEBUG="1")

    assert "'report-uri': ['https://reports.example.com/csp']" in reported.stdout, reported.stderr
    assert "report-uri" not in default.stdout
