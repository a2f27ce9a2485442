"""Invariants of assets and maintenances, and the completion service."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.signals import post_save
from django.utils import timezone

from assets.models import Asset
from maintenance.choices import MaintenanceStatus
from maintenance.models import Maintenance
from maintenance.services import complete_maintenance
from tests.factories import AssetFactory, MaintenanceFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 10, 9, 30, tzinfo=datetime.UTC)


def test_asset_code_is_unique():
    AssetFactory(code="PUMP-001")

    with pytest.raises(ValidationError) as excinfo:
        Asset(code="PUMP-001", name="Another pump").full_clean()
    assert "code" in excinfo.value.message_dict

    with pytest.raises(IntegrityError), transaction.atomic():
        Asset.objects.create(code="PUMP-001", name="Another pump")


def test_interval_must_be_at_least_one_day_in_validation():
    asset = AssetFactory.build(maintenance_interval_days=0)

    with pytest.raises(ValidationError) as excinfo:
        asset.full_clean()
    assert "maintenance_interval_days" in excinfo.value.message_dict

    AssetFactory.build(code="OK-1", maintenance_interval_days=1).full_clean()


def test_interval_must_be_at_least_one_day_in_the_database():
    asset = AssetFactory(maintenance_interval_days=30)

    with pytest.raises(IntegrityError), transaction.atomic():
        Asset.objects.filter(pk=asset.pk).update(maintenance_interval_days=0)

    Asset.objects.filter(pk=asset.pk).update(maintenance_interval_days=None)


def test_completed_at_is_rejected_unless_done():
    maintenance = MaintenanceFactory.build(
        asset=AssetFactory(), status=MaintenanceStatus.PLANNED, completed_at=NOW
    )

    with pytest.raises(ValidationError) as excinfo:
        maintenance.full_clean()
    assert "completed_at" in excinfo.value.message_dict


def test_completed_at_is_rejected_by_the_database_unless_done():
    maintenance = MaintenanceFactory(status=MaintenanceStatus.PLANNED)

    with pytest.raises(IntegrityError), transaction.atomic():
        Maintenance.objects.filter(pk=maintenance.pk).update(completed_at=NOW)


@time_machine.travel(NOW, tick=False)
def test_saving_as_done_sets_completed_at():
    maintenance = MaintenanceFactory(status=MaintenanceStatus.IN_PROGRESS)
    assert maintenance.completed_at is None

    maintenance.status = MaintenanceStatus.DONE
    maintenance.save(update_fields=["status"])

    maintenance.refresh_from_db()
    assert maintenance.completed_at == NOW


@pytest.mark.parametrize("status", [MaintenanceStatus.PLANNED, MaintenanceStatus.CANCELLED])
def test_saving_done_work_with_another_status_clears_completed_at(status):
    maintenance = MaintenanceFactory(status=MaintenanceStatus.DONE, completed_at=NOW)

    maintenance.status = status
    maintenance.save(update_fields=["status"])

    maintenance.refresh_from_db()
    assert maintenance.status == status
    assert maintenance.completed_at is None


@pytest.mark.parametrize("status", [MaintenanceStatus.PLANNED, MaintenanceStatus.IN_PROGRESS])
def test_complete_maintenance_marks_open_work_done(status):
    maintenance = MaintenanceFactory(status=status)

    complete_maintenance(maintenance=maintenance, now=NOW)

    maintenance.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.DONE
    assert maintenance.completed_at == NOW


@time_machine.travel(NOW, tick=False)
def test_complete_maintenance_defaults_to_the_current_time():
    maintenance = complete_maintenance(maintenance=MaintenanceFactory())

    assert maintenance.completed_at == timezone.now() == NOW


def test_complete_maintenance_fires_save_signals():
    """The instant alert refresh hangs on post_save, so the service must save()."""
    saved = []

    def receiver(sender, instance, **kwargs):
        saved.append(instance.pk)

    maintenance = MaintenanceFactory()
    post_save.connect(receiver, sender=Maintenance)
    try:
        complete_maintenance(maintenance=maintenance, now=NOW)
    finally:
        post_save.disconnect(receiver, sender=Maintenance)

    assert saved == [maintenance.pk]


def test_complete_maintenance_keeps_the_first_completion_time():
    first = NOW - datetime.timedelta(days=3)
    maintenance = MaintenanceFactory(status=MaintenanceStatus.DONE, completed_at=first)

    complete_maintenance(maintenance=maintenance, now=NOW)

    maintenance.refresh_from_db()
    assert maintenance.completed_at == first


def test_complete_maintenance_refuses_a_cancelled_one():
    maintenance = MaintenanceFactory(status=MaintenanceStatus.CANCELLED)

    with pytest.raises(ValidationError) as excinfo:
        complete_maintenance(maintenance=maintenance, now=NOW)

    assert "status" in excinfo.value.message_dict
    maintenance.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.CANCELLED
    assert maintenance.completed_at is None


def test_every_model_change_has_its_migration():
    from django.core.management import call_command

    # Exits non-zero (SystemExit) when a model differs from its migrations.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
