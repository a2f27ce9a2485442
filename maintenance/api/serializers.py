"""Representation of maintenances and plans."""

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from alertsite.api.serializers import ModelSerializer, StrictPrimaryKeyRelatedField
from assets.api.serializers import meter_value_field
from assets.models import Meter
from maintenance.models import Maintenance, MaintenancePlan


def _assignee_field():
    return StrictPrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True),
        allow_null=True,
        required=False,
        help_text="Id of the assigned user.",
    )


def _validated_by_model(serializer: ModelSerializer, attrs: dict, check) -> None:
    """Run the model's own check (`check(instance)`) on the object as it would be saved.

    The rule lives once on the model, for the admin's forms and the API alike;
    its field messages become the 400's.
    """
    model = serializer.Meta.model
    current = serializer.instance
    instance = model(
        **{field.attname: getattr(current, field.attname) for field in model._meta.concrete_fields}
        if current is not None
        else {}
    )
    for name, value in attrs.items():
        setattr(instance, name, value)
    try:
        check(instance)
    except DjangoValidationError as error:
        raise serializers.ValidationError(serializers.as_serializer_error(error)) from None


class MaintenanceSerializer(ModelSerializer):
    asset_code = serializers.CharField(source="asset.code", read_only=True)
    asset_name = serializers.CharField(source="asset.name", read_only=True)
    assigned_to = _assignee_field()
    # No `default`: DRF leaves a field with a default out of a PATCH response.
    assigned_to_username = serializers.CharField(
        source="assigned_to.username", read_only=True, allow_null=True
    )
    due_meter_value = meter_value_field(
        read_only=True,
        allow_null=True,
        help_text="For an occurrence of a meter plan: also due when its meter reaches this value.",
    )
    plan = StrictPrimaryKeyRelatedField(
        queryset=MaintenancePlan.objects.all(),
        allow_null=True,
        required=False,
        help_text="Id of the plan this maintenance is an occurrence of (null for one-off work).",
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
            "plan",
            "due_meter_value",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["completed_at", "due_meter_value", "created_at", "updated_at"]
        # DRF would turn the one-open-occurrence index into a required `plan`;
        # `Maintenance.validate_plan` checks it instead.
        validators: list = []

    def validate(self, attrs):
        attrs = super().validate(attrs)
        _validated_by_model(self, attrs, Maintenance.validate_plan)
        return attrs


class MaintenancePlanSerializer(ModelSerializer):
    asset_code = serializers.CharField(source="asset.code", read_only=True)
    meter = StrictPrimaryKeyRelatedField(
        queryset=Meter.objects.all(),
        allow_null=True,
        required=False,
        help_text="Id of a meter of the plan's asset: also due every `meter_interval` on it.",
    )
    meter_interval = meter_value_field(
        min_value=Decimal("0.001"),
        allow_null=True,
        required=False,
        help_text="Every how many meter units (e.g. 500 for 500 h); given with `meter`.",
    )
    asset_name = serializers.CharField(source="asset.name", read_only=True)
    assigned_to = _assignee_field()
    assigned_to_username = serializers.CharField(
        source="assigned_to.username", read_only=True, allow_null=True
    )

    class Meta:
        model = MaintenancePlan
        fields = [
            "id",
            "asset",
            "asset_code",
            "asset_name",
            "title",
            "description",
            "kind",
            "interval",
            "interval_unit",
            "anchor",
            "starts_on",
            "ends_on",
            "meter",
            "meter_interval",
            "assigned_to",
            "assigned_to_username",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        # Range per unit, checked by the model (the admin's rule too).
        extra_kwargs = {"interval": {"min_value": 1}}

    def validate(self, attrs):
        attrs = super().validate(attrs)
        _validated_by_model(self, attrs, MaintenancePlan.clean)
        return attrs
