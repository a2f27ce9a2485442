"""Maintenances: planned interventions on an asset."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from assets.choices import AssetStatus
from assets.locking import LockedDeleteQuerySet, delete_under_lock
from assets.models import METER_DECIMAL_PLACES, METER_MAX_DIGITS
from maintenance.choices import IntervalUnit, MaintenanceKind, MaintenanceStatus, PlanAnchor


class MaintenancePlan(models.Model):
    """Recurring preventive work: one open occurrence at a time, the next planned when it closes."""

    asset = models.ForeignKey(
        "assets.Asset", on_delete=models.CASCADE, related_name="plans", verbose_name=_("asset")
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(
        _("kind"), max_length=20, choices=MaintenanceKind.choices, default=MaintenanceKind.PREVENTIVE
    )
    interval = models.PositiveIntegerField(
        _("interval"), help_text=_("Every how many units; at most a century's worth.")
    )
    interval_unit = models.CharField(_("interval unit"), max_length=10, choices=IntervalUnit.choices)
    anchor = models.CharField(
        _("anchor"),
        max_length=20,
        choices=PlanAnchor.choices,
        default=PlanAnchor.SCHEDULE,
        help_text=_(
            "Fixed schedule: due on the start date plus whole intervals. "
            "From the last completion: due one interval after the previous occurrence was done."
        ),
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(
        _("ends on"), null=True, blank=True, help_text=_("No occurrence is planned after this date.")
    )
    meter = models.ForeignKey(
        "assets.Meter",
        # A plan follows its meter (a replaced counter is a new meter the plan moves to);
        # deleting the asset takes both.
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="plans",
        verbose_name=_("meter"),
        help_text=_("Also due by usage: every meter interval on this meter of the asset, whichever first."),
    )
    meter_interval = models.DecimalField(
        _("meter interval"),
        max_digits=METER_MAX_DIGITS,
        decimal_places=METER_DECIMAL_PLACES,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.001"))],
        help_text=_("Every how many meter units (e.g. 500 h); set with the meter."),
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="maintenance_plans",
        verbose_name=_("assigned to"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["asset__code", "title", "id"]
        verbose_name = _("maintenance plan")
        verbose_name_plural = _("maintenance plans")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    *[
                        models.Q(interval_unit=unit, interval__gte=1, interval__lte=maximum)
                        for unit, maximum in IntervalUnit.max_intervals().items()
                    ],
                    _connector=models.Q.OR,
                ),
                name="plan_interval_in_range",
                violation_error_message=_(
                    "The interval must be between 1 and a century's worth of its unit."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(anchor__in=PlanAnchor.values),
                name="plan_anchor_known",
                violation_error_message=_("Unknown anchor."),
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=models.F("starts_on")),
                name="plan_ends_after_start",
                violation_error_message=_("The end date cannot be before the start date."),
            ),
            models.CheckConstraint(
                condition=models.Q(meter__isnull=True, meter_interval__isnull=True)
                | models.Q(meter__isnull=False, meter_interval__gt=0),
                name="plan_meter_with_interval",
                violation_error_message=_("A meter plan needs both a meter and a positive meter interval."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, **kwargs) -> None:
        # Every save keeps the plan's open occurrence, which the service manages.
        from maintenance.services import save_plan

        save_plan(plan=self, **kwargs)

    def delete(self, **kwargs):
        # Past occurrences stay as history; the open one goes with the plan.
        from maintenance.services import delete_plans

        return delete_plans(plans=MaintenancePlan.objects.filter(pk=self.pk))

    def clean(self) -> None:
        super().clean()
        errors = {}
        maximum = IntervalUnit.max_intervals().get(self.interval_unit)
        if self.interval is not None and maximum is not None and not 1 <= self.interval <= maximum:
            errors["interval"] = _("Enter a whole number from 1 to %(maximum)d for this unit.") % {
                "maximum": maximum
            }
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            errors["ends_on"] = _("The end date cannot be before the start date.")
        if self.asset_id is not None and self.asset.status == AssetStatus.RETIRED:
            errors["asset"] = _("A retired asset gets no plan.")
        if self.meter_id is not None and self.asset_id is not None and self.meter.asset_id != self.asset_id:
            errors["meter"] = _("The meter is on another asset.")
        elif self.meter_id is not None and self.meter_interval is None:
            errors["meter_interval"] = _("A meter plan needs its meter interval.")
        elif self.meter_id is None and self.meter_interval is not None:
            errors["meter"] = _("A meter interval needs its meter.")
        if errors:
            raise ValidationError(errors)


class Maintenance(models.Model):
    asset = models.ForeignKey(
        "assets.Asset", on_delete=models.CASCADE, related_name="maintenances", verbose_name=_("asset")
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(
        _("kind"), max_length=20, choices=MaintenanceKind.choices, default=MaintenanceKind.PREVENTIVE
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=MaintenanceStatus.choices,
        default=MaintenanceStatus.PLANNED,
    )
    scheduled_date = models.DateField(_("scheduled date"))
    completed_at = models.DateTimeField(
        _("completed at"), null=True, blank=True, help_text=_("Set automatically when done.")
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="maintenances",
        verbose_name=_("assigned to"),
    )
    due_meter_value = models.DecimalField(
        _("due at meter value"),
        max_digits=METER_MAX_DIGITS,
        decimal_places=METER_DECIMAL_PLACES,
        null=True,
        blank=True,
        help_text=_(
            "An occurrence of a meter plan is also due when the meter reaches this value: its value "
            "when the previous occurrence closed (or the plan started) plus the meter interval."
        ),
    )
    plan = models.ForeignKey(
        MaintenancePlan,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="occurrences",
        verbose_name=_("plan"),
        help_text=_("The plan this maintenance is an occurrence of."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    loaded_asset_id: int | None = None

    objects = LockedDeleteQuerySet.as_manager()

    class Meta:
        ordering = ["scheduled_date", "id"]
        verbose_name = _("maintenance")
        verbose_name_plural = _("maintenances")
        indexes = [
            # The due-soon and overdue rules scan open work by date.
            models.Index(fields=["status", "scheduled_date"], name="maint_status_date_idx"),
            # The asset rule looks for open work and the last completion per asset.
            models.Index(fields=["asset", "status", "completed_at"], name="maint_asset_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status=MaintenanceStatus.DONE) | models.Q(completed_at__isnull=True),
                name="maint_completed_only_when_done",
                violation_error_message=_("Only a done maintenance has a completion time."),
            ),
            models.UniqueConstraint(
                fields=["plan"],
                condition=models.Q(plan__isnull=False, status__in=MaintenanceStatus.open_statuses()),
                name="maint_one_open_per_plan",
                violation_error_message=_("This plan already has an open occurrence."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.scheduled_date})"

    def save(self, **kwargs) -> None:
        # Every save keeps the maintenance rules, which live in the service.
        from maintenance.services import save_maintenance

        save_maintenance(maintenance=self, **kwargs)

    def delete(self, *args, **kwargs):
        # The write lock before Django collects the cascade (assets.locking).
        return delete_under_lock(super().delete, *args, **kwargs)

    def clean(self) -> None:
        super().clean()
        if self.completed_at and self.status != MaintenanceStatus.DONE:
            raise ValidationError({"completed_at": _("Only a done maintenance has a completion time.")})
        self.validate_plan()

    def validate_plan(self) -> None:
        """An occurrence is on its plan's asset, and a plan has one open occurrence at most."""
        if self.plan_id is None:
            return
        if self.asset_id is not None and self.plan.asset_id != self.asset_id:
            raise ValidationError({"plan": _("The plan is for another asset.")})
        if (
            self.status in MaintenanceStatus.open_statuses()
            and Maintenance.objects.filter(plan_id=self.plan_id, status__in=MaintenanceStatus.open_statuses())
            .exclude(pk=self.pk)
            .exists()
        ):
            raise ValidationError({"plan": _("This plan already has an open occurrence.")})

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # Remembered so that moving a maintenance refreshes the old asset too.
        instance.loaded_asset_id = instance.__dict__.get("asset_id")
        return instance
