"""Representation of assets, meters and meter readings."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from alertsite.api.serializers import ModelSerializer, StrictPrimaryKeyRelatedField
from assets.models import METER_DECIMAL_PLACES, METER_MAX_DIGITS, Asset, Meter, MeterReading
from assets.services import MAX_READINGS_PER_BATCH


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


def meter_value_field(**kwargs) -> serializers.DecimalField:
    """A meter value as a JSON number (not DRF's default string)."""
    return serializers.DecimalField(
        max_digits=METER_MAX_DIGITS, decimal_places=METER_DECIMAL_PLACES, coerce_to_string=False, **kwargs
    )


class MeterSerializer(ModelSerializer):
    asset_code = serializers.CharField(source="asset.code", read_only=True)
    last_value = meter_value_field(read_only=True, allow_null=True, help_text="Value of the latest reading.")

    class Meta:
        model = Meter
        fields = [
            "id",
            "asset",
            "asset_code",
            "name",
            "unit",
            "last_value",
            "last_read_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["last_read_at", "created_at", "updated_at"]


class MeterReadingSerializer(ModelSerializer):
    value = meter_value_field(read_only=True)

    class Meta:
        model = MeterReading
        fields = ["id", "value", "read_at"]
        read_only_fields = fields


class ReadingsRecordedSerializer(serializers.Serializer):
    recorded = serializers.IntegerField(help_text="How many readings were stored.")
    meter = MeterSerializer(help_text="The meter, its latest value updated.")


_READING_INPUT = {
    "type": "object",
    "properties": {
        "value": {
            "type": "number",
            "minimum": 0,
            "description": "The meter's value; never below its latest.",
        },
        "read_at": {
            "type": "string",
            "format": "date-time",
            "description": "When it was read (ISO 8601); default now. At most a minute ahead of the server.",
        },
    },
    "required": ["value"],
    "additionalProperties": False,
}
READINGS_REQUEST_SCHEMA = {
    "oneOf": [
        _READING_INPUT,
        {"type": "array", "items": _READING_INPUT, "minItems": 1, "maxItems": MAX_READINGS_PER_BATCH},
    ]
}
