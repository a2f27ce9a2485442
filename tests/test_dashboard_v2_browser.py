"""The dashboard's second version in a real headless Chromium (issue 18, DESIGN §16).

Same machinery as `tests/test_dashboard_browser.py` (its fixtures: a real
server on the test database, Debian's Chromium through Playwright, a page
that fails the test on any Content-Security-Policy violation). Everything is
checked against the API as another client sees it.
"""

import pytest

from tests.test_dashboard_browser import (  # noqa: F401 (fixtures)
    REFRESH_SECONDS,
    WAIT_MS,
    Api,
    browser,
    demo_site,
    new_page,
    rows,
    screenshot,
    server,
    sign_in,
)

pytestmark = pytest.mark.slow


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
        "ids = list(Maintenance.objects.filter(alerts__is_active=True).order_by('id').values_list('id', flat=True)[:3])\n"
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
        "Alert.objects.filter(id=ids[0]).update(is_active=False, resolved_at=now - datetime.timedelta(days=5))"
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
