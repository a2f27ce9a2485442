"""Admin of maintenances: the planning list and the "Mark done" action."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from maintenance.models import Maintenance
from maintenance.services import complete_maintenance, save_maintenance


@admin.register(Maintenance)
class MaintenanceAdmin(admin.ModelAdmin):
    list_display = ["title", "asset", "kind", "status", "scheduled_date", "completed_at", "assigned_to"]
    list_filter = ["status", "kind", "asset__criticality"]
    date_hierarchy = "scheduled_date"
    search_fields = ["asset__code", "asset__name", "title"]
    list_select_related = ["asset", "assigned_to"]
    autocomplete_fields = ["asset", "assigned_to"]
    readonly_fields = ["created_at", "updated_at"]
    actions = ["mark_done"]

    def save_model(self, request, obj, form, change):
        save_maintenance(maintenance=obj)

    @admin.action(description=_("Mark done"), permissions=["change"])
    def mark_done(self, request, queryset):
        done = 0
        for maintenance in queryset.select_related("asset"):
            try:
                complete_maintenance(maintenance=maintenance)
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
