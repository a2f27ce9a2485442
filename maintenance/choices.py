"""Choices of the maintenance model."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class MaintenanceKind(models.TextChoices):
    PREVENTIVE = "PREVENTIVE", _("Preventive")
    CORRECTIVE = "CORRECTIVE", _("Corrective")
    INSPECTION = "INSPECTION", _("Inspection")


class MaintenanceStatus(models.TextChoices):
    PLANNED = "PLANNED", _("Planned")
    IN_PROGRESS = "IN_PROGRESS", _("In progress")
    DONE = "DONE", _("Done")
    CANCELLED = "CANCELLED", _("Cancelled")

    @classmethod
    def open_statuses(cls) -> tuple[str, str]:
        """Statuses of work still to be done."""
        return (cls.PLANNED, cls.IN_PROGRESS)
