"""Write operations on maintenances: the one path every save takes.

`Maintenance.save()` delegates here, so the API, the admin (form and action),
`complete` and plain ORM saves all keep the same rules.
"""

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maintenance.choices import MaintenanceStatus
from maintenance.models import Maintenance


def save_maintenance(
    *, maintenance: Maintenance, now: datetime | None = None, **save_options: Any
) -> Maintenance:
    """Save `maintenance` (new or changed), keeping the completion rule.

    Only done work has a completion time: becoming DONE sets it to `now`
    (default: the current time) unless it is already set; any other status
    clears it. `save_options` are those of `Model.save()` (`update_fields`…).
    """
    changed = _apply_completion_rule(maintenance, now=now)
    update_fields = save_options.get("update_fields")
    if update_fields is not None and changed:
        save_options["update_fields"] = {*update_fields, "completed_at"}
    # The row itself, below Maintenance.save() (which calls this function).
    models.Model.save(maintenance, **save_options)
    return maintenance


def complete_maintenance(*, maintenance: Maintenance, now: datetime | None = None) -> Maintenance:
    """Mark a maintenance as done at `now` (default: the current time).

    A maintenance that is already done keeps its original completion time; a
    cancelled one cannot be completed. The row is locked first, so two
    completions at once complete it once. Saved with `.save()`, so the signals
    that refresh the asset's alerts fire.
    """
    with transaction.atomic():
        current = (
            Maintenance.objects.select_for_update()
            .filter(pk=maintenance.pk)
            .values_list("status", "completed_at")
            .first()
        )
        if current is not None:
            maintenance.status, maintenance.completed_at = current
        if maintenance.status == MaintenanceStatus.CANCELLED:
            raise ValidationError(
                {"status": _("A cancelled maintenance cannot be marked as done.")}, code="cancelled"
            )
        if maintenance.status == MaintenanceStatus.DONE:
            return maintenance
        maintenance.status = MaintenanceStatus.DONE
        save_maintenance(maintenance=maintenance, now=now, update_fields=["status", "updated_at"])
    return maintenance


def _apply_completion_rule(maintenance: Maintenance, *, now: datetime | None) -> bool:
    """Set or clear `completed_at` to match the status; whether it changed."""
    if maintenance.status == MaintenanceStatus.DONE:
        if maintenance.completed_at is None:
            maintenance.completed_at = now or timezone.now()
            return True
        return False
    if maintenance.completed_at is not None:
        maintenance.completed_at = None
        return True
    return False
