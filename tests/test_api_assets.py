"""The assets API: CRUD, validation, filters, search, ordering, and alerts that follow at once."""

import datetime

import pytest

from alerts.choices import AlertKind, Priority
from alerts.models import Alert
from alerts.services import generate_alerts
from assets.choices import AssetStatus, Criticality
from assets.models import Asset
from tests.factories import AssetFactory, MaintenanceFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

NOW = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=datetime.UTC)
ASSET_FIELDS = {
    "id",
    "code",
    "name",
    "location",
    "status",
    "criticality",
    "maintenance_interval_days",
    "commissioned_on",
    "owner",
    "owner_username",
    "created_at",
    "updated_at",
}


@pytest.fixture
def assets():
    return [
        AssetFactory(code="PUMP-002", name="Backup pump", location="Plant B", criticality=Criticality.LOW),
        AssetFactory(code="PUMP-001", name="Main pump", location="Plant A", criticality=Criticality.CRITICAL),
        AssetFactory(code="TRUCK-001", name="Truck", location="Depot", status=AssetStatus.OUT_OF_SERVICE),
    ]


def codes(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [asset["code"] for asset in response.json()]


def test_create_returns_the_asset(manager_client):
    response = manager_client.post(
        "/api/assets",
        {"code": "PUMP-009", "name": "Pump", "criticality": "HIGH", "maintenance_interval_days": 30},
    )

    assert response.status_code == 201
    body = response.json()
    assert set(body) == ASSET_FIELDS
    assert body | {"id": None} == {
        "id": None,
        "code": "PUMP-009",
        "name": "Pump",
        "location": "",
        "status": "OPERATIONAL",
        "criticality": "HIGH",
        "maintenance_interval_days": 30,
        "commissioned_on": None,
        "owner": None,
        "owner_username": None,
        "created_at": "2026-06-15T12:00:00Z",
        "updated_at": "2026-06-15T12:00:00Z",
    }
    assert Asset.objects.get(pk=body["id"]).code == "PUMP-009"


def test_an_asset_has_an_optional_owner(manager_client, technician, assets):
    pump = assets[1]

    response = manager_client.patch(f"/api/assets/{pump.pk}", {"owner": technician.pk}, format="json")

    assert response.status_code == 200
    assert (response.json()["owner"], response.json()["owner_username"]) == (technician.pk, "technician")
    assert Asset.objects.get(pk=pump.pk).owner == technician
    listed = {a["code"]: a for a in manager_client.get("/api/assets").json()}
    assert listed["PUMP-001"]["owner_username"] == "technician"
    assert listed["PUMP-002"]["owner"] is None

    cleared = manager_client.patch(f"/api/assets/{pump.pk}", {"owner": None}, format="json")
    assert cleared.json()["owner"] is None
    unknown = manager_client.patch(f"/api/assets/{pump.pk}", {"owner": 999999}, format="json")
    assert unknown.status_code == 400 and list(unknown.json()) == ["owner"]


def test_creating_a_broken_asset_raises_its_alert_at_once(manager_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(
            "/api/assets",
            {"code": "PUMP-010", "name": "Pump", "status": "OUT_OF_SERVICE", "criticality": "LOW"},
        )

    alerts = manager_client.get(f"/api/alerts?asset={response.json()['id']}").json()
    assert [(a["kind"], a["priority"]) for a in alerts] == [
        (AlertKind.ASSET_NEEDS_MAINTENANCE, Priority.HIGH)
    ]


def test_fixing_an_asset_resolves_its_alert_at_once(manager_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        asset_id = manager_client.post(
            "/api/assets", {"code": "PUMP-011", "name": "Pump", "status": "NEEDS_MAINTENANCE"}
        ).json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.patch(f"/api/assets/{asset_id}", {"status": "OPERATIONAL"})

    assert response.status_code == 200
    assert manager_client.get(f"/api/alerts?asset={asset_id}").json() == []
    assert Alert.objects.get(asset_id=asset_id).resolved_at == NOW


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "No code"}, "code"),
        ({"code": "PUMP-001", "name": "Duplicate"}, "code"),
        ({"code": "X-1", "name": "Bad status", "status": "BROKEN"}, "status"),
        ({"code": "X-1", "name": "Bad level", "criticality": "EXTREME"}, "criticality"),
        (
            {"code": "X-1", "name": "Zero interval", "maintenance_interval_days": 0},
            "maintenance_interval_days",
        ),
        ({"code": "X-1", "name": "Bad date", "commissioned_on": "yesterday"}, "commissioned_on"),
    ],
)
def test_invalid_asset_is_a_400_per_field_and_writes_nothing(manager_client, assets, body, field):
    response = manager_client.post("/api/assets", body)

    assert response.status_code == 400
    assert field in response.json()
    assert Asset.objects.count() == 3


def test_malformed_json_is_a_400(manager_client):
    response = manager_client.post("/api/assets", data="{not json", content_type="application/json")

    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_update_and_partial_update(manager_client, assets):
    asset = assets[0]

    put = manager_client.put(
        f"/api/assets/{asset.pk}/", {"code": "PUMP-002", "name": "Spare pump", "location": "Plant C"}
    )
    patch = manager_client.patch(f"/api/assets/{asset.pk}", {"criticality": "HIGH"})

    assert put.status_code == patch.status_code == 200
    asset.refresh_from_db()
    assert (asset.name, asset.location, asset.criticality) == ("Spare pump", "Plant C", "HIGH")


def test_delete_removes_the_asset_and_its_alerts(manager_client, assets):
    truck = assets[2]
    generate_alerts()

    response = manager_client.delete(f"/api/assets/{truck.pk}")

    assert response.status_code == 204
    assert not Asset.objects.filter(pk=truck.pk).exists()
    assert not Alert.objects.filter(asset_id=truck.pk).exists()
    assert manager_client.get(f"/api/assets/{truck.pk}").status_code == 404


def test_list_is_ordered_by_code(manager_client, assets):
    assert codes(manager_client.get("/api/assets")) == ["PUMP-001", "PUMP-002", "TRUCK-001"]


def test_list_and_detail_agree(manager_client, assets):
    for asset in manager_client.get("/api/assets").json():
        assert manager_client.get(f"/api/assets/{asset['id']}").json() == asset


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=OUT_OF_SERVICE", ["TRUCK-001"]),
        ("status=OPERATIONAL&status=OUT_OF_SERVICE", ["PUMP-001", "PUMP-002", "TRUCK-001"]),
        ("criticality=CRITICAL", ["PUMP-001"]),
        ("location=plant", ["PUMP-001", "PUMP-002"]),
        ("search=pump", ["PUMP-001", "PUMP-002"]),
        ("search=depot", ["TRUCK-001"]),
        ("search=backup", ["PUMP-002"]),
        ("search=nothing-like-it", []),
        ("ordering=-code", ["TRUCK-001", "PUMP-002", "PUMP-001"]),
        ("ordering=name", ["PUMP-002", "PUMP-001", "TRUCK-001"]),
        ("ordering=location,code", ["TRUCK-001", "PUMP-001", "PUMP-002"]),
    ],
)
def test_filters_search_and_ordering(manager_client, assets, query, expected):
    assert codes(manager_client.get(f"/api/assets?{query}")) == expected


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("status=BROKEN", "status"),
        ("criticality=high", "criticality"),
        ("ordering=price", "ordering"),
        ("q=pump", "q"),
    ],
)
def test_bad_filter_values_are_a_400_naming_the_parameter(manager_client, assets, query, param):
    response = manager_client.get(f"/api/assets?{query}")

    assert response.status_code == 400
    assert list(response.json()) == [param]


def test_page_of_assets(manager_client, assets):
    page = manager_client.get("/api/assets?limit=2").json()

    assert page["count"] == 3
    assert [a["code"] for a in page["results"]] == ["PUMP-001", "PUMP-002"]


def test_deleting_an_asset_with_maintenances_cascades(manager_client):
    asset = AssetFactory()
    MaintenanceFactory(asset=asset)

    assert manager_client.delete(f"/api/assets/{asset.pk}").status_code == 204
    assert manager_client.get("/api/maintenances").json() == []
