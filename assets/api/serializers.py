"""Representation of assets."""

from rest_framework import serializers

from assets.models import Asset


class AssetSerializer(serializers.ModelSerializer):
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
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
