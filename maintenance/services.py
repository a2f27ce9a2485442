"""Write operations on maintenances, shared by the admin and the REST API."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maintenance.choices import MaintenanceStatus
from maintenance.models import Maintenance


def complete_maintenance(*, maintenance: Maintenance, now: datetime | None = None) -> Maintenance:
    """Mark a maintenance as done at `now` (default: the current time).

    A maintenance that is already done keeps its original completion time; a
    cancelled one cannot be completed. The object is saved with `.save()`, so
    the signals that refresh the asset's alerts fire.
    """
    if maintenance.status == MaintenanceStatus.CANCELLED:
        raise ValidationError(
            {"status": _("A cancelled maintenance cannot be marked as done.")}, code="cancelled"
        )
    if maintenance.status == MaintenanceStatus.DONE:
        return maintenance
    maintenance.status = MaintenanceStatus.DONE
    maintenance.completed_at = now or timezone.now()
    maintenance.save(update_fields=["status", "completed_at", "updated_at"])
    return maintenance
