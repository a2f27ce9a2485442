"""The alerts API: the seed's contract, filters, read state, generation, stats and runs."""

import datetime

import pytest

from alerts import services
from alerts.choices import AlertKind, Priority, RunStatus, RunTrigger
from alerts.generation import faults
from alerts.models import Alert, GenerationRun
from alerts.services import generate_alerts
from assets.choices import AssetStatus, Criticality
from maintenance.choices import MaintenanceStatus
from maintenance.models import Maintenance
from tests.factories import AssetFactory, MaintenanceFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

TODAY = datetime.date(2026, 6, 15)
NOW = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=datetime.UTC)

# The seed's fields, in their order, then the people on the alert (DESIGN §11).
ALERT_FIELDS = [
    "id",
    "kind",
    "priority",
    "title",
    "message",
    "asset",
    "asset_code",
    "asset_name",
    "maintenance",
    "due_date",
    "is_active",
    "is_read",
    "read_at",
    "created_at",
    "updated_at",
    "resolved_at",
    "assignee",
    "assignee_username",
    "acknowledged_at",
    "acknowledged_by",
    "snoozed_until",
    "snooze_reason",
    "maintenance_title",
]


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


@pytest.fixture
def fleet():
    """Five active alerts of every priority and one resolved alert.

    Factories do not trigger the instant refresh here (the test transaction
    never commits), so the alerts come from one explicit generation.
    """
    critical_pump = AssetFactory(code="PUMP-001", name="Main pump", criticality=Criticality.CRITICAL)
    MaintenanceFactory(asset=critical_pump, title="Seal", scheduled_date=days(-10))
    MaintenanceFactory(title="Filter", scheduled_date=days(1))
    MaintenanceFactory(title="Belt", scheduled_date=days(5))
    AssetFactory(code="TRUCK-001", status=AssetStatus.OUT_OF_SERVICE, criticality=Criticality.LOW)
    AssetFactory(code="FAN-001", status=AssetStatus.NEEDS_MAINTENANCE, criticality=Criticality.LOW)
    done_later = MaintenanceFactory(title="Oil", scheduled_date=days(3))
    generate_alerts()
    Maintenance.objects.filter(pk=done_later.pk).update(status=MaintenanceStatus.DONE, completed_at=NOW)
    generate_alerts()
    return critical_pump


def summary(alerts: list[dict]) -> list[tuple[str, str, str | None]]:
    return [(a["priority"], a["kind"], a["due_date"]) for a in alerts]


# The seed's contract: an array of active alerts, most urgent first.


def test_list_is_an_array_of_active_alerts_most_urgent_first(manager_client, fleet):
    response = manager_client.get("/api/alerts")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert summary(response.json()) == [
        (Priority.CRITICAL, AlertKind.MAINTENANCE_OVERDUE, "2026-06-05"),
        (Priority.HIGH, AlertKind.MAINTENANCE_DUE_SOON, "2026-06-16"),
        # Same priority without a due date comes after the dated one, on every database.
        (Priority.HIGH, AlertKind.ASSET_NEEDS_MAINTENANCE, None),
        (Priority.MEDIUM, AlertKind.MAINTENANCE_DUE_SOON, "2026-06-20"),
        (Priority.LOW, AlertKind.ASSET_NEEDS_MAINTENANCE, None),
    ]


def test_alert_object_has_exactly_the_fields_of_the_design(manager_client, fleet):
    alert = manager_client.get("/api/alerts").json()[0]
    stored = Alert.objects.get(pk=alert["id"])

    assert list(alert) == ALERT_FIELDS
    assert alert == {
        "id": stored.pk,
        "kind": "MAINTENANCE_OVERDUE",
        "priority": "CRITICAL",
        "title": stored.title,
        "message": stored.message,
        "asset": fleet.pk,
        "asset_code": "PUMP-001",
        "asset_name": "Main pump",
        "maintenance": stored.maintenance_id,
        "due_date": "2026-06-05",
        "is_active": True,
        "is_read": False,
        "read_at": None,
        "created_at": "2026-06-15T12:00:00Z",
        "updated_at": "2026-06-15T12:00:00Z",
        "resolved_at": None,
        "assignee": None,
        "assignee_username": None,
        "acknowledged_at": None,
        "acknowledged_by": None,
        "snoozed_until": None,
        "snooze_reason": "",
        "maintenance_title": "Seal",
    }


def test_detail_has_the_same_representation_as_the_list(manager_client, fleet):
    listed = manager_client.get("/api/alerts").json()

    for alert in listed:
        assert manager_client.get(f"/api/alerts/{alert['id']}").json() == alert


def test_detail_reaches_a_resolved_alert_whatever_the_query_string(manager_client, fleet):
    resolved = Alert.objects.get(is_active=False)

    response = manager_client.get(f"/api/alerts/{resolved.pk}?priority=nonsense")

    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert response.json()["resolved_at"] == "2026-06-15T12:00:00Z"


def test_unknown_alert_is_a_json_404(manager_client, fleet):
    response = manager_client.get("/api/alerts/999999")

    assert response.status_code == 404
    assert response.json() == {"detail": "No Alert matches the given query."}


# Array or page.


def test_limit_and_offset_give_a_page(manager_client, fleet):
    everything = manager_client.get("/api/alerts").json()

    page = manager_client.get("/api/alerts?limit=2&offset=2").json()

    assert set(page) == {"count", "next", "previous", "results"}
    assert page["count"] == 5
    assert page["results"] == everything[2:4]
    assert page["next"] == "http://testserver/api/alerts?limit=2&offset=4"
    assert page["previous"] == "http://testserver/api/alerts?limit=2"


def test_offset_alone_also_gives_a_page(manager_client, fleet):
    page = manager_client.get("/api/alerts?offset=4").json()

    assert page["count"] == 5
    assert len(page["results"]) == 1
    assert page["next"] is None


def test_filters_and_page_combine(manager_client, fleet):
    page = manager_client.get("/api/alerts?priority=HIGH&limit=1").json()

    assert page["count"] == 2
    assert summary(page["results"]) == [(Priority.HIGH, AlertKind.MAINTENANCE_DUE_SOON, "2026-06-16")]


@pytest.mark.parametrize(
    ("query", "param"),
    [("limit=0", "limit"), ("limit=ten", "limit"), ("limit=1001", "limit"), ("offset=-1", "offset")],
)
def test_bad_page_parameters_are_a_400_naming_them(manager_client, fleet, query, param):
    response = manager_client.get(f"/api/alerts?{query}")

    assert response.status_code == 400
    assert list(response.json()) == [param]


# Filters.


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("priority=CRITICAL", [(Priority.CRITICAL, AlertKind.MAINTENANCE_OVERDUE)]),
        (
            "priority=LOW&priority=CRITICAL",
            [
                (Priority.CRITICAL, AlertKind.MAINTENANCE_OVERDUE),
                (Priority.LOW, AlertKind.ASSET_NEEDS_MAINTENANCE),
            ],
        ),
        (
            "kind=ASSET_NEEDS_MAINTENANCE",
            [
                (Priority.HIGH, AlertKind.ASSET_NEEDS_MAINTENANCE),
                (Priority.LOW, AlertKind.ASSET_NEEDS_MAINTENANCE),
            ],
        ),
        ("kind=MAINTENANCE_DUE_SOON&priority=MEDIUM", [(Priority.MEDIUM, AlertKind.MAINTENANCE_DUE_SOON)]),
        ("is_active=false", [(Priority.MEDIUM, AlertKind.MAINTENANCE_DUE_SOON)]),
        (
            "is_active=all&kind=MAINTENANCE_DUE_SOON",
            [(Priority.HIGH, AlertKind.MAINTENANCE_DUE_SOON)]
            + 2 * [(Priority.MEDIUM, AlertKind.MAINTENANCE_DUE_SOON)],
        ),
        (
            "ordering=priority&kind=ASSET_NEEDS_MAINTENANCE",
            [
                (Priority.LOW, AlertKind.ASSET_NEEDS_MAINTENANCE),
                (Priority.HIGH, AlertKind.ASSET_NEEDS_MAINTENANCE),
            ],
        ),
    ],
)
def test_filters(manager_client, fleet, query, expected):
    response = manager_client.get(f"/api/alerts?{query}")

    assert response.status_code == 200
    assert [(a["priority"], a["kind"]) for a in response.json()] == expected


def test_filter_by_read_state(manager_client, fleet):
    first = Alert.objects.filter(is_active=True).order_by("pk").first()
    services.mark_read(alerts=Alert.objects.filter(pk=first.pk), user=manager_client.user)

    read = manager_client.get("/api/alerts?is_read=true").json()
    unread = manager_client.get("/api/alerts?is_read=False").json()

    assert [a["id"] for a in read] == [first.pk]
    assert len(unread) == 4 and first.pk not in {a["id"] for a in unread}


def test_filter_by_asset_and_maintenance(manager_client, fleet):
    overdue = Alert.objects.get(kind=AlertKind.MAINTENANCE_OVERDUE)

    by_asset = manager_client.get(f"/api/alerts?asset={fleet.pk}").json()
    by_maintenance = manager_client.get(f"/api/alerts?maintenance={overdue.maintenance_id}").json()
    nothing = manager_client.get("/api/alerts?asset=999999").json()

    assert [a["id"] for a in by_asset] == [overdue.pk]
    assert [a["id"] for a in by_maintenance] == [overdue.pk]
    assert nothing == []


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("is_read=maybe", "is_read"),
        ("is_read=", None),
        ("is_active=yes", "is_active"),
        ("priority=URGENT", "priority"),
        ("priority=critical", "priority"),
        ("kind=OVERDUE", "kind"),
        ("asset=abc", "asset"),
        ("asset=0", "asset"),
        ("maintenance=1.5", "maintenance"),
        ("asset=5.0", "asset"),
        ("ordering=colour", "ordering"),
        ("ordering=", None),
        ("ordering=,", "ordering"),
        ("ordering=priority,,due_date", "ordering"),
        ("priorty=HIGH", "priorty"),
    ],
)
def test_bad_filter_values_are_a_400_naming_the_parameter(manager_client, fleet, query, param):
    response = manager_client.get(f"/api/alerts?{query}")

    if param is None:  # An empty value means "no filter", as everywhere in django-filter.
        assert response.status_code == 200
        return
    assert response.status_code == 400
    body = response.json()
    assert list(body) == [param]
    assert body[param][0]


# Read state, and the stats that follow it.


def stats(client) -> dict:
    response = client.get("/api/alerts/stats")
    assert response.status_code == 200
    return response.json()


def test_stats_count_active_alerts_by_priority_and_kind(manager_client, fleet):
    assert stats(manager_client) == {
        "total": 5,
        "unread": 5,
        "critical": 1,
        "by_priority": {"LOW": 1, "MEDIUM": 1, "HIGH": 2, "CRITICAL": 1},
        "by_kind": {"MAINTENANCE_DUE_SOON": 2, "MAINTENANCE_OVERDUE": 1, "ASSET_NEEDS_MAINTENANCE": 2},
        "acknowledged": 0,
        "snoozed": 0,
        "unassigned": 5,
    }


def test_read_and_unread_change_the_alert_and_the_stats(technician_client, technician, fleet):
    alert = Alert.objects.get(kind=AlertKind.MAINTENANCE_OVERDUE)

    read = technician_client.post(f"/api/alerts/{alert.pk}/read")

    assert read.status_code == 200
    assert read.json()["is_read"] is True
    assert read.json()["read_at"] == "2026-06-15T12:00:00Z"
    assert Alert.objects.get(pk=alert.pk).read_by == technician
    assert stats(technician_client)["unread"] == 4

    again = technician_client.post(f"/api/alerts/{alert.pk}/read/")
    assert again.status_code == 200
    assert stats(technician_client)["unread"] == 4

    unread = technician_client.post(f"/api/alerts/{alert.pk}/unread")

    assert unread.status_code == 200
    assert unread.json()["is_read"] is False
    assert unread.json()["read_at"] is None
    assert Alert.objects.get(pk=alert.pk).read_by is None
    assert stats(technician_client)["unread"] == 5


def test_read_all_takes_the_list_filters(manager_client, fleet):
    response = manager_client.post("/api/alerts/read-all?priority=HIGH")

    assert response.status_code == 200
    assert response.json() == {"marked": 2}
    assert stats(manager_client)["unread"] == 3
    assert {a["priority"] for a in manager_client.get("/api/alerts?is_read=false").json()} == {
        "CRITICAL",
        "MEDIUM",
        "LOW",
    }
    assert manager_client.post("/api/alerts/read-all?priority=HIGH").json() == {"marked": 0}


def test_read_all_without_filters_marks_only_active_alerts(manager_client, fleet):
    response = manager_client.post("/api/alerts/read-all")

    assert response.json() == {"marked": 5}
    assert stats(manager_client)["unread"] == 0
    assert Alert.objects.get(is_active=False).is_read is False


def test_read_all_rejects_a_bad_filter_and_marks_nothing(manager_client, fleet):
    response = manager_client.post("/api/alerts/read-all?priority=SOON")

    assert response.status_code == 400
    assert list(response.json()) == ["priority"]
    assert stats(manager_client)["unread"] == 5


def test_read_an_unknown_alert_is_a_404(manager_client, fleet):
    assert manager_client.post("/api/alerts/999999/read").status_code == 404


# Generation.


def test_generate_reports_a_real_change(manager_client, fleet):
    # Created behind the API's back: no instant refresh, only the generation sees it.
    Maintenance.objects.bulk_create(
        [Maintenance(asset=fleet, title="Valve", scheduled_date=days(-2), status=MaintenanceStatus.PLANNED)]
    )

    response = manager_client.post("/api/alerts/generate")

    assert response.status_code == 200
    body = response.json()
    assert list(body) == [
        "message",
        "alerts_created",
        "alerts_updated",
        "alerts_resolved",
        "alerts_unchanged",
        "run",
        "duration_ms",
    ]
    assert body["message"] == "Alerts regenerated successfully."
    assert (body["alerts_created"], body["alerts_updated"], body["alerts_resolved"]) == (1, 0, 0)
    assert body["alerts_unchanged"] == 5
    run = GenerationRun.objects.get(pk=body["run"])
    assert (run.trigger, run.status, run.created) == (RunTrigger.API, RunStatus.SUCCESS, 1)
    assert stats(manager_client)["total"] == 6


def test_generate_while_another_runs_is_a_409(manager_client, fleet, monkeypatch):
    run = GenerationRun.objects.create(trigger=RunTrigger.API, status=RunStatus.SKIPPED, started_at=NOW)
    monkeypatch.setattr(
        services,
        "generate_alerts",
        lambda **kwargs: services.GenerationResult(status=RunStatus.SKIPPED, run=run),
    )

    response = manager_client.post("/api/alerts/generate")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "Another alert generation is running; try again in a moment.",
        "run": run.pk,
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_generate_while_another_holds_the_lock_is_a_409_on_postgresql(manager_client):
    import psycopg
    from django.db import connection

    params = connection.get_connection_params()
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [services.GENERATION_LOCK_KEY])
        response = manager_client.post("/api/alerts/generate")

    assert response.status_code == 409
    assert GenerationRun.objects.get(pk=response.json()["run"]).status == RunStatus.SKIPPED


def test_generate_failure_is_a_503_and_leaves_the_alerts(manager_client, fleet):
    before = list(Alert.objects.values_list("pk", "is_active", "priority").order_by("pk"))

    with faults.fail_at(faults.MERGED, RuntimeError("disk full")):
        response = manager_client.post("/api/alerts/generate")

    assert response.status_code == 503
    body = response.json()
    assert body["detail"] == "Alert generation failed; the alerts are unchanged."
    assert body["error"] == "RuntimeError: disk full"
    assert GenerationRun.objects.get(pk=body["run"]).status == RunStatus.FAILED
    assert list(Alert.objects.values_list("pk", "is_active", "priority").order_by("pk")) == before


# Run history.


def make_runs(n: int, status=RunStatus.SUCCESS) -> list[GenerationRun]:
    return GenerationRun.objects.bulk_create(
        GenerationRun(
            trigger=RunTrigger.CRON,
            status=status,
            started_at=NOW - datetime.timedelta(minutes=5 * i),
            finished_at=NOW - datetime.timedelta(minutes=5 * i) + datetime.timedelta(seconds=1),
            duration_ms=1000,
        )
        for i in range(n)
    )


def test_runs_are_newest_first(manager_client):
    make_runs(3)
    failed = GenerationRun.objects.create(
        trigger=RunTrigger.API,
        status=RunStatus.FAILED,
        started_at=NOW + datetime.timedelta(minutes=1),
        error="x",
    )

    runs = manager_client.get("/api/alerts/runs").json()

    assert [r["id"] for r in runs][0] == failed.pk
    assert [r["started_at"] for r in runs] == sorted((r["started_at"] for r in runs), reverse=True)
    assert set(runs[0]) == {
        "id",
        "trigger",
        "status",
        "started_at",
        "finished_at",
        "duration_ms",
        "created",
        "updated",
        "resolved",
        "unchanged",
        "error",
    }
    assert [r["id"] for r in manager_client.get("/api/alerts/runs?status=FAILED").json()] == [failed.pk]
    assert manager_client.get("/api/alerts/runs?status=BROKEN").status_code == 400


def test_plain_run_list_is_the_recent_runs_and_pages_reach_the_history(manager_client):
    make_runs(60)

    recent = manager_client.get("/api/alerts/runs").json()
    page = manager_client.get("/api/alerts/runs?limit=10&offset=55").json()

    assert len(recent) == 50
    assert page["count"] == 60
    assert len(page["results"]) == 5


def test_one_run(manager_client):
    run = make_runs(1)[0]

    response = manager_client.get(f"/api/alerts/runs/{run.pk}")

    assert response.status_code == 200
    assert response.json()["id"] == run.pk


# Trailing slashes: both forms reach the view, and a POST is never redirected.


@pytest.mark.parametrize("path", ["/api/alerts", "/api/alerts/stats", "/api/alerts/runs"])
def test_get_with_and_without_trailing_slash(manager_client, fleet, path):
    without = manager_client.get(path)
    with_slash = manager_client.get(path + "/")

    assert without.status_code == with_slash.status_code == 200
    assert without.json() == with_slash.json()


@pytest.mark.parametrize("slash", ["", "/"])
def test_post_with_and_without_trailing_slash_is_not_redirected(manager_client, fleet, slash):
    alert = Alert.objects.filter(is_active=True).first()

    assert manager_client.post(f"/api/alerts/generate{slash}").status_code == 200
    assert manager_client.post(f"/api/alerts/{alert.pk}/read{slash}").status_code == 200
    assert manager_client.post(f"/api/alerts/{alert.pk}/unread{slash}").status_code == 200
    assert manager_client.post(f"/api/alerts/read-all{slash}").status_code == 200
