"""Filters of the maintenance list."""

import django_filters
from django.utils.translation import gettext_lazy as _

from alertsite.api.filters import FilterSet, IdFilter, SearchFilter, StableOrderingFilter, StrictBooleanFilter
from maintenance.choices import MaintenanceKind, MaintenanceStatus
from maintenance.models import Maintenance, MaintenancePlan


class MaintenanceFilterSet(FilterSet):
    search = SearchFilter(
        search_fields=["title", "description", "asset__code", "asset__name"],
        label=_("Text in the title, description, asset code or asset name."),
    )
    asset = IdFilter(field_name="asset_id", label=_("Asset id."))
    status = django_filters.MultipleChoiceFilter(
        choices=MaintenanceStatus.choices, label=_("Status; repeat the parameter for several.")
    )
    kind = django_filters.MultipleChoiceFilter(
        choices=MaintenanceKind.choices, label=_("Kind; repeat the parameter for several.")
    )
    scheduled_after = django_filters.DateFilter(
        field_name="scheduled_date", lookup_expr="gte", label=_("Scheduled on or after (YYYY-MM-DD).")
    )
    scheduled_before = django_filters.DateFilter(
        field_name="scheduled_date", lookup_expr="lte", label=_("Scheduled on or before (YYYY-MM-DD).")
    )
    assigned_to = IdFilter(field_name="assigned_to_id", label=_("Id of the assigned user."))
    ordering = StableOrderingFilter(
        fields=["scheduled_date", "title", "status", "completed_at", "created_at", "updated_at", "id"],
        label=_("Sort order (default: scheduled date)."),
    )

    class Meta:
        model = Maintenance
        fields: list[str] = []


class MaintenancePlanFilterSet(FilterSet):
    search = SearchFilter(
        search_fields=["title", "asset__code"], label=_("Text in the title or the asset code.")
    )
    asset = IdFilter(field_name="asset_id", label=_("Asset id."))
    is_active = StrictBooleanFilter(label=_("Active plans (true) or inactive ones (false)."))
    ordering = StableOrderingFilter(
        fields=["title", "starts_on", "ends_on", "interval_unit", "created_at", "updated_at", "id"],
        label=_("Sort order (default: asset code, then title)."),
    )

    class Meta:
        model = MaintenancePlan
        fields: list[str] = []
