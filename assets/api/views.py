"""Assets and meters: full CRUD, and meter readings. Saving an asset, or a batch of readings,
refreshes the asset's alerts when the request commits."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import RestrictedError
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response

from alertsite.api.pagination import OptionalLimitOffsetPagination
from alertsite.api.schema import VALIDATION_ERROR_SCHEMA
from alertsite.api.views import ModelViewSet
from assets.api.serializers import (
    READINGS_REQUEST_SCHEMA,
    AssetSerializer,
    MeterReadingSerializer,
    MeterSerializer,
    ReadingsRecordedSerializer,
)
from assets.filtersets import AssetFilterSet, MeterFilterSet
from assets.models import Asset, Meter, MeterReading
from assets.services import MAX_READINGS_PER_BATCH, parse_readings, record_readings


class AssetViewSet(ModelViewSet):
    queryset = Asset.objects.select_related("owner").order_by("code")
    serializer_class = AssetSerializer
    filterset_class = AssetFilterSet


class ReadingsPagination(OptionalLimitOffsetPagination):
    """Always a page: a meter's readings grow forever."""

    def paginate_queryset(self, queryset, request, view=None, count_queryset=None):
        self.count_queryset = count_queryset
        return LimitOffsetPagination.paginate_queryset(self, queryset, request, view)


class MeterViewSet(ModelViewSet):
    queryset = Meter.objects.select_related("asset").order_by("asset__code", "name", "id")
    serializer_class = MeterSerializer
    filterset_class = MeterFilterSet
    action_permissions = {
        "readings": ["assets.view_meter", "assets.view_meterreading"],
        "record_readings": ["assets.view_meter", "assets.add_meterreading"],
    }

    @extend_schema(
        summary="Delete a meter",
        description="With its readings. A meter that a plan follows cannot be deleted (400): "
        "move the plan to another meter first.",
        responses={
            204: OpenApiResponse(description="Deleted."),
            400: OpenApiResponse(VALIDATION_ERROR_SCHEMA, description="A plan follows this meter."),
        },
    )
    def destroy(self, request, *args, **kwargs):
        return super().destroy(request, *args, **kwargs)

    def perform_destroy(self, instance):
        try:
            instance.delete()
        except RestrictedError:
            raise serializers.ValidationError(
                {
                    "non_field_errors": [
                        _("A maintenance plan follows this meter: move the plan to another meter first.")
                    ]
                }
            ) from None

    @extend_schema(
        summary="The meter's readings",
        description="Newest first, always a page `{count, next, previous, results}` (default 100).",
        parameters=[
            OpenApiParameter("limit", int, description="Page size (1–1000, default 100)."),
            OpenApiParameter("offset", int, description="Rows to skip."),
        ],
        responses={
            200: MeterReadingSerializer(many=True),
            400: OpenApiResponse(VALIDATION_ERROR_SCHEMA, description="A bad `limit` or `offset`, named."),
        },
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=ReadingsPagination)
    def readings(self, request, pk=None):
        meter = self.get_object()
        readings = MeterReading.objects.filter(meter=meter).order_by("-read_at", "-id")
        page = self.paginate_queryset(readings)
        return self.get_paginated_response(MeterReadingSerializer(page, many=True).data)

    @extend_schema(
        summary="Post readings",
        description=(
            'One reading `{"value", "read_at"}` (`read_at` optional, default now) or an array of up to '
            f"{MAX_READINGS_PER_BATCH:,} (a telemetry batch). Values and times never go down, from the "
            "meter's latest reading and within the batch; a time at most a minute ahead of the server's "
            "clock. Validated as a whole and stored in one transaction: one bad item (named `[i].value` or "
            "`[i].read_at`) and nothing is stored. The asset's alerts are refreshed once, on commit."
        ),
        request={"application/json": READINGS_REQUEST_SCHEMA},
        responses={
            201: ReadingsRecordedSerializer,
            400: OpenApiResponse(
                VALIDATION_ERROR_SCHEMA,
                description="A bad item (negative, not a number, below the previous reading, in the future) "
                "or more readings than a request may hold; nothing stored.",
            ),
        },
    )
    @readings.mapping.post
    def record_readings(self, request, pk=None):
        meter = self.get_object()
        try:
            parsed = parse_readings(request.data, now=timezone.now())
            recorded = record_readings(meter=meter, readings=parsed, single=isinstance(request.data, dict))
        except DjangoValidationError as error:
            raise serializers.ValidationError(serializers.as_serializer_error(error)) from None
        except Meter.DoesNotExist:
            raise NotFound from None  # deleted by another request meanwhile
        data = ReadingsRecordedSerializer({"recorded": recorded, "meter": meter}).data
        return Response(data, status=status.HTTP_201_CREATED)
