"""Representation of assets."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from alertsite.api.serializers import ModelSerializer, StrictPrimaryKeyRelatedField
from assets.models import Asset


class AssetSerializer(ModelSerializer):
    owner = StrictPrimaryKeyRelatedField(
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
        extra_kwargs = {
            # Also what a duplicate saved concurrently answers (alertsite/api/exceptions.py).
            "code": {
                "validators": [
                    UniqueValidator(Asset.objects.all(), message=_("An asset with this code already exists."))
                ]
            }
        }
