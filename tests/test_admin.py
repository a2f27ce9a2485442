"""The admin: every page renders, and the "Mark done" action completes work."""

import datetime

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.test import RequestFactory
from django.urls import reverse

from assets.choices import Criticality
from maintenance.choices import MaintenanceStatus
from tests.factories import AssetFactory, MaintenanceFactory

pytestmark = pytest.mark.django_db

REGISTERED = sorted(
    (model._meta.app_label, model._meta.model_name, model_admin)
    for model, model_admin in admin.site._registry.items()
)


def admin_url(app_label, model_name, view, *args):
    return reverse(f"admin:{app_label}_{model_name}_{view}", args=args)


@pytest.fixture
def fleet(technician):
    """A little data, so that the changelists render rows and not just an empty table."""
    asset = AssetFactory(code="PUMP-001", criticality=Criticality.CRITICAL)
    MaintenanceFactory(asset=asset, assigned_to=technician, scheduled_date=datetime.date(2026, 1, 5))
    MaintenanceFactory(asset=asset, status=MaintenanceStatus.DONE)
    return asset


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.mark.parametrize(
    ("app_label", "model_name", "model_admin"), REGISTERED, ids=[f"{a}.{m}" for a, m, _ in REGISTERED]
)
def test_changelist_and_add_pages_render(admin_client, superuser, fleet, app_label, model_name, model_admin):
    response = admin_client.get(admin_url(app_label, model_name, "changelist"))
    assert response.status_code == 200

    request = RequestFactory().get("/")
    request.user = superuser
    if model_admin.has_add_permission(request):
        response = admin_client.get(admin_url(app_label, model_name, "add"))
        assert response.status_code == 200


def test_changelist_lists_the_rows(admin_client, fleet):
    response = admin_client.get(admin_url("maintenance", "maintenance", "changelist"), {"q": "PUMP-001"})

    assert response.status_code == 200
    assert response.context["cl"].result_count == 2


def test_asset_change_page_shows_its_maintenances(admin_client, fleet):
    response = admin_client.get(admin_url("assets", "asset", "change", fleet.pk))

    assert response.status_code == 200
    inline_forms = response.context["inline_admin_formsets"][0].formset.forms
    dates = [form.instance.scheduled_date for form in inline_forms]
    assert len(dates) == 2
    assert dates == sorted(dates, reverse=True)


def test_mark_done_action(admin_client, fleet):
    planned = MaintenanceFactory(asset=fleet, status=MaintenanceStatus.PLANNED)
    in_progress = MaintenanceFactory(asset=fleet, status=MaintenanceStatus.IN_PROGRESS)
    cancelled = MaintenanceFactory(asset=fleet, status=MaintenanceStatus.CANCELLED)

    response = admin_client.post(
        admin_url("maintenance", "maintenance", "changelist"),
        {"action": "mark_done", "_selected_action": [planned.pk, in_progress.pk, cancelled.pk]},
        follow=True,
    )

    assert response.status_code == 200
    for maintenance in (planned, in_progress):
        maintenance.refresh_from_db()
        assert maintenance.status == MaintenanceStatus.DONE
        assert maintenance.completed_at is not None
    cancelled.refresh_from_db()
    assert cancelled.status == MaintenanceStatus.CANCELLED
    assert cancelled.completed_at is None
    texts = [str(message) for message in get_messages(response.wsgi_request)]
    assert "2 maintenances are done." in texts
    assert any("cancelled" in text for text in texts)


def test_a_manager_can_mark_done(client, manager, fleet):
    maintenance = fleet.maintenances.filter(status=MaintenanceStatus.PLANNED).get()
    client.force_login(manager)

    client.post(
        admin_url("maintenance", "maintenance", "changelist"),
        {"action": "mark_done", "_selected_action": [maintenance.pk]},
    )

    maintenance.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.DONE


def test_a_technician_cannot_use_the_admin(client, technician, fleet):
    """Technicians work through the API; the admin turns them away before any action runs."""
    maintenance = fleet.maintenances.filter(status=MaintenanceStatus.PLANNED).get()
    client.force_login(technician)

    response = client.post(
        admin_url("maintenance", "maintenance", "changelist"),
        {"action": "mark_done", "_selected_action": [maintenance.pk]},
    )

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    maintenance.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.PLANNED


@pytest.mark.parametrize(
    "field_name",
    ["asset", "assigned_to"],
)
def test_a_manager_can_pick_the_asset_and_the_assignee(client, manager, technician, fleet, field_name):
    client.force_login(manager)

    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "maintenance", "model_name": "maintenance", "field_name": field_name},
    )

    assert response.status_code == 200
    assert response.json()["results"]
