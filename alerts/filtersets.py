"""Filters of the alert list (and of `read-all`, which accepts the same)."""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from alerts.choices import AlertKind, Priority, RunStatus, RunTrigger
from alerts.models import Alert, GenerationRun
from alertsite.api.filters import IdFilter, StableOrderingFilter, StrictBooleanFilter


class ActiveChoices:
    TRUE, FALSE, ALL = "true", "false", "all"
    choices = [(TRUE, _("active")), (FALSE, _("resolved")), (ALL, _("all"))]


@extend_schema_field(
    {
        "type": "string",
        "enum": [value for value, _label in ActiveChoices.choices],
        "default": ActiveChoices.TRUE,
        "description": "Active alerts (`true`, the default), resolved ones (`false`) or `all` (history).",
    }
)
class ActiveFilter(django_filters.ChoiceFilter):
    """`true` (the default), `false` or `all`: not a boolean, so it has its own schema."""


class AlertFilterSet(django_filters.FilterSet):
    is_active = ActiveFilter(choices=ActiveChoices.choices, method="filter_is_active")
    priority = django_filters.MultipleChoiceFilter(
        choices=Priority.choices, label=_("Priority; repeat the parameter for several.")
    )
    kind = django_filters.MultipleChoiceFilter(
        choices=AlertKind.choices, label=_("Kind; repeat the parameter for several.")
    )
    is_read = StrictBooleanFilter(label=_("Read (`true`) or unread (`false`) alerts."))
    asset = IdFilter(field_name="asset_id", label=_("Asset id."))
    maintenance = IdFilter(field_name="maintenance_id", label=_("Maintenance id."))
    ordering = StableOrderingFilter(
        fields=[
            ("priority_rank", "priority"),
            ("due_date", "due_date"),
            ("created_at", "created_at"),
            ("updated_at", "updated_at"),
            ("id", "id"),
        ],
        label=_("Sort order (default: most urgent first, then due date)."),
    )

    class Meta:
        model = Alert
        fields: list[str] = []

    def __init__(self, data=None, *args, **kwargs):
        # Without `is_active`, the list is the active alerts (the seed's contract).
        if data is not None and not data.get("is_active"):
            data = data.copy()
            data["is_active"] = ActiveChoices.TRUE
        super().__init__(data, *args, **kwargs)

    def filter_is_active(self, queryset, name, value):
        if value == ActiveChoices.ALL:
            return queryset
        return queryset.filter(is_active=value == ActiveChoices.TRUE)


class GenerationRunFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=RunStatus.choices)
    trigger = django_filters.MultipleChoiceFilter(choices=RunTrigger.choices)

    class Meta:
        model = GenerationRun
        fields: list[str] = []
