"""Maintenances: full CRUD and `complete`. Saving one refreshes its asset's alerts on commit."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from alertsite.api.schema import VALIDATION_ERROR_SCHEMA
from alertsite.api.views import ModelViewSet
from maintenance.api.serializers import MaintenanceSerializer
from maintenance.filtersets import MaintenanceFilterSet
from maintenance.models import Maintenance
from maintenance.services import complete_maintenance


class MaintenanceViewSet(ModelViewSet):
    queryset = Maintenance.objects.select_related("asset", "assigned_to").order_by("scheduled_date", "id")
    serializer_class = MaintenanceSerializer
    filterset_class = MaintenanceFilterSet
    action_permissions = {"complete": ["maintenance.change_maintenance"]}

    @extend_schema(
        summary="Mark a maintenance done",
        description="Sets the status to DONE and the completion time to now; a done one is unchanged. "
        "A cancelled maintenance cannot be completed (400).",
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
        maintenance = complete_maintenance(maintenance=self.get_object())
        return Response(self.get_serializer(maintenance).data)
