"""The maintenances API: CRUD, filters, `complete`, and alerts that follow at once."""

import datetime

import pytest

from alerts.choices import AlertKind, Priority
from maintenance.choices import MaintenanceKind, MaintenanceStatus
from maintenance.models import Maintenance
from tests.factories import AssetFactory, MaintenanceFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

TODAY = datetime.date(2026, 6, 15)
NOW = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=datetime.UTC)
MAINTENANCE_FIELDS = {
    "id",
    "asset",
    "asset_code",
    "asset_name",
    "title",
    "description",
    "kind",
    "status",
    "scheduled_date",
    "completed_at",
    "assigned_to",
    "assigned_to_username",
    "plan",
    "due_meter_value",
    "created_at",
    "updated_at",
}


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


@pytest.fixture
def pump():
    return AssetFactory(code="PUMP-001", name="Main pump")


@pytest.fixture
def plan(pump, technician):
    truck = AssetFactory(code="TRUCK-001", name="Truck")
    return [
        MaintenanceFactory(asset=pump, title="Seal", scheduled_date=days(-3), assigned_to=technician),
        MaintenanceFactory(
            asset=pump,
            title="Inspect",
            kind=MaintenanceKind.INSPECTION,
            scheduled_date=days(2),
            description="valve",
        ),
        MaintenanceFactory(
            asset=truck,
            title="Tyres",
            kind=MaintenanceKind.CORRECTIVE,
            status=MaintenanceStatus.IN_PROGRESS,
            scheduled_date=days(10),
        ),
        MaintenanceFactory(
            asset=truck,
            title="Oil",
            status=MaintenanceStatus.DONE,
            scheduled_date=days(-30),
            completed_at=NOW,
        ),
    ]


def titles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [m["title"] for m in response.json()]


def test_create_returns_the_maintenance(manager_client, pump, technician):
    response = manager_client.post(
        "/api/maintenances",
        {"asset": pump.pk, "title": "Seal", "scheduled_date": "2026-06-20", "assigned_to": technician.pk},
    )

    assert response.status_code == 201
    body = response.json()
    assert set(body) == MAINTENANCE_FIELDS
    assert body | {"id": None} == {
        "id": None,
        "asset": pump.pk,
        "asset_code": "PUMP-001",
        "asset_name": "Main pump",
        "title": "Seal",
        "description": "",
        "kind": "PREVENTIVE",
        "status": "PLANNED",
        "scheduled_date": "2026-06-20",
        "completed_at": None,
        "assigned_to": technician.pk,
        "assigned_to_username": "technician",
        "plan": None,
        "due_meter_value": None,
        "created_at": "2026-06-15T12:00:00Z",
        "updated_at": "2026-06-15T12:00:00Z",
    }


def test_maintenance_due_tomorrow_raises_its_alert_at_once(
    manager_client, pump, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        created = manager_client.post(
            "/api/maintenances", {"asset": pump.pk, "title": "Seal", "scheduled_date": "2026-06-16"}
        ).json()

    alerts = manager_client.get("/api/alerts").json()
    assert [(a["kind"], a["priority"], a["maintenance"]) for a in alerts] == [
        (AlertKind.MAINTENANCE_DUE_SOON, Priority.HIGH, created["id"])
    ]


def test_rescheduling_resolves_the_alert_at_once(technician_client, pump, django_capture_on_commit_callbacks):
    maintenance = MaintenanceFactory(asset=pump, scheduled_date=days(-1))
    with django_capture_on_commit_callbacks(execute=True):
        Maintenance.objects.get(pk=maintenance.pk).save()
    assert len(technician_client.get("/api/alerts").json()) == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = technician_client.patch(
            f"/api/maintenances/{maintenance.pk}", {"scheduled_date": "2026-09-01"}
        )

    assert response.status_code == 200
    assert technician_client.get("/api/alerts").json() == []


def test_complete_marks_done_now_and_resolves_the_alert(
    technician_client, pump, django_capture_on_commit_callbacks
):
    maintenance = MaintenanceFactory(asset=pump, scheduled_date=days(-1))
    with django_capture_on_commit_callbacks(execute=True):
        Maintenance.objects.get(pk=maintenance.pk).save()

    with django_capture_on_commit_callbacks(execute=True):
        response = technician_client.post(f"/api/maintenances/{maintenance.pk}/complete")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["completed_at"]) == ("DONE", "2026-06-15T12:00:00Z")
    assert technician_client.get("/api/alerts").json() == []


def test_completing_twice_keeps_the_first_completion_time(technician_client, pump):
    maintenance = MaintenanceFactory(
        asset=pump, status=MaintenanceStatus.DONE, completed_at=NOW - datetime.timedelta(days=2)
    )

    response = technician_client.post(f"/api/maintenances/{maintenance.pk}/complete/")

    assert response.status_code == 200
    assert response.json()["completed_at"] == "2026-06-13T12:00:00Z"


def test_completing_a_cancelled_maintenance_is_a_400(technician_client, pump):
    maintenance = MaintenanceFactory(asset=pump, status=MaintenanceStatus.CANCELLED)

    response = technician_client.post(f"/api/maintenances/{maintenance.pk}/complete")

    assert response.status_code == 400
    assert response.json() == {"status": ["A cancelled maintenance cannot be marked as done."]}
    assert Maintenance.objects.get(pk=maintenance.pk).status == MaintenanceStatus.CANCELLED


def test_done_through_an_update_sets_the_completion_and_reopening_clears_it(technician_client, pump):
    maintenance = MaintenanceFactory(asset=pump)

    done = technician_client.patch(f"/api/maintenances/{maintenance.pk}", {"status": "DONE"})
    reopened = technician_client.patch(f"/api/maintenances/{maintenance.pk}", {"status": "IN_PROGRESS"})

    assert done.json()["completed_at"] == "2026-06-15T12:00:00Z"
    assert reopened.status_code == 200
    assert reopened.json()["completed_at"] is None


def test_completion_time_is_read_only(technician_client, pump):
    maintenance = MaintenanceFactory(asset=pump)

    response = technician_client.patch(
        f"/api/maintenances/{maintenance.pk}", {"completed_at": "2026-01-01T00:00:00Z"}
    )

    assert response.status_code == 200
    assert response.json()["completed_at"] is None


def test_a_partial_update_answers_the_whole_maintenance(technician_client, pump):
    """Found by the schema fuzzer: an unassigned maintenance lost `assigned_to_username` on PATCH."""
    maintenance = MaintenanceFactory(asset=pump)

    response = technician_client.patch(f"/api/maintenances/{maintenance.pk}", {"title": "Renamed"})

    assert response.status_code == 200
    assert response.json() == technician_client.get(f"/api/maintenances/{maintenance.pk}").json()
    assert response.json()["assigned_to_username"] is None


def test_moving_a_maintenance_to_another_asset(manager_client, plan):
    truck_id = plan[2].asset_id

    response = manager_client.patch(f"/api/maintenances/{plan[0].pk}", {"asset": truck_id})

    assert response.status_code == 200
    assert (response.json()["asset"], response.json()["asset_code"]) == (truck_id, "TRUCK-001")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "No asset", "scheduled_date": "2026-06-20"}, "asset"),
        ({"asset": 999999, "title": "Unknown asset", "scheduled_date": "2026-06-20"}, "asset"),
        ({"asset": "{pump}", "title": "No date"}, "scheduled_date"),
        ({"asset": "{pump}", "title": "Bad date", "scheduled_date": "20/06/2026"}, "scheduled_date"),
        ({"asset": "{pump}", "title": "Bad kind", "scheduled_date": "2026-06-20", "kind": "REPAIR"}, "kind"),
        (
            {"asset": "{pump}", "title": "Bad user", "scheduled_date": "2026-06-20", "assigned_to": 999999},
            "assigned_to",
        ),
        ({"asset": "{pump}", "scheduled_date": "2026-06-20"}, "title"),
    ],
)
def test_invalid_maintenance_is_a_400_per_field_and_writes_nothing(manager_client, pump, body, field):
    body = {key: pump.pk if value == "{pump}" else value for key, value in body.items()}

    response = manager_client.post("/api/maintenances", body)

    assert response.status_code == 400
    assert field in response.json()
    assert Maintenance.objects.count() == 0


def test_inactive_user_cannot_be_assigned(manager_client, pump):
    gone = UserFactory(username="gone", is_active=False)

    response = manager_client.post(
        "/api/maintenances",
        {"asset": pump.pk, "title": "X", "scheduled_date": "2026-06-20", "assigned_to": gone.pk},
    )

    assert response.status_code == 400
    assert "assigned_to" in response.json()


def test_delete(manager_client, plan):
    response = manager_client.delete(f"/api/maintenances/{plan[0].pk}/")

    assert response.status_code == 204
    assert not Maintenance.objects.filter(pk=plan[0].pk).exists()


def test_list_is_ordered_by_scheduled_date(manager_client, plan):
    assert titles(manager_client.get("/api/maintenances")) == ["Oil", "Seal", "Inspect", "Tyres"]


def test_list_and_detail_agree(manager_client, plan):
    for maintenance in manager_client.get("/api/maintenances").json():
        assert manager_client.get(f"/api/maintenances/{maintenance['id']}").json() == maintenance


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("asset={pump}", ["Seal", "Inspect"]),
        ("status=PLANNED", ["Seal", "Inspect"]),
        ("status=PLANNED&status=IN_PROGRESS", ["Seal", "Inspect", "Tyres"]),
        ("kind=INSPECTION", ["Inspect"]),
        ("kind=CORRECTIVE&kind=INSPECTION", ["Inspect", "Tyres"]),
        ("scheduled_after=2026-06-15", ["Inspect", "Tyres"]),
        ("scheduled_before=2026-06-12", ["Oil", "Seal"]),
        ("scheduled_after=2026-06-12&scheduled_before=2026-06-17", ["Seal", "Inspect"]),
        ("assigned_to={technician}", ["Seal"]),
        ("search=valve", ["Inspect"]),
        ("search=truck", ["Oil", "Tyres"]),
        ("search=PUMP-001", ["Seal", "Inspect"]),
        ("ordering=-scheduled_date", ["Tyres", "Inspect", "Seal", "Oil"]),
        ("ordering=title", ["Inspect", "Oil", "Seal", "Tyres"]),
        ("ordering=status,title", ["Oil", "Tyres", "Inspect", "Seal"]),
    ],
)
def test_filters_search_and_ordering(manager_client, plan, pump, technician, query, expected):
    query = query.format(pump=pump.pk, technician=technician.pk)

    assert titles(manager_client.get(f"/api/maintenances?{query}")) == expected


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("status=OPEN", "status"),
        ("kind=preventive", "kind"),
        ("asset=pump", "asset"),
        ("assigned_to=me", "assigned_to"),
        ("scheduled_after=2026-13-01", "scheduled_after"),
        ("scheduled_before=tomorrow", "scheduled_before"),
        ("ordering=asset", "ordering"),
        ("scheduled_date=2026-06-15", "scheduled_date"),
    ],
)
def test_bad_filter_values_are_a_400_naming_the_parameter(manager_client, plan, query, param):
    response = manager_client.get(f"/api/maintenances?{query}")

    assert response.status_code == 400
    assert list(response.json()) == [param]


def test_complete_an_unknown_maintenance_is_a_404(technician_client):
    assert technician_client.post("/api/maintenances/999999/complete").status_code == 404
