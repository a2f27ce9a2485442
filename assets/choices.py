"""Choices of the asset model."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AssetStatus(models.TextChoices):
    OPERATIONAL = "OPERATIONAL", _("Operational")
    NEEDS_MAINTENANCE = "NEEDS_MAINTENANCE", _("Needs maintenance")
    OUT_OF_SERVICE = "OUT_OF_SERVICE", _("Out of service")
    RETIRED = "RETIRED", _("Retired")


class Criticality(models.TextChoices):
    LOW = "LOW", _("Low")
    MEDIUM = "MEDIUM", _("Medium")
    HIGH = "HIGH", _("High")
    CRITICAL = "CRITICAL", _("Critical")
