"""The dashboard in a real headless Chromium, against a real server on the test database (issue 8).

The server is `manage.py runserver` in a subprocess configured like the
README's demo (`scripts/run`: DEBUG on, demo data, one generation), on the
test database: the test database itself on PostgreSQL, a migrated file on
SQLite (see `tests/scheduling_site.py`). Everything the tests change goes
through the API or a `manage.py` process, never through this process's
connection, so both databases behave the same. Screenshots land in
`test-artifacts/dashboard/`.

The second version's tests (issue 18, DESIGN §16) follow the first's: acting
on alerts, conditional polling, the chart, the notification settings.

Chromium is Debian's `chromium` package, driven by Playwright without the
browsers Playwright would download. Without either, the tests skip, or fail
when CI is set (`.ci/run` installs chromium, requirements-dev.txt Playwright).
"""

import datetime
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.scheduling_site import MANAGE, free_port, under_ci

PROJECT_DIR = MANAGE.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = PROJECT_DIR / "test-artifacts" / "dashboard"
PASSWORD = "dashboard-tests-password"
REFRESH_SECONDS = 2
# Long enough for a refresh on a busy 2-core machine, short enough to notice a page that never refreshes.
WAIT_MS = 15_000

pytestmark = pytest.mark.slow


def missing(message: str) -> None:
    if under_ci():
        pytest.fail(f"{message}, and CI is set: .ci/run and requirements-dev.txt must provide it")
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright is not installed (pip install -r requirements-dev.txt)")
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} is missing (Debian/Ubuntu: apt-get install chromium)")
    # Playwright's sync API keeps an event loop in this thread while the browser
    # is open, and Django refuses pytest-django's synchronous flush after each
    # test there. These tests never use the database from this process
    # otherwise; the switch is undone when the module is done.
    saved = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if saved is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = saved


@pytest.fixture
def demo_site(site):
    """The README's demo on the test database: demo fleet and users, one generation."""
    site.configure(
        DEBUG="true",
        DEMO_PASSWORD=PASSWORD,
        DASHBOARD_REFRESH_SECONDS=str(REFRESH_SECONDS),
    )
    return site


def seed(site) -> None:
    site.manage("seed_demo", "--assets", "12", "--maintenances", "40")
    site.manage("generate_alerts", "--trigger", "cron")


@pytest.fixture
def server(demo_site):
    """Seed the site and start its server (after the test configured it); its base URL."""
    processes = []

    def start() -> str:
        seed(demo_site)
        port = free_port()
        log = demo_site.root / "runserver.log"
        with log.open("w") as output:
            process = subprocess.Popen(
                [sys.executable, str(MANAGE), "runserver", "--noreload", f"127.0.0.1:{port}"],
                cwd=PROJECT_DIR,
                env=demo_site.environment(),
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        processes.append(process)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"runserver exited: {log.read_text()}")
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2)
                return base
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"runserver did not answer within 30 s: {log.read_text()}")
                time.sleep(0.2)

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=10)


class Api:
    """A plain HTTP client of the server's API, as another user or script would be."""

    def __init__(self, base: str, username: str):
        self.base = base
        self.token = self.call("POST", "/api/auth/token/", {"username": username, "password": PASSWORD})[
            "access"
        ]

    def call(self, method: str, path: str, body: dict | None = None):
        request = urllib.request.Request(
            self.base + path,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        if getattr(self, "token", None):
            request.add_header("Authorization", f"Bearer {self.token}")
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())


@pytest.fixture
def new_page(browser):
    """Opens pages; every test using it fails if a page broke the Content-Security-Policy."""
    contexts = []
    violations = []

    def open_page(*, locale: str = "en-GB", viewport: dict | None = None):
        context = browser.new_context(
            locale=locale, timezone_id="UTC", viewport=viewport or {"width": 1280, "height": 900}
        )
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        page = context.new_page()
        # Chromium reports each refused script, style, image or connection on the console.
        page.on(
            "console",
            lambda message: (
                violations.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert violations == []


def screenshot(page, name: str, capsys) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    with capsys.disabled():
        print(f"\nscreenshot: {path}")
    return path


def sign_in(page, base: str, username: str, *, username_label="Username", password_label="Password"):
    from playwright.sync_api import expect

    page.goto(base + "/")
    page.get_by_label(username_label).fill(username)
    page.get_by_label(password_label).fill(PASSWORD)
    # The keyboard alone signs in: Enter submits the form.
    page.get_by_label(password_label).press("Enter")
    # Every scenario's demo data has alerts: wait for them.
    expect(rows(page)).not_to_have_count(0)


def rows(page):
    return page.locator("#alert-rows tr")


def test_technician_sees_the_demo_alerts_and_marks_one_read(demo_site, server, new_page, capsys):
    from playwright.sync_api import expect

    base = server()
    api = Api(base, "technician")
    alerts = api.call("GET", "/api/alerts")
    stats = api.call("GET", "/api/alerts/stats")
    assert alerts and stats["critical"] > 0
    page = new_page()

    sign_in(page, base, "technician")

    expect(page.get_by_role("heading", name="Active alerts", exact=True)).to_be_visible()
    expect(page.get_by_text("Signed in as technician")).to_be_visible()
    expect(page.locator("#count-total")).to_have_text(str(stats["total"]))
    expect(page.locator("#count-unread")).to_have_text(str(stats["unread"]))
    expect(page.locator("#count-critical")).to_have_text(str(stats["critical"]))
    # Every active alert, most urgent first, as the API orders them.
    expect(rows(page)).to_have_count(len(alerts))
    expect(page.locator("#alert-rows .alert-title")).to_have_text([alert["title"] for alert in alerts])
    expect(rows(page).first.locator(".badge")).to_have_text("Critical")
    first_with_due_date = next(alert for alert in alerts if alert["due_date"])
    due = datetime.date.fromisoformat(first_with_due_date["due_date"])
    expect(page.locator(f'#alert-rows tr[data-id="{first_with_due_date["id"]}"]')).to_contain_text(
        f"{due.day} {due:%b} {due.year}"
    )
    # Technicians may not regenerate: no button at all.
    expect(page.get_by_role("button", name="Regenerate now")).to_have_count(0)
    expect(page.get_by_role("button", name="Mark read")).not_to_have_count(0)
    screenshot(page, "technician", capsys)

    first = rows(page).first
    first.get_by_role("button", name="Mark read").click()

    expect(page.locator("#count-unread")).to_have_text(str(stats["unread"] - 1))
    expect(page.get_by_role("status").filter(has_text="Alert marked read.")).to_be_visible()
    expect(rows(page).first).to_contain_text("Read")
    expect(rows(page).first.get_by_role("button", name="Mark unread")).to_be_visible()
    assert api.call("GET", f"/api/alerts/{alerts[0]['id']}")["is_read"] is True

    refresh = page.evaluate("JSON.parse(sessionStorage.getItem('alertsite.dashboard.tokens')).refresh")
    with page.expect_response(lambda response: response.url.endswith("/api/auth/logout")) as logout:
        page.get_by_role("button", name="Sign out").click()

    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.locator("#dashboard")).to_be_hidden()
    # Signed out on the server too: the refresh token no longer works.
    assert logout.value.status == 205
    with pytest.raises(urllib.error.HTTPError) as refused:
        api.call("POST", "/api/auth/token/refresh/", {"refresh": refresh})
    assert refused.value.code == 401


def test_keyboard_user_marks_an_alert_read_and_keeps_their_place(demo_site, server, new_page):
    from playwright.sync_api import expect

    base = server()
    page = new_page()
    sign_in(page, base, "technician")
    unread = int(page.locator("#count-unread").inner_text())

    page.get_by_role("button", name="Mark all read").focus()
    page.keyboard.press("Tab")
    expect(rows(page).first.get_by_role("button", name="Mark read")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.locator("#count-unread")).to_have_text(str(unread - 1))
    # The rows were rebuilt; focus is back on the same alert's button, now its opposite.
    expect(rows(page).first.get_by_role("button", name="Mark unread")).to_be_focused()
    before = page.locator("#updated-at").inner_text()
    expect(page.locator("#updated-at")).not_to_have_text(before, timeout=REFRESH_SECONDS * 1000 + WAIT_MS)
    expect(rows(page).first.get_by_role("button", name="Mark unread")).to_be_focused()


def test_filters_survive_the_automatic_refresh(demo_site, server, new_page):
    from playwright.sync_api import expect

    base = server()
    api = Api(base, "technician")
    critical = api.call("GET", "/api/alerts?priority=CRITICAL")
    page = new_page()
    sign_in(page, base, "technician")

    page.get_by_label("Priority", exact=True).select_option("CRITICAL")

    expect(rows(page)).to_have_count(len(critical))
    expect(page).to_have_url(base + "/?priority=CRITICAL")
    before = page.locator("#updated-at").inner_text()
    expect(page.locator("#updated-at")).not_to_have_text(before, timeout=REFRESH_SECONDS * 1000 + WAIT_MS)
    expect(page.get_by_label("Priority", exact=True)).to_have_value("CRITICAL")
    expect(page.locator("#alert-rows .badge")).to_have_text(["Critical"] * len(critical))

    page.get_by_label("Unread only").check()
    page.get_by_role("button", name="Mark all read").click()

    expect(page.get_by_role("status").filter(has_text=f"{len(critical)} alerts marked read.")).to_be_visible()
    expect(page.locator("#empty")).to_be_visible()
    stats = api.call("GET", "/api/alerts/stats")
    assert stats["unread"] == stats["total"] - len(critical)
    expect(page.locator("#count-unread")).to_have_text(str(stats["unread"]))

    # A reload keeps the filters: they live in the address.
    page.reload()
    expect(page.get_by_label("Priority", exact=True)).to_have_value("CRITICAL")
    expect(page.get_by_label("Unread only")).to_be_checked()


def test_a_maintenance_created_through_the_api_appears_without_a_reload(demo_site, server, new_page):
    from playwright.sync_api import expect

    base = server()
    page = new_page()
    sign_in(page, base, "technician")
    count = rows(page).count()
    page.evaluate("window.notReloaded = true")

    manager = Api(base, "manager")
    asset = manager.call("GET", "/api/assets?limit=1")["results"][0]
    manager.call(
        "POST",
        "/api/maintenances",
        {
            "asset": asset["id"],
            "title": "Dashboard check valve",
            "scheduled_date": datetime.datetime.now(datetime.UTC).date().isoformat(),
        },
    )

    expect(page.get_by_text("Due soon: Dashboard check valve")).to_be_visible(
        timeout=REFRESH_SECONDS * 1000 + WAIT_MS
    )
    expect(rows(page)).to_have_count(count + 1)
    assert page.evaluate("window.notReloaded") is True


def test_manager_sees_the_stale_warning_and_regenerates(demo_site, server, new_page, capsys):
    from playwright.sync_api import expect

    base = server()
    # No successful run for an hour: three 5-minute runs missed.
    demo_site.shell(
        "import datetime\n"
        "from alerts.models import GenerationRun\n"
        "from django.db.models import F\n"
        "GenerationRun.objects.update(started_at=F('started_at') - datetime.timedelta(hours=1))"
    )
    page = new_page()
    sign_in(page, base, "manager")

    warning = page.locator("#stale-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("The scheduler is stale: no successful generation since")
    expect(page.locator("#last-run")).to_contain_text("Success (Cron) at")
    screenshot(page, "manager-stale", capsys)

    page.get_by_role("button", name="Regenerate now").click()

    result = page.locator("#generate-result")
    expect(result).to_contain_text("Alerts regenerated: 0 created, 0 updated, 0 resolved,")
    unchanged = Api(base, "manager").call("GET", "/api/alerts/stats")["total"]
    expect(result).to_contain_text(f"{unchanged} unchanged")
    expect(warning).to_be_hidden()
    expect(page.locator("#last-run")).to_contain_text("Success (API) at")


def test_access_token_is_renewed_before_it_expires(demo_site, server, new_page):
    from playwright.sync_api import expect

    base = server()
    page = new_page()
    page.clock.install()
    sign_in(page, base, "technician")

    # JWT_ACCESS_MINUTES is 30: the page renews the token within its last minute.
    with page.expect_request(lambda request: request.url.endswith("/api/auth/token/refresh")) as renewal:
        page.clock.run_for("29:30")
    assert renewal.value.response().status == 200
    # The renewal rotated the refresh token: the page renews again with the new one.
    with page.expect_request(lambda request: request.url.endswith("/api/auth/token/refresh")) as second:
        page.clock.run_for("29:30")
    assert second.value.response().status == 200

    page.get_by_role("button", name="Mark read").first.click()
    expect(page.get_by_role("status").filter(has_text="Alert marked read.")).to_be_visible()
    expect(page.get_by_role("heading", name="Sign in")).to_be_hidden()


def test_french_browser_on_a_phone_gets_the_french_dashboard(demo_site, server, new_page, capsys):
    from playwright.sync_api import expect

    # Alerts are written in the site's language when they are generated.
    demo_site.configure(LANGUAGE_CODE="fr")
    base = server()
    page = new_page(locale="fr-FR", viewport={"width": 390, "height": 844})

    sign_in(page, base, "technician", username_label="Nom d’utilisateur", password_label="Mot de passe")

    expect(page.get_by_role("heading", name="Alertes de maintenance")).to_be_visible()
    expect(page.get_by_role("heading", name="Alertes actives", exact=True)).to_be_visible()
    expect(page.locator(".counter.unread dt")).to_have_text("Non lues")
    expect(page.get_by_role("button", name="Marquer comme lue").first).to_be_visible()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
    expect(page.locator("#alert-rows .alert-title").filter(has_text="En retard : ").first).to_be_visible()
    expect(page.locator("#alert-rows .badge").first).to_have_text("Critique")
    expect(page.locator("#next-run")).not_to_have_text("–")
    # One column of cards: nothing wider than the phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "technician-fr-phone", capsys)


def test_docs_and_admin_render_under_the_content_security_policy(demo_site, server, new_page, capsys):
    from playwright.sync_api import expect

    base = server()
    page = new_page()

    response = page.goto(base + "/api/docs/")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    # Swagger UI ran (its script is a file) and read the schema: the operations are listed.
    expect(page.get_by_role("heading", name="alertsite API")).to_be_visible()
    expect(page.locator(".opblock-summary-path").filter(has_text="/api/alerts/{id}/read")).to_have_count(1)
    assert page.locator(".opblock").count() > 20
    # Its stylesheet applied (Swagger UI lays out the operations as blocks).
    assert page.locator(".opblock").first.evaluate("element => getComputedStyle(element).display") != "inline"
    screenshot(page, "docs", capsys)

    page.goto(base + "/admin/login/")
    expect(page.get_by_label("Username:")).to_be_visible()
    # The admin's stylesheet applied: its header has the admin's colours, not the browser's.
    header = page.locator("#header").evaluate("element => getComputedStyle(element).backgroundColor")
    assert header not in ("rgba(0, 0, 0, 0)", "transparent")


# The second version (issue 18, DESIGN §16).


def open_first_detail(page, alert_id):
    page.locator(f'#alert-rows tr[data-id="{alert_id}"]').get_by_role("button", name="Details").click()
    dialog = page.get_by_role("dialog")
    from playwright.sync_api import expect

    expect(dialog).to_be_visible()
    return dialog


def test_technician_acknowledges_and_snoozes_and_the_api_agrees(demo_site, server, new_page, capsys):
    from playwright.sync_api import expect

    base = server()
    api = Api(base, "technician")
    alerts = api.call("GET", "/api/alerts")
    first, second = alerts[0], alerts[1]
    page = new_page()
    sign_in(page, base, "technician")
    expect(page.locator("#count-acknowledged")).to_have_text("0")

    dialog = open_first_detail(page, first["id"])
    expect(dialog.get_by_role("heading", name=first["title"])).to_be_visible()
    expect(dialog.locator("#dialog-events li").first).to_contain_text("Created")
    dialog.get_by_label("Note (optional)").fill("On my way")
    dialog.get_by_role("button", name="Acknowledge", exact=True).click()

    expect(dialog.get_by_role("status")).to_have_text("Alert acknowledged.")
    expect(dialog.locator("#dialog-events")).to_contain_text("On my way")
    shown = api.call("GET", f"/api/alerts/{first['id']}")
    assert shown["acknowledged_at"] is not None
    events = api.call("GET", f"/api/alerts/{first['id']}/events")
    assert ("ACKNOWLEDGED", "On my way") in [(event["kind"], event["note"]) for event in events]
    expect(page.locator("#count-acknowledged")).to_have_text("1")
    screenshot(page, "detail-acknowledged", capsys)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    dialog = open_first_detail(page, second["id"])
    dialog.get_by_label("Snooze until").select_option("4h")
    dialog.get_by_label("Reason (optional)").fill("Waiting for parts")
    dialog.get_by_role("button", name="Snooze", exact=True).click()
    expect(dialog.get_by_role("status")).to_contain_text("Alert snoozed until")
    snoozed = api.call("GET", f"/api/alerts/{second['id']}")
    assert snoozed["snooze_reason"] == "Waiting for parts"
    assert snoozed["snoozed_until"] is not None
    dialog.get_by_role("button", name="Close").click()

    # Snoozed alerts are hidden by default, counted, and shown on demand (kept in the address).
    expect(page.locator(f'#alert-rows tr[data-id="{second["id"]}"]')).to_have_count(0)
    expect(rows(page)).to_have_count(len(alerts) - 1)
    expect(page.locator("#count-snoozed")).to_have_text("1")
    page.get_by_label("Show snoozed").check()
    expect(page).to_have_url(base + "/?show_snoozed=true")
    snoozed_row = page.locator(f'#alert-rows tr[data-id="{second["id"]}"]')
    expect(snoozed_row).to_contain_text("Snoozed until")
    expect(rows(page)).to_have_count(len(alerts))


def test_polls_are_conditional_304_while_nothing_changes(demo_site, server, new_page):
    from playwright.sync_api import expect

    base = server()
    page = new_page()
    answers = []
    page.on(
        "response",
        lambda response: (
            answers.append((response.url.split("?")[0], response.status))
            if "/api/alerts" in response.url
            else None
        ),
    )
    sign_in(page, base, "technician")
    count = rows(page).count()

    # Two refreshes later, the list, stats and history answered 304.
    page.wait_for_timeout((REFRESH_SECONDS * 2 + 1) * 1000)
    for path in ("/api/alerts", "/api/alerts/stats", "/api/alerts/history"):
        statuses = [status for url, status in answers if url == base + path]
        assert statuses[0] == 200, (path, statuses)
        assert 304 in statuses, (path, statuses)
    # And the page still shows the alerts.
    expect(rows(page)).to_have_count(count)


def test_mine_and_completing_a_maintenance_resolves_its_alert(demo_site, server, new_page, capsys):
    from playwright.sync_api import expect

    base = server()
    # Three maintenances with alerts go to the technician, and so do their alerts (DESIGN §11).
    demo_site.shell(
        "from django.contrib.auth import get_user_model\n"
        "from alerts.models import Alert\n"
        "from maintenance.models import Maintenance\n"
        "user = get_user_model().objects.get(username='technician')\n"
        "open = Maintenance.objects.filter(alerts__is_active=True).order_by('id')\n"
        "ids = list(open.values_list('id', flat=True)[:3])\n"
        "Maintenance.objects.filter(id__in=ids).update(assigned_to=user)\n"
        "Alert.objects.filter(maintenance_id__in=ids, is_active=True).update(assignee=user)"
    )
    api = Api(base, "technician")
    mine = api.call("GET", "/api/alerts?assignee=me&snoozed=false")
    assert mine, "the demo assigns work to the technician"
    page = new_page()
    sign_in(page, base, "technician")

    page.get_by_label("Mine").check()
    expect(page).to_have_url(base + "/?assignee=me")
    expect(rows(page)).to_have_count(len(mine))
    expect(page.locator("#alert-rows .assignee").first).to_have_text("Assigned to technician")

    target = next(alert for alert in mine if alert["maintenance"])
    row = page.locator(f'#alert-rows tr[data-id="{target["id"]}"]')
    # Technicians see the maintenance's title, not a link to the admin.
    expect(row.locator(".maintenance-title")).to_have_text(target["maintenance_title"])
    assert row.locator("a.maintenance-title").count() == 0
    dialog = open_first_detail(page, target["id"])
    dialog.get_by_role("button", name="Mark the maintenance done").click()

    expect(dialog.get_by_role("status")).to_have_text("Maintenance marked done; its alert is resolved.")
    expect(dialog.locator("#dialog-events")).to_contain_text("Resolved")
    assert api.call("GET", f"/api/alerts/{target['id']}")["is_active"] is False
    assert api.call("GET", f"/api/maintenances/{target['maintenance']}")["status"] == "DONE"
    dialog.get_by_role("button", name="Close").click()
    expect(row).to_have_count(0)


def test_manager_sees_the_trend_with_the_right_totals_and_admin_links(demo_site, server, new_page, capsys):
    from playwright.sync_api import expect

    base = server()
    # A seeded history: some alerts created days ago, one resolved five days ago.
    demo_site.shell(
        "import datetime\n"
        "from django.utils import timezone\n"
        "from alerts.models import Alert\n"
        "ids = list(Alert.objects.filter(is_active=True).order_by('id').values_list('id', flat=True))\n"
        "now = timezone.now()\n"
        "Alert.objects.filter(id__in=ids[:6]).update(created_at=now - datetime.timedelta(days=20))\n"
        "Alert.objects.filter(id__in=ids[6:9]).update(created_at=now - datetime.timedelta(days=10))\n"
        "resolved = now - datetime.timedelta(days=5)\n"
        "Alert.objects.filter(id=ids[0]).update(is_active=False, resolved_at=resolved)"
    )
    history = Api(base, "manager").call("GET", "/api/alerts/history?days=30")
    # 20 days ago: 6; 10 days ago: 9; 5 days ago: one of them resolved during the day.
    assert [history[index]["total"] for index in (-22, -21, -11, -6)] == [0, 6, 9, 8]
    page = new_page()
    sign_in(page, base, "manager")

    chart = page.locator("#trend-chart svg")
    expect(chart).to_be_visible()
    days = page.locator("#trend-chart g.day")
    expect(days).to_have_count(30)
    assert days.evaluate_all("groups => groups.map(g => Number(g.dataset.total))") == [
        day["total"] for day in history
    ]
    expect(page.locator("#trend-title")).to_have_text("Active alerts by priority over the last 30 days")
    expect(page.locator("#trend-desc")).to_contain_text(f"{history[-1]['total']} active today")
    # The same figures, as a table for screen readers.
    expect(page.locator("#trend-rows tr")).to_have_count(30)
    expect(page.locator("#trend-rows tr").last.locator("td").first).to_have_text(str(history[-1]["total"]))
    # Managers open the maintenance in the admin, by its title.
    link = page.locator("#alert-rows a.maintenance-title").first
    expect(link).to_have_attribute(
        "href", "/admin/maintenance/maintenance/" + link.get_attribute("href").split("/")[-3] + "/change/"
    )
    screenshot(page, "manager-trend", capsys)


def test_subscriptions_are_created_edited_tested_and_deleted_from_the_settings(
    demo_site, server, new_page, capsys
):
    from playwright.sync_api import expect

    base = server()
    page = new_page()
    sign_in(page, base, "technician")

    page.get_by_role("link", name="Notification settings").click()
    expect(page.get_by_role("heading", name="Notification settings")).to_be_visible()
    expect(page.locator("#dashboard")).to_be_hidden()
    expect(page.get_by_text("No subscription yet.")).to_be_visible()

    # A webhook to a private address is refused, with the field's message.
    page.get_by_label("Name", exact=True).fill("Loopback hook")
    page.get_by_label("Channel").select_option("WEBHOOK")
    page.get_by_label("Target (email address or webhook URL; empty: your email)").fill(
        "http://127.0.0.1:9/hook"
    )
    page.get_by_role("button", name="Save the subscription").click()
    expect(page.locator("#subscription-target-error")).not_to_be_empty()

    # An email subscription to the user's own address (the console backend delivers it).
    page.get_by_label("Channel").select_option("EMAIL")
    page.get_by_label("Name", exact=True).fill("My critical alerts")
    page.get_by_label("Target (email address or webhook URL; empty: your email)").fill("")
    page.get_by_label("From priority").select_option("CRITICAL")
    page.get_by_role("button", name="Save the subscription").click()
    expect(page.locator("#settings-status")).to_have_text("Subscription created.")
    row = page.locator("#subscription-rows tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("technician@example.com")
    api = Api(base, "technician")
    [saved] = api.call("GET", "/api/subscriptions")
    assert (saved["name"], saved["min_priority"], saved["channel"]) == (
        "My critical alerts",
        "CRITICAL",
        "EMAIL",
    )

    row.get_by_role("button", name="Send a test: My critical alerts").click()
    expect(page.locator("#settings-status")).to_have_text("Test notice sent to technician@example.com.")
    notices = api.call("GET", f"/api/notifications?subscription={saved['id']}")
    assert [(notice["kind"], notice["status"]) for notice in notices] == [("TEST", "SENT")]

    row.get_by_role("button", name="Edit: My critical alerts").click()
    page.get_by_label("Name", exact=True).fill("Everything high")
    page.get_by_label("From priority").select_option("HIGH")
    page.get_by_role("button", name="Save the subscription").click()
    expect(page.locator("#settings-status")).to_have_text("Subscription saved.")
    assert api.call("GET", f"/api/subscriptions/{saved['id']}")["min_priority"] == "HIGH"
    screenshot(page, "settings", capsys)

    page.get_by_role("button", name="Delete: Everything high").click()
    expect(page.get_by_text("No subscription yet.")).to_be_visible()
    assert api.call("GET", "/api/subscriptions") == []


def test_french_phone_layout_of_the_second_version(demo_site, server, new_page, capsys):
    from playwright.sync_api import expect

    demo_site.configure(LANGUAGE_CODE="fr")
    base = server()
    page = new_page(locale="fr-FR", viewport={"width": 390, "height": 844})
    sign_in(page, base, "technician", username_label="Nom d’utilisateur", password_label="Mot de passe")

    expect(page.locator("#trend-chart svg")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "technician-fr-phone-v2", capsys)
    rows(page).first.locator("button[data-detail]").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "technician-fr-phone-detail", capsys)
    page.keyboard.press("Escape")
    page.locator("#nav-settings").click()
    expect(page.locator("#settings")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "technician-fr-phone-settings", capsys)
