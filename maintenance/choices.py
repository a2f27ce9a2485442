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


class IntervalUnit(models.TextChoices):
    DAY = "DAY", _("Day")
    WEEK = "WEEK", _("Week")
    MONTH = "MONTH", _("Month")
    YEAR = "YEAR", _("Year")

    @classmethod
    def max_intervals(cls) -> dict[str, int]:
        """The largest interval of each unit: a century's worth (more is a typing error)."""
        return {cls.DAY: 36_500, cls.WEEK: 5_218, cls.MONTH: 1_200, cls.YEAR: 100}


class PlanAnchor(models.TextChoices):
    SCHEDULE = "SCHEDULE", _("Fixed schedule (from the start date)")
    COMPLETION = "COMPLETION", _("From the last completion")
