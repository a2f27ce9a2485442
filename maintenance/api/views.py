"""Maintenances (CRUD and `complete`) and their plans. A save refreshes its asset's alerts on commit."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from alertsite.api.schema import VALIDATION_ERROR_SCHEMA
from alertsite.api.views import ModelViewSet
from maintenance.api.serializers import MaintenancePlanSerializer, MaintenanceSerializer
from maintenance.filtersets import MaintenanceFilterSet, MaintenancePlanFilterSet
from maintenance.models import Maintenance, MaintenancePlan
from maintenance.services import complete_maintenance

MAINTENANCE_ORDER = ("scheduled_date", "id")


class MaintenanceViewSet(ModelViewSet):
    queryset = Maintenance.objects.select_related("asset", "assigned_to").order_by(*MAINTENANCE_ORDER)
    serializer_class = MaintenanceSerializer
    filterset_class = MaintenanceFilterSet
    csv_export = "maintenances"
    action_permissions = {"complete": ["maintenance.change_maintenance"]}

    @extend_schema(
        summary="Mark a maintenance done",
        description="Sets the status to DONE and the completion time to now; a done one is unchanged. "
        "A cancelled maintenance cannot be completed (400). Completing an occurrence of a plan "
        "plans the next one.",
        request=None,
        responses={
            200: MaintenanceSerializer,
            400: OpenApiResponse(
                VALIDATION_ERROR_SCHEMA,
                description="The maintenance is cancelled (`status`), or the request cannot be read.",
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        try:
            maintenance = complete_maintenance(maintenance=self.get_object())
        except Maintenance.DoesNotExist:
            raise NotFound from None  # deleted by another request meanwhile
        return Response(self.get_serializer(maintenance).data)


@extend_schema_view(
    create=extend_schema(
        summary="Create a plan",
        description="An active plan gets its first occurrence at once (a PLANNED maintenance).",
    ),
    destroy=extend_schema(
        summary="Delete a plan",
        description="Its open occurrence is deleted; past occurrences are kept, without a plan.",
    ),
)
class MaintenancePlanViewSet(ModelViewSet):
    queryset = MaintenancePlan.objects.select_related("asset", "assigned_to").order_by(
        "asset__code", "title", "id"
    )
    serializer_class = MaintenancePlanSerializer
    filterset_class = MaintenancePlanFilterSet
    action_permissions = {"occurrences": ["maintenance.view_maintenanceplan", "maintenance.view_maintenance"]}

    @extend_schema(
        summary="The plan's occurrences",
        description="Every maintenance of the plan, past and open, by scheduled date: a JSON array, "
        "or a page `{count, next, previous, results}` when `limit` or `offset` is given.",
        parameters=[
            OpenApiParameter("limit", int, description="Page size (1–1000); switches to a page."),
            OpenApiParameter("offset", int, description="Rows to skip; switches to a page."),
        ],
        responses={
            200: MaintenanceSerializer(many=True),
            400: OpenApiResponse(description="A bad `limit` or `offset`, named."),
        },
    )
    @action(detail=True, methods=["get"], filterset_class=None)
    def occurrences(self, request, pk=None):
        plan = self.get_object()
        occurrences = (
            Maintenance.objects.filter(plan=plan)
            .select_related("asset", "assigned_to")
            .order_by(*MAINTENANCE_ORDER)
        )
        page = self.paginate_queryset(occurrences)
        if page is not None:
            return self.get_paginated_response(MaintenanceSerializer(page, many=True).data)
        return Response(MaintenanceSerializer(occurrences, many=True).data)
