"""Admin of assets (their maintenances appear inline, added by maintenance/admin.py) and meters."""

from django.contrib import admin

from assets.models import Asset, Meter


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "location", "status", "criticality", "maintenance_interval_days", "owner"]
    list_filter = ["status", "criticality"]
    list_select_related = ["owner"]
    search_fields = ["code", "name", "location"]
    autocomplete_fields = ["owner"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(Meter)
class MeterAdmin(admin.ModelAdmin):
    list_display = ["name", "asset", "unit", "last_value", "last_read_at"]
    list_filter = ["unit"]
    search_fields = ["name", "asset__code", "asset__name"]
    list_select_related = ["asset"]
    autocomplete_fields = ["asset"]
    readonly_fields = ["last_value", "last_read_at", "created_at", "updated_at"]
