"""Admin of assets, with their maintenances inline."""

from django.contrib import admin

from assets.models import Asset
from maintenance.models import Maintenance


class MaintenanceInline(admin.TabularInline):
    model = Maintenance
    extra = 0
    show_change_link = True
    # Only light columns: an asset can have hundreds of maintenances, and a
    # user select per row would make the page heavy. Details are one click away.
    fields = ["title", "kind", "status", "scheduled_date"]
    ordering = ["-scheduled_date"]


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "location", "status", "criticality", "maintenance_interval_days", "owner"]
    list_filter = ["status", "criticality"]
    list_select_related = ["owner"]
    search_fields = ["code", "name", "location"]
    autocomplete_fields = ["owner"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [MaintenanceInline]
