"""Admin of assets (their maintenances appear inline, added by maintenance/admin.py)."""

from django.contrib import admin

from assets.models import Asset


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "location", "status", "criticality", "maintenance_interval_days", "owner"]
    list_filter = ["status", "criticality"]
    list_select_related = ["owner"]
    search_fields = ["code", "name", "location"]
    autocomplete_fields = ["owner"]
    readonly_fields = ["created_at", "updated_at"]
