"""Admin of assets (their maintenances appear inline, added by maintenance/admin.py)."""

from django.contrib import admin

from assets.models import Asset


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "location", "status", "criticality", "maintenance_interval_days"]
    list_filter = ["status", "criticality"]
    search_fields = ["code", "name", "location"]
    readonly_fields = ["created_at", "updated_at"]
