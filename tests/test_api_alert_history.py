"""`GET /api/alerts/history` and conditional polling (`ETag`, 304) of the dashboard's reads (DESIGN §16)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from alerts import actions
from alerts.choices import RANKS, AlertKind, Priority
from alerts.models import Alert
from alerts.services import generate_alerts
from tests.conftest import _client_for
from tests.factories import AssetFactory, MaintenanceFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

NOW = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=datetime.UTC)


def at(days_ago: float, hour: int = 12) -> datetime.datetime:
    return NOW.replace(hour=hour) - datetime.timedelta(days=days_ago)


def alert(*, priority=Priority.HIGH, created, resolved=None, maintenance=None) -> Alert:
    """An alert written directly, with the history the test needs (each on its own asset)."""
    return Alert.objects.create(
        kind=AlertKind.ASSET_NEEDS_MAINTENANCE if maintenance is None else AlertKind.MAINTENANCE_DUE_SOON,
        priority=priority,
        priority_rank=RANKS[priority],
        asset=maintenance.asset if maintenance else AssetFactory(),
        maintenance=maintenance,
        title="Needs maintenance",
        message="Check it",
        is_active=resolved is None,
        created_at=created,
        updated_at=created,
        resolved_at=resolved,
    )


def history(client, query="?days=5"):
    response = client.get(f"/api/alerts/history{query}")
    assert response.status_code == 200, response.content
    return response.json()


def test_history_counts_alerts_active_at_the_end_of_each_day(technician_client):
    # Created 10 days ago, still active: every day.
    alert(priority=Priority.CRITICAL, created=at(10))
    # Created 3 days ago, resolved yesterday morning: counted 3 and 2 days ago only.
    alert(priority=Priority.HIGH, created=at(3), resolved=at(1, hour=8))
    # Created and resolved on the same day: never active at a day's end.
    alert(priority=Priority.LOW, created=at(2, hour=9), resolved=at(2, hour=15))
    # Created today.
    alert(priority=Priority.LOW, created=at(0, hour=9))
    # Resolved before the window: nowhere.
    alert(priority=Priority.MEDIUM, created=at(30), resolved=at(20))

    series = history(technician_client)

    assert [day["date"] for day in series] == [
        "2026-06-11",
        "2026-06-12",
        "2026-06-13",
        "2026-06-14",
        "2026-06-15",
    ]
    assert [day["total"] for day in series] == [1, 2, 2, 1, 2]
    assert series[1]["by_priority"] == {"LOW": 0, "MEDIUM": 0, "HIGH": 1, "CRITICAL": 1}
    assert series[-1]["by_priority"] == {"LOW": 1, "MEDIUM": 0, "HIGH": 0, "CRITICAL": 1}
    # Today's figure is the stats' total.
    assert series[-1]["total"] == technician_client.get("/api/alerts/stats").json()["total"]


@override_settings(TIME_ZONE="Europe/Paris")
def test_days_are_local_days_of_the_site(technician_client):
    # 23:30 UTC on 13 June is 01:30 on 14 June in Paris: not active at the end of Paris's 13 June.
    alert(created=datetime.datetime(2026, 6, 13, 23, 30, tzinfo=datetime.UTC))

    series = history(technician_client, "?days=3")

    assert [(day["date"], day["total"]) for day in series] == [
        ("2026-06-13", 0),
        ("2026-06-14", 1),
        ("2026-06-15", 1),
    ]


def test_default_is_thirty_days(technician_client):
    series = history(technician_client, "")

    assert len(series) == 30
    assert series[-1]["date"] == "2026-06-15"


@pytest.mark.parametrize(
    "query", ["?days=0", "?days=366", "?days=-1", "?days=ten", "?days=1.5", "?weeks=2", "?days=7&days=30"]
)
def test_days_out_of_range_is_a_400_naming_the_parameter(technician_client, query):
    response = technician_client.get(f"/api/alerts/history{query}")

    assert response.status_code == 400
    assert set(response.json()) == {query[1:].split("=")[0]}


def test_history_needs_a_user_who_may_view_alerts(api_client):
    assert api_client.get("/api/alerts/history").status_code == 401


@pytest.mark.parametrize("days", [30, 365])
def test_history_takes_one_query_whatever_the_number_of_alerts(technician_client, days):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            history(technician_client, f"?days={days}")
        return len(captured)

    alert(created=at(5))
    few = queries()
    for index in range(30):
        alert(priority=Priority.values[index % 4], created=at(index * 7 % days), resolved=at(index % 3))
    assert queries() == few


# Conditional polling.

CONDITIONAL = ["/api/alerts", "/api/alerts/stats", "/api/alerts/history?days=7", "/api/alerts?snoozed=false"]


@pytest.fixture
def maintenance_alert():
    return alert(maintenance=MaintenanceFactory(title="Annual overhaul"), created=at(2))


@pytest.mark.parametrize("path", CONDITIONAL)
def test_unchanged_answer_is_a_304_without_a_body(technician_client, maintenance_alert, path):
    first = technician_client.get(path)
    etag = first["ETag"]

    again = technician_client.get(path, HTTP_IF_NONE_MATCH=etag)

    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert "Authorization" in again["Vary"]
    # A weak comparison (RFC 9110), and a list of tags, match too.
    assert technician_client.get(path, HTTP_IF_NONE_MATCH=f'"other", W/{etag}').status_code == 304
    assert technician_client.get(path, HTTP_IF_NONE_MATCH='"other"').status_code == 200


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda a, user: actions.acknowledge(alert_id=a.pk, user=user), id="acknowledged"),
        pytest.param(
            lambda a, user: actions.snooze(alert_id=a.pk, user=user, until=NOW + datetime.timedelta(hours=1)),
            id="snoozed",
        ),
        pytest.param(lambda a, user: alert(created=NOW), id="created"),
        pytest.param(
            lambda a, user: Alert.objects.filter(pk=a.pk).update(updated_at=NOW, title="Changed"),
            id="updated",
        ),
        pytest.param(lambda a, user: Alert.objects.filter(pk=a.pk).delete(), id="deleted"),
    ],
)
@pytest.mark.parametrize("path", CONDITIONAL)
def test_any_change_gives_a_new_etag(technician_client, maintenance_alert, path, change):
    etag = technician_client.get(path)["ETag"]

    change(maintenance_alert, technician_client.user)

    response = technician_client.get(path, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] != etag


@pytest.mark.parametrize("path", CONDITIONAL)
def test_renaming_the_asset_gives_a_new_etag(technician_client, path, django_capture_on_commit_callbacks):
    """The answers show the asset's name: its save refreshes its alerts, whose messages name it."""
    maintenance = MaintenanceFactory(
        title="Annual overhaul", scheduled_date=NOW.date() - datetime.timedelta(days=3)
    )
    generate_alerts()
    etag = technician_client.get(path)["ETag"]

    with django_capture_on_commit_callbacks(execute=True):
        asset = maintenance.asset
        asset.name = "Renamed pump"
        asset.save()

    response = technician_client.get(path, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert "Renamed pump" in Alert.objects.get(is_active=True).message


def test_a_snooze_that_passes_changes_the_etag_before_its_event_is_written(
    technician_client, maintenance_alert, frozen_clock
):
    actions.snooze(
        alert_id=maintenance_alert.pk, user=technician_client.user, until=NOW + datetime.timedelta(minutes=10)
    )
    etag = technician_client.get("/api/alerts?snoozed=false")["ETag"]
    assert technician_client.get("/api/alerts?snoozed=false").json() == []

    frozen_clock.shift(datetime.timedelta(minutes=11))

    # A token of the moment: the fixture's was issued before the clock moved.
    response = _client_for(technician_client.user).get("/api/alerts?snoozed=false", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert [row["id"] for row in response.json()] == [maintenance_alert.pk]


def test_etag_differs_per_user_and_per_query(technician_client, manager_client, maintenance_alert):
    mine = technician_client.get("/api/alerts?assignee=me")["ETag"]

    assert manager_client.get("/api/alerts?assignee=me", HTTP_IF_NONE_MATCH=mine).status_code == 200
    assert technician_client.get("/api/alerts?assignee=none", HTTP_IF_NONE_MATCH=mine).status_code == 200


def test_a_304_costs_two_queries_whatever_the_number_of_alerts(technician_client, maintenance_alert):
    captured = []

    def queries() -> int:
        etag = technician_client.get("/api/alerts")["ETag"]
        with CaptureQueriesContext(connection) as context:
            assert technician_client.get("/api/alerts", HTTP_IF_NONE_MATCH=etag).status_code == 304
        captured[:] = context.captured_queries
        return len(captured)

    few = queries()
    for index in range(20):
        alert(created=at(index % 5))
    assert queries() == few
    # Authentication's read (the user with their permissions), then the version's lookups: no list.
    assert few == 2
    reads = [query["sql"] for query in captured if 'FROM "alerts_alert"' in query["sql"]]
    assert len(reads) == 1
    assert reads[0].startswith("SELECT (SELECT MAX(")


@pytest.mark.parametrize(
    "delete",
    [
        pytest.param(lambda mine, older: Alert.objects.filter(pk=older.pk).delete(), id="queryset"),
        pytest.param(lambda mine, older: mine.maintenance.delete(), id="cascade from its maintenance"),
    ],
)
def test_a_deletion_gives_a_new_etag_even_below_the_newest_alert(
    technician_client, maintenance_alert, delete
):
    older = alert(created=at(1))
    newest = alert(created=at(3))
    etag = technician_client.get("/api/alerts?is_active=all")["ETag"]

    # The newest alert stays: neither the greatest id nor the latest change moves.
    delete(maintenance_alert, older)

    assert Alert.objects.filter(pk=newest.pk).exists()
    response = technician_client.get("/api/alerts?is_active=all", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200


@pytest.mark.postgres
def test_the_version_is_index_lookups_not_a_scan_of_the_alerts():
    from alerts.selectors import _alerts_version_sql

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN " + _alerts_version_sql(connection.alias),
            [datetime.datetime(2026, 6, 15, tzinfo=datetime.UTC)],
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Seq Scan" not in plan, plan
    assert "alert_updated_idx" in plan and "alert_snoozed_until_idx" in plan, plan


def test_alert_object_names_its_maintenance(technician_client, maintenance_alert):
    row = technician_client.get("/api/alerts").json()[0]

    assert row["maintenance"] == maintenance_alert.maintenance_id
    assert row["maintenance_title"] == "Annual overhaul"
    assert technician_client.get(f"/api/alerts/{row['id']}").json() == row


def test_schema_documents_the_304_and_the_history(technician_client):
    schema = technician_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    for path in ("/api/alerts/", "/api/alerts/stats/", "/api/alerts/history/"):
        operation = schema["paths"][path]["get"]
        assert "304" in operation["responses"], path
        assert "ETag" in operation["responses"]["200"]["headers"], path
        assert "If-None-Match" in [parameter["name"] for parameter in operation["parameters"]], path
    history_operation = schema["paths"]["/api/alerts/history/"]["get"]
    assert {"200", "304", "400", "401", "403"} <= set(history_operation["responses"])
    # An action on one alert is not conditional.
    assert "304" not in schema["paths"]["/api/alerts/{id}/events/"]["get"]["responses"]
