"""Maintenances: planned interventions on an asset."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from maintenance.choices import MaintenanceKind, MaintenanceStatus


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
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    loaded_asset_id: int | None = None

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
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.scheduled_date})"

    def save(self, **kwargs) -> None:
        # Every save keeps the maintenance rules, which live in the service.
        from maintenance.services import save_maintenance

        save_maintenance(maintenance=self, **kwargs)

    def clean(self) -> None:
        super().clean()
        if self.completed_at and self.status != MaintenanceStatus.DONE:
            raise ValidationError({"completed_at": _("Only a done maintenance has a completion time.")})

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # Remembered so that moving a maintenance refreshes the old asset too.
        instance.loaded_asset_id = instance.__dict__.get("asset_id")
        return instance
