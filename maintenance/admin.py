"""Admin of maintenances (the planning list, "Mark done", an asset's maintenances inline) and of plans
(occurrences inline, "Deactivate")."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from assets.admin import AssetAdmin
from assets.models import Asset
from maintenance.models import Maintenance, MaintenancePlan
from maintenance.services import (
    complete_maintenance,
    deactivate_plans,
    delete_plans,
    save_maintenance,
    save_plan,
)


class MaintenanceInline(admin.TabularInline):
    model = Maintenance
    extra = 0
    show_change_link = True
    # Only light columns: an asset can have hundreds of maintenances, and a
    # user select per row would make the page heavy. Details are one click away.
    fields = ["title", "kind", "status", "scheduled_date"]
    ordering = ["-scheduled_date"]


# Assets know nothing of maintenances (apps depend downward only), so the
# asset page gets its maintenances inline from here.
admin.site.unregister(Asset)


@admin.register(Asset)
class AssetWithMaintenancesAdmin(AssetAdmin):
    inlines = [*AssetAdmin.inlines, MaintenanceInline]


@admin.register(Maintenance)
class MaintenanceAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "asset",
        "kind",
        "status",
        "scheduled_date",
        "completed_at",
        "assigned_to",
        "plan",
        "due_meter_value",
    ]
    list_filter = ["status", "kind", "asset__criticality"]
    date_hierarchy = "scheduled_date"
    search_fields = ["asset__code", "asset__name", "title"]
    list_select_related = ["asset", "assigned_to", "plan"]
    autocomplete_fields = ["asset", "assigned_to", "plan"]
    readonly_fields = ["due_meter_value", "created_at", "updated_at"]
    actions = ["mark_done"]

    def save_model(self, request, obj, form, change):
        save_maintenance(maintenance=obj)

    @admin.action(description=_("Mark done"), permissions=["change"])
    def mark_done(self, request, queryset):
        done = 0
        for maintenance in queryset.select_related("asset"):
            try:
                complete_maintenance(maintenance=maintenance)
            except Maintenance.DoesNotExist:
                continue  # deleted meanwhile
            except ValidationError:
                self.message_user(
                    request,
                    _("%(maintenance)s is cancelled and was left unchanged.") % {"maintenance": maintenance},
                    messages.WARNING,
                )
            else:
                done += 1
        if done:
            self.message_user(
                request,
                ngettext("%(count)d maintenance is done.", "%(count)d maintenances are done.", done)
                % {"count": done},
                messages.SUCCESS,
            )


class OccurrenceInline(admin.TabularInline):
    """The plan's occurrences, newest first; each one is edited on its own page."""

    model = Maintenance
    fk_name = "plan"
    fields = ["title", "status", "scheduled_date", "due_meter_value", "completed_at", "assigned_to"]
    readonly_fields = fields
    ordering = ["-scheduled_date", "-id"]
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True


@admin.register(MaintenancePlan)
class MaintenancePlanAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "asset",
        "interval",
        "interval_unit",
        "anchor",
        "starts_on",
        "ends_on",
        "meter",
        "meter_interval",
        "is_active",
    ]
    list_filter = ["is_active", "anchor", "interval_unit", "kind"]
    search_fields = ["title", "asset__code", "asset__name"]
    list_select_related = ["asset", "meter"]
    autocomplete_fields = ["asset", "assigned_to", "meter"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [OccurrenceInline]
    actions = ["deactivate"]

    def save_model(self, request, obj, form, change):
        save_plan(plan=obj)

    def delete_queryset(self, request, queryset):
        delete_plans(plans=queryset)

    @admin.action(description=_("Deactivate"), permissions=["change"])
    def deactivate(self, request, queryset):
        count = deactivate_plans(plans=queryset)
        self.message_user(
            request,
            ngettext("%(count)d plan deactivated.", "%(count)d plans deactivated.", count) % {"count": count},
            messages.SUCCESS,
        )
