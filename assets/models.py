"""Assets: the pumps, vehicles and machines that get maintained."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from assets.choices import AssetStatus, Criticality
from assets.locking import LockedDeleteQuerySet, delete_under_lock

MAX_INTERVAL_DAYS = 36_500


class Asset(models.Model):
    code = models.CharField(_("code"), max_length=50, unique=True, help_text=_("Unique code, e.g. PUMP-001."))
    name = models.CharField(_("name"), max_length=200)
    location = models.CharField(_("location"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=AssetStatus.choices, default=AssetStatus.OPERATIONAL
    )
    criticality = models.CharField(
        _("criticality"), max_length=10, choices=Criticality.choices, default=Criticality.MEDIUM
    )
    maintenance_interval_days = models.PositiveIntegerField(
        _("maintenance interval (days)"),
        null=True,
        blank=True,
        # At most a century: a larger number is a typing error, and the same
        # bound holds on every database (SQLite would store any 64-bit value).
        validators=[MinValueValidator(1), MaxValueValidator(MAX_INTERVAL_DAYS)],
        help_text=_("Preventive interval: an alert is raised when no maintenance was done for longer."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_assets",
        verbose_name=_("owner"),
        help_text=_("Who answers for the asset: the assignee of its asset alerts."),
    )
    commissioned_on = models.DateField(_("commissioned on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = LockedDeleteQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("asset")
        verbose_name_plural = _("assets")
        indexes = [models.Index(fields=["status"], name="asset_status_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(maintenance_interval_days__isnull=True)
                | models.Q(maintenance_interval_days__gte=1),
                name="asset_interval_positive",
                violation_error_message=_("The maintenance interval must be at least one day."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    def delete(self, *args, **kwargs):
        # The write lock before Django collects the cascade (assets.locking).
        return delete_under_lock(super().delete, *args, **kwargs)


# Up to a billion units with thousandths: any run-hours or odometer counter.
METER_MAX_DIGITS = 15
METER_DECIMAL_PLACES = 3


class Meter(models.Model):
    """A counter on an asset (run hours, kilometres, cycles) that usage-based plans follow (DESIGN §14).

    `last_value` and `last_read_at` are those of its latest reading, written in
    the transaction that stores the readings (`assets.services.record_readings`).
    """

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="meters", verbose_name=_("asset"))
    name = models.CharField(_("name"), max_length=100, help_text=_("E.g. Run hours."))
    unit = models.CharField(_("unit"), max_length=20, help_text=_("E.g. h, km, cycles."))
    last_value = models.DecimalField(
        _("last value"),
        max_digits=METER_MAX_DIGITS,
        decimal_places=METER_DECIMAL_PLACES,
        null=True,
        blank=True,
        editable=False,
        help_text=_("Value of the latest reading (empty before the first one)."),
    )
    last_read_at = models.DateTimeField(_("last read at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["asset__code", "name", "id"]
        verbose_name = _("meter")
        verbose_name_plural = _("meters")
        constraints = [
            models.UniqueConstraint(
                fields=["asset", "name"],
                name="meter_unique_name_per_asset",
                violation_error_message=_("This asset already has a meter with this name."),
            ),
            models.CheckConstraint(
                condition=models.Q(last_value__isnull=True) | models.Q(last_value__gte=0),
                name="meter_last_value_not_negative",
                violation_error_message=_("A meter value cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.asset.code} {self.name} ({self.unit})"


class MeterReading(models.Model):
    """One value of a meter at a time. Values never go down: a replaced counter is a new meter."""

    meter = models.ForeignKey(
        Meter, on_delete=models.CASCADE, related_name="readings", verbose_name=_("meter")
    )
    value = models.DecimalField(_("value"), max_digits=METER_MAX_DIGITS, decimal_places=METER_DECIMAL_PLACES)
    read_at = models.DateTimeField(_("read at"))

    class Meta:
        ordering = ["-read_at", "-id"]
        verbose_name = _("meter reading")
        verbose_name_plural = _("meter readings")
        indexes = [models.Index(fields=["meter", "-read_at", "-id"], name="reading_meter_time_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(value__gte=0),
                name="reading_value_not_negative",
                violation_error_message=_("A meter value cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.value} @ {self.read_at:%Y-%m-%d %H:%M}"
