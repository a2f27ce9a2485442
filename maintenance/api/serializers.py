"""Representation of maintenances."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from maintenance.models import Maintenance


class MaintenanceSerializer(serializers.ModelSerializer):
    asset_code = serializers.CharField(source="asset.code", read_only=True)
    asset_name = serializers.CharField(source="asset.name", read_only=True)
    assigned_to = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True),
        allow_null=True,
        required=False,
        help_text="Id of the assigned user.",
    )
    # No `default`: DRF leaves a field with a default out of a PATCH response.
    assigned_to_username = serializers.CharField(
        source="assigned_to.username", read_only=True, allow_null=True
    )

    class Meta:
        model = Maintenance
        fields = [
            "id",
            "asset",
            "asset_code",
            "asset_name",
            "title",
            "description",
            "kind",
            "status",
            "scheduled_date",
            "completed_at",
            "assigned_to",
            "assigned_to_username",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["completed_at", "created_at", "updated_at"]
