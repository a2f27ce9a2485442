"""Representation of assets."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from assets.models import Asset


class AssetSerializer(serializers.ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True),
        allow_null=True,
        required=False,
        help_text="Id of the user who answers for the asset (the assignee of its asset alerts).",
    )
    # No `default`: DRF leaves a field with a default out of a PATCH response.
    owner_username = serializers.CharField(source="owner.username", read_only=True, allow_null=True)

    class Meta:
        model = Asset
        fields = [
            "id",
            "code",
            "name",
            "location",
            "status",
            "criticality",
            "maintenance_interval_days",
            "commissioned_on",
            "owner",
            "owner_username",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
