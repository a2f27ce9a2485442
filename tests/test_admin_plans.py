"""The plans' admin: occurrences inline, "Deactivate", a form that plans, deletion that keeps history."""

import datetime

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse

from assets.choices import AssetStatus
from maintenance.choices import MaintenanceStatus
from maintenance.models import Maintenance, MaintenancePlan
from maintenance.services import complete_maintenance
from tests.factories import AssetFactory, MaintenancePlanFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def manager_web(client, manager):
    client.force_login(manager)
    return client


def plan_form(asset, **fields) -> dict:
    return {
        "asset": asset.pk,
        "title": "Oil change",
        "description": "",
        "kind": "PREVENTIVE",
        "interval": 3,
        "interval_unit": "MONTH",
        "anchor": "SCHEDULE",
        "starts_on": "2026-01-31",
        "ends_on": "",
        "assigned_to": "",
        "is_active": "on",
        "occurrences-TOTAL_FORMS": 0,
        "occurrences-INITIAL_FORMS": 0,
        **fields,
    }


def test_the_plan_page_shows_its_occurrences_newest_first(manager_web):
    plan = MaintenancePlanFactory()
    complete_maintenance(maintenance=plan.occurrences.get())

    response = manager_web.get(reverse("admin:maintenance_maintenanceplan_change", args=[plan.pk]))

    assert response.status_code == 200
    forms = response.context["inline_admin_formsets"][0].formset.forms
    assert [form.instance.status for form in forms] == [MaintenanceStatus.PLANNED, MaintenanceStatus.DONE]


def test_adding_a_plan_in_the_admin_plans_its_first_occurrence(manager_web):
    asset = AssetFactory()
    response = manager_web.post(reverse("admin:maintenance_maintenanceplan_add"), plan_form(asset))

    assert response.status_code == 302, response.context["adminform"].form.errors
    plan = MaintenancePlan.objects.get()
    assert list(plan.occurrences.values_list("scheduled_date", flat=True)) == [datetime.date(2026, 7, 31)]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"interval": 0}, "interval"),
        ({"interval": 101, "interval_unit": "YEAR"}, "interval"),
        ({"ends_on": "2026-01-01"}, "ends_on"),
    ],
)
def test_the_admin_form_refuses_bad_input(manager_web, fields, field):
    response = manager_web.post(
        reverse("admin:maintenance_maintenanceplan_add"), plan_form(AssetFactory(), **fields)
    )

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not MaintenancePlan.objects.exists()


def test_the_admin_form_refuses_a_retired_asset(manager_web):
    asset = AssetFactory(status=AssetStatus.RETIRED)
    response = manager_web.post(reverse("admin:maintenance_maintenanceplan_add"), plan_form(asset))

    assert "asset" in response.context["adminform"].form.errors
    assert not Maintenance.objects.exists()


def test_the_deactivate_action(manager_web):
    plans = [MaintenancePlanFactory(), MaintenancePlanFactory()]

    response = manager_web.post(
        reverse("admin:maintenance_maintenanceplan_changelist"),
        {"action": "deactivate", "_selected_action": [plan.pk for plan in plans]},
        follow=True,
    )

    assert "2 plans deactivated." in [str(message) for message in get_messages(response.wsgi_request)]
    assert not MaintenancePlan.objects.filter(is_active=True).exists()
    assert not Maintenance.objects.exists()


def test_deleting_plans_in_bulk_keeps_their_history(manager_web):
    plan = MaintenancePlanFactory()
    done = complete_maintenance(maintenance=plan.occurrences.get())

    manager_web.post(
        reverse("admin:maintenance_maintenanceplan_changelist"),
        {"action": "delete_selected", "_selected_action": [plan.pk], "post": "yes"},
    )

    assert not MaintenancePlan.objects.exists()
    assert list(Maintenance.objects.values_list("pk", "plan")) == [(done.pk, None)]
