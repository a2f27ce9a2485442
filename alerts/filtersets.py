"""Filters of the alert list (and of `read-all`, which accepts the same)."""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from alerts.choices import AlertKind, Priority, RunStatus, RunTrigger
from alerts.models import Alert, GenerationRun
from alerts.selectors import snoozed_q
from alertsite.api.filters import MAX_ID, FilterSet, IdFilter, StableOrderingFilter, StrictBooleanFilter


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


class AssigneeField(forms.CharField):
    """`me`, `none` or a user id (a whole number a primary key can hold)."""

    ME, NONE = "me", "none"

    def to_python(self, value):
        value = super().to_python(value).strip().lower()
        if value in ("", self.ME, self.NONE):
            return value
        if value.isascii() and value.isdigit() and 1 <= int(value) <= MAX_ID:
            return int(value)
        raise ValidationError(_("Enter me, none or a user id."), code="invalid")


@extend_schema_field(
    {
        "type": "string",
        "pattern": "^(me|none|[1-9][0-9]{0,17})$",
        "description": "`me` (the signed-in user), `none` (unassigned) or a user id.",
    }
)
class AssigneeFilter(django_filters.Filter):
    field_class = AssigneeField

    def filter(self, qs, value):
        if value in ("", None):
            return qs
        if value == AssigneeField.NONE:
            return qs.filter(assignee__isnull=True)
        if value == AssigneeField.ME:
            return qs.filter(assignee=self.parent.request.user.pk)
        return qs.filter(assignee=value)


class AlertFilterSet(FilterSet):
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
    assignee = AssigneeFilter(label=_("`me`, `none` (unassigned) or a user id."))
    snoozed = StrictBooleanFilter(
        method="filter_snoozed", label=_("Snoozed (`true`: until a time still to come) or not (`false`).")
    )
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

    def filter_snoozed(self, queryset, name, value):
        snoozed = snoozed_q(now=timezone.now())
        return queryset.filter(snoozed if value else ~snoozed)


class GenerationRunFilterSet(FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=RunStatus.choices)
    trigger = django_filters.MultipleChoiceFilter(choices=RunTrigger.choices)

    class Meta:
        model = GenerationRun
        fields: list[str] = []
