"""The plans API (DESIGN §13): CRUD, filters, occurrences, bad input, deletion."""

import datetime

import pytest
import time_machine

from assets.choices import AssetStatus
from maintenance.choices import IntervalUnit, MaintenanceStatus, PlanAnchor
from maintenance.models import Maintenance, MaintenancePlan
from maintenance.services import complete_maintenance
from tests.factories import AssetFactory, MaintenanceFactory, MaintenancePlanFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=datetime.UTC)
PLAN_FIELDS = {
    "id",
    "asset",
    "asset_code",
    "asset_name",
    "title",
    "description",
    "kind",
    "interval",
    "interval_unit",
    "anchor",
    "starts_on",
    "ends_on",
    "meter",
    "meter_interval",
    "assigned_to",
    "assigned_to_username",
    "is_active",
    "created_at",
    "updated_at",
}


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def pump():
    return AssetFactory(code="PUMP-001", name="Main pump")


def oil_change(asset, **fields) -> dict:
    return {
        "asset": asset.pk,
        "title": "Oil change",
        "interval": 3,
        "interval_unit": "MONTH",
        "anchor": "SCHEDULE",
        "starts_on": "2026-01-31",
        **fields,
    }


def test_creating_a_plan_returns_it_and_plans_its_first_occurrence(manager_client, pump, technician):
    response = manager_client.post("/api/plans", oil_change(pump, assigned_to=technician.pk), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == PLAN_FIELDS
    assert body["asset_code"] == "PUMP-001"
    assert body["assigned_to_username"] == "technician"
    assert body["is_active"] is True
    assert body["kind"] == "PREVENTIVE"
    occurrences = manager_client.get(f"/api/plans/{body['id']}/occurrences").json()
    assert [(o["scheduled_date"], o["status"], o["plan"], o["title"]) for o in occurrences] == [
        ("2026-07-31", "PLANNED", body["id"], "Oil change")
    ]


def test_the_maintenance_object_names_its_plan(manager_client, pump):
    plan = MaintenancePlanFactory(asset=pump)
    occurrence = plan.occurrences.get()

    assert manager_client.get(f"/api/maintenances/{occurrence.pk}").json()["plan"] == plan.pk


def test_occurrences_oldest_first_and_paginated(manager_client, pump):
    plan = MaintenancePlanFactory(asset=pump, interval=1, interval_unit=IntervalUnit.MONTH)
    complete_maintenance(maintenance=plan.occurrences.get())
    complete_maintenance(maintenance=plan.occurrences.get(status=MaintenanceStatus.PLANNED))

    dates = [o["scheduled_date"] for o in manager_client.get(f"/api/plans/{plan.pk}/occurrences").json()]
    assert dates == ["2026-06-30", "2026-07-31", "2026-08-31"]
    page = manager_client.get(f"/api/plans/{plan.pk}/occurrences", {"limit": 1, "offset": 1}).json()
    assert page["count"] == 3
    assert [o["scheduled_date"] for o in page["results"]] == ["2026-07-31"]
    assert manager_client.get(f"/api/plans/{plan.pk}/occurrences", {"limit": 0}).status_code == 400


def test_filters_search_and_ordering(manager_client, pump):
    truck = AssetFactory(code="TRUCK-007")
    MaintenancePlanFactory(asset=pump, title="Oil change")
    MaintenancePlanFactory(asset=pump, title="Belt check", is_active=False)
    MaintenancePlanFactory(asset=truck, title="Tyres")

    def titles(**params):
        response = manager_client.get("/api/plans", params)
        assert response.status_code == 200, response.content
        return [plan["title"] for plan in response.json()]

    assert titles() == ["Belt check", "Oil change", "Tyres"]
    assert titles(asset=pump.pk) == ["Belt check", "Oil change"]
    assert titles(is_active="false") == ["Belt check"]
    assert titles(search="oil") == ["Oil change"]
    assert titles(search="truck-0") == ["Tyres"]
    assert titles(ordering="-title") == ["Tyres", "Oil change", "Belt check"]
    assert manager_client.get("/api/plans", {"is_active": "maybe"}).status_code == 400
    assert manager_client.get("/api/plans", {"anchor": "x"}).status_code == 400


def test_a_technician_reads_plans_but_cannot_change_them(technician_client, pump):
    plan = MaintenancePlanFactory(asset=pump)
    assert technician_client.get(f"/api/plans/{plan.pk}").status_code == 200
    assert technician_client.patch(f"/api/plans/{plan.pk}", {"title": "x"}).status_code == 403
    assert technician_client.post("/api/plans", oil_change(pump), format="json").status_code == 403


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"interval": 0}, "interval"),
        ({"interval": -1}, "interval"),
        ({"interval": 101, "interval_unit": "YEAR"}, "interval"),
        ({"interval": 1201, "interval_unit": "MONTH"}, "interval"),
        ({"interval": 36501, "interval_unit": "DAY"}, "interval"),
        ({"interval": "often"}, "interval"),
        ({"interval_unit": "FORTNIGHT"}, "interval_unit"),
        ({"anchor": "WHENEVER"}, "anchor"),
        ({"ends_on": "2026-01-30"}, "ends_on"),
        ({"starts_on": "not a date"}, "starts_on"),
        ({"title": ""}, "title"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(manager_client, pump, fields, field):
    response = manager_client.post("/api/plans", oil_change(pump, **fields), format="json")

    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not MaintenancePlan.objects.exists()
    assert not Maintenance.objects.exists()


def test_a_plan_on_a_retired_asset_is_refused(manager_client):
    retired = AssetFactory(status=AssetStatus.RETIRED)
    response = manager_client.post("/api/plans", oil_change(retired), format="json")

    assert response.status_code == 400
    assert "asset" in response.json()
    assert not MaintenancePlan.objects.exists()


def test_a_bad_change_is_refused_and_the_plan_stays_as_it_was(manager_client, pump):
    plan = MaintenancePlanFactory(asset=pump, interval=3, interval_unit=IntervalUnit.MONTH)

    response = manager_client.patch(
        f"/api/plans/{plan.pk}", {"interval_unit": "YEAR", "interval": 500}, format="json"
    )

    assert response.status_code == 400
    assert "interval" in response.json()
    plan.refresh_from_db()
    assert (plan.interval, plan.interval_unit) == (3, IntervalUnit.MONTH)


def test_a_second_open_occurrence_is_refused(manager_client, pump):
    plan = MaintenancePlanFactory(asset=pump)

    response = manager_client.post(
        "/api/maintenances",
        {"asset": pump.pk, "title": "Extra", "scheduled_date": "2026-07-01", "plan": plan.pk},
        format="json",
    )

    assert response.status_code == 400
    assert "plan" in response.json()
    assert plan.occurrences.count() == 1


def test_reopening_a_done_occurrence_while_the_next_is_open_is_refused(manager_client, pump):
    plan = MaintenancePlanFactory(asset=pump)
    done = complete_maintenance(maintenance=plan.occurrences.get())

    response = manager_client.patch(f"/api/maintenances/{done.pk}", {"status": "PLANNED"}, format="json")

    assert response.status_code == 400
    assert "plan" in response.json()
    done.refresh_from_db()
    assert done.status == MaintenanceStatus.DONE
    assert done.completed_at is not None


def test_an_occurrence_must_be_on_its_plans_asset(manager_client, pump):
    plan = MaintenancePlanFactory(asset=pump, is_active=False)
    other = AssetFactory()

    response = manager_client.post(
        "/api/maintenances",
        {"asset": other.pk, "title": "Extra", "scheduled_date": "2026-07-01", "plan": plan.pk},
        format="json",
    )

    assert response.status_code == 400
    assert "plan" in response.json()


def test_deleting_a_plan_keeps_its_history_and_removes_its_open_occurrence(manager_client, pump):
    plan = MaintenancePlanFactory(asset=pump)
    done = complete_maintenance(maintenance=plan.occurrences.get())
    unrelated = MaintenanceFactory(asset=pump)

    response = manager_client.delete(f"/api/plans/{plan.pk}")

    assert response.status_code == 204
    assert list(Maintenance.objects.order_by("id").values_list("id", "plan")) == [
        (done.pk, None),
        (unrelated.pk, None),
    ]


def test_reactivating_through_the_api_plans_the_first_occurrence(manager_client, pump):
    plan = MaintenancePlanFactory(
        asset=pump, anchor=PlanAnchor.COMPLETION, starts_on=datetime.date(2026, 1, 1)
    )
    assert (
        manager_client.patch(f"/api/plans/{plan.pk}", {"is_active": False}, format="json").status_code == 200
    )
    assert not plan.occurrences.exists()

    assert (
        manager_client.patch(f"/api/plans/{plan.pk}", {"is_active": True}, format="json").status_code == 200
    )

    assert list(plan.occurrences.values_list("scheduled_date", flat=True)) == [datetime.date(2026, 6, 15)]
