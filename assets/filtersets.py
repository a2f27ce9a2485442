"""Filters of the asset list."""

import django_filters
from django.utils.translation import gettext_lazy as _

from alertsite.api.filters import FilterSet, IdFilter, SearchFilter, StableOrderingFilter
from assets.choices import AssetStatus, Criticality
from assets.models import Asset, Meter


class AssetFilterSet(FilterSet):
    search = SearchFilter(
        search_fields=["code", "name", "location"], label=_("Text in the code, name or location.")
    )
    status = django_filters.MultipleChoiceFilter(
        choices=AssetStatus.choices, label=_("Status; repeat the parameter for several.")
    )
    criticality = django_filters.MultipleChoiceFilter(
        choices=Criticality.choices, label=_("Criticality; repeat the parameter for several.")
    )
    location = django_filters.CharFilter(lookup_expr="icontains", label=_("Text in the location."))
    ordering = StableOrderingFilter(
        fields=["code", "name", "location", "status", "commissioned_on", "created_at", "updated_at", "id"],
        label=_("Sort order (default: code)."),
    )

    class Meta:
        model = Asset
        fields: list[str] = []


class MeterFilterSet(FilterSet):
    asset = IdFilter(field_name="asset_id", label=_("Asset id."))
    ordering = StableOrderingFilter(
        fields=["name", "unit", "last_value", "last_read_at", "created_at", "id"],
        label=_("Sort order (default: asset code, then name)."),
    )

    class Meta:
        model = Meter
        fields: list[str] = []
