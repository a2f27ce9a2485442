"""The meters API (DESIGN §14): CRUD, telemetry batches validated as a whole, readings newest first."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alerts.choices import AlertKind
from alerts.models import Alert
from assets.models import Meter, MeterReading
from maintenance.choices import IntervalUnit, MaintenanceStatus
from tests.factories import AssetFactory, MaintenancePlanFactory, MeterFactory

NOW = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def meter(db):
    return MeterFactory(asset=AssetFactory(code="GEN-001"), name="Run hours", unit="h")


def post_readings(client, meter, body):
    return client.post(f"/api/meters/{meter.pk}/readings", body, format="json")


def at(minutes: float) -> str:
    return (NOW + datetime.timedelta(minutes=minutes)).isoformat()


def stored(meter) -> int:
    return MeterReading.objects.filter(meter=meter).count()


@pytest.mark.django_db
def test_a_manager_creates_lists_by_asset_and_deletes_meters(manager_client):
    asset, other = AssetFactory(), AssetFactory()
    response = manager_client.post(
        "/api/meters", {"asset": asset.pk, "name": "Odometer", "unit": "km"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["last_value"] is None
    MeterFactory(asset=other)

    listed = manager_client.get(f"/api/meters?asset={asset.pk}").json()
    assert [(m["name"], m["asset_code"]) for m in listed] == [("Odometer", asset.code)]

    assert manager_client.delete(f"/api/meters/{listed[0]['id']}").status_code == 204
    assert not Meter.objects.filter(asset=asset).exists()


@pytest.mark.django_db
def test_a_technician_posts_readings_but_does_not_manage_meters(technician_client, meter):
    assert post_readings(technician_client, meter, {"value": 12.5}).status_code == 201
    assert technician_client.get(f"/api/meters/{meter.pk}/readings").status_code == 200
    refused = technician_client.post(
        "/api/meters", {"asset": meter.asset_id, "name": "x", "unit": "h"}, format="json"
    )
    assert refused.status_code == 403
    assert technician_client.delete(f"/api/meters/{meter.pk}").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_one_reading_defaults_to_now_and_updates_the_meter(manager_client, meter):
    response = post_readings(manager_client, meter, {"value": 4980})

    assert response.status_code == 201
    body = response.json()
    assert body["recorded"] == 1
    assert (body["meter"]["last_value"], body["meter"]["last_read_at"]) == (4980, "2026-06-15T12:00:00Z")
    assert manager_client.get(f"/api/meters/{meter.pk}").json()["last_value"] == 4980


@pytest.mark.django_db(transaction=True)
def test_a_telemetry_batch_is_stored_and_listed_newest_first_in_pages(manager_client, meter):
    batch = [{"value": 100 + i, "read_at": at(i - 300)} for i in range(250)]
    assert post_readings(manager_client, meter, batch).json()["recorded"] == 250

    page = manager_client.get(f"/api/meters/{meter.pk}/readings").json()
    assert page["count"] == 250
    assert [r["value"] for r in page["results"][:3]] == [349, 348, 347]
    assert len(page["results"]) == 100
    second = manager_client.get(f"/api/meters/{meter.pk}/readings?limit=2&offset=100").json()
    assert [r["value"] for r in second["results"]] == [249, 248]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"value": -1}, "value"),
        ({"value": "NaN"}, "value"),
        ({"value": "12"}, "value"),
        ({"value": True}, "value"),
        ({}, "value"),
        ({"value": 200, "read_at": "yesterday"}, "read_at"),
        ({"value": 200, "read_at": at(1.5)}, "read_at"),
        ({"value": 90}, "value"),  # below the meter's latest (100)
        ({"value": 200, "colour": "red"}, "colour"),
    ],
)
def test_one_bad_item_refuses_the_whole_batch_and_names_it(manager_client, meter, item, field):
    post_readings(manager_client, meter, {"value": 100, "read_at": at(-60)})
    batch = [{"value": 150, "read_at": at(-30)}, {"value": 160, "read_at": at(-20)}, item]

    response = post_readings(manager_client, meter, batch)

    assert response.status_code == 400
    assert f"[2].{field}" in response.json()
    assert stored(meter) == 1
    meter.refresh_from_db()
    assert meter.last_value == Decimal(100)


@pytest.mark.django_db(transaction=True)
def test_a_batch_going_down_within_itself_is_refused_whole(manager_client, meter):
    response = post_readings(manager_client, meter, [{"value": 10}, {"value": 30}, {"value": 20}])
    assert response.status_code == 400
    assert list(response.json()) == ["[2].value"]
    assert stored(meter) == 0


@pytest.mark.django_db
def test_a_single_bad_reading_names_the_field(manager_client, meter):
    response = post_readings(manager_client, meter, {"value": -3})
    assert response.status_code == 400
    assert list(response.json()) == ["value"]


@pytest.mark.django_db
def test_a_reading_within_a_minute_of_clock_skew_is_taken(manager_client, meter):
    assert post_readings(manager_client, meter, {"value": 1, "read_at": at(1)}).status_code == 201


@pytest.mark.django_db
def test_more_than_ten_thousand_readings_are_refused(manager_client, meter):
    response = post_readings(manager_client, meter, [{"value": 1}] * 10_001)
    assert response.status_code == 400
    assert "10001" in response.json()["non_field_errors"][0]
    assert stored(meter) == 0


@pytest.mark.django_db(transaction=True)
def test_a_batch_costs_the_same_statements_whatever_its_size(manager_client, meter):
    def statements(count, start):
        batch = [{"value": start + i} for i in range(count)]
        with CaptureQueriesContext(connection) as queries:
            assert post_readings(manager_client, meter, batch).status_code == 201
        return len(queries)

    # 300 readings fit one INSERT on SQLite too (Django splits at 999 parameters there).
    assert statements(10, 0) == statements(300, 100)


@pytest.mark.django_db(transaction=True)
def test_a_generator_crossing_450_of_500_hours_raises_a_due_soon_alert_at_once(technician_client, meter):
    MaintenancePlanFactory(
        asset=meter.asset,
        meter=meter,
        meter_interval=Decimal(500),
        interval=6,
        interval_unit=IntervalUnit.MONTH,
        starts_on=datetime.date(2026, 1, 31),
    )
    post_readings(
        technician_client, meter, [{"value": v, "read_at": at(v / 100 - 10)} for v in range(0, 450, 50)]
    )
    assert not Alert.objects.filter(is_active=True, asset=meter.asset).exists()

    post_readings(technician_client, meter, {"value": 451})

    alert = Alert.objects.get(is_active=True, asset=meter.asset)
    assert alert.kind == AlertKind.MAINTENANCE_DUE_SOON
    assert alert.maintenance.status == MaintenanceStatus.PLANNED
    assert "at 451 h of 500 h" in alert.message


@pytest.mark.django_db
def test_a_plan_on_a_meter_of_another_asset_is_refused(manager_client, meter):
    other = AssetFactory()
    body = {
        "asset": other.pk,
        "title": "Oil",
        "interval": 6,
        "interval_unit": "MONTH",
        "starts_on": "2026-01-31",
        "meter": meter.pk,
        "meter_interval": 500,
    }
    response = manager_client.post("/api/plans", body, format="json")
    assert response.status_code == 400
    assert "meter" in response.json()

    response = manager_client.post(
        "/api/plans", {**body, "asset": meter.asset_id, "meter_interval": None}, format="json"
    )
    assert response.status_code == 400
    assert "meter_interval" in response.json()


@pytest.mark.django_db
def test_a_meter_plan_gives_its_occurrence_a_due_meter_value(manager_client, meter):
    body = {
        "asset": meter.asset_id,
        "title": "Oil",
        "interval": 6,
        "interval_unit": "MONTH",
        "starts_on": "2026-01-31",
        "meter": meter.pk,
        "meter_interval": 500,
    }
    plan = manager_client.post("/api/plans", body, format="json").json()
    occurrences = manager_client.get(f"/api/plans/{plan['id']}/occurrences").json()
    assert [o["due_meter_value"] for o in occurrences] == [500]
    listed = manager_client.get(f"/api/maintenances?asset={meter.asset_id}").json()
    assert [o["due_meter_value"] for o in listed] == [500]


@pytest.mark.django_db
def test_a_meter_a_plan_follows_cannot_be_deleted(manager_client, meter):
    MaintenancePlanFactory(asset=meter.asset, meter=meter, meter_interval=Decimal(500))
    response = manager_client.delete(f"/api/meters/{meter.pk}")
    assert response.status_code == 400
    assert Meter.objects.filter(pk=meter.pk).exists()


@pytest.mark.django_db
def test_deleting_an_asset_takes_its_meters_and_meter_plans(manager_client, meter):
    MaintenancePlanFactory(asset=meter.asset, meter=meter, meter_interval=Decimal(500))
    assert manager_client.delete(f"/api/assets/{meter.asset_id}").status_code == 204
    assert not Meter.objects.filter(pk=meter.pk).exists()
