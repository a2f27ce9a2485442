"""Strict filtering: a bad or unknown query parameter is a 400 that names it.

django-filter already rejects a bad choice, number or date. Two gaps are
closed here: its BooleanFilter reads `is_read=maybe` as "no filter", and an
unknown parameter (`?priorty=HIGH`) would be ignored, so the client would get
every row and believe it got the filtered ones.
"""

import copy
import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from django_filters.constants import EMPTY_VALUES
from django_filters.filters import FilterMethod, QuerySetRequestMixin
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions
from rest_framework.settings import api_settings

TRUE_VALUES = frozenset({"true", "1"})
FALSE_VALUES = frozenset({"false", "0"})


class StrictBooleanField(forms.Field):
    """`true`/`false` (or `1`/`0`, any case); anything else is invalid."""

    def to_python(self, value):
        if value in EMPTY_VALUES:
            return None
        text = str(value).strip().lower()
        if text in TRUE_VALUES:
            return True
        if text in FALSE_VALUES:
            return False
        raise ValidationError(_("Enter true or false."), code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


# The largest id a database primary key (64-bit) can hold; beyond it SQLite fails instead of finding nothing.
MAX_ID = 2**63 - 1


class WholeNumberField(forms.IntegerField):
    """Digits only: Django's IntegerField also takes `5.0` as 5, which the schema calls invalid."""

    # ASCII digits: Python's int() also reads "１" (full width) or "٣" as numbers.
    digits = re.compile(r"\s*\+?[0-9]+\s*")

    def to_python(self, value):
        if value not in self.empty_values and not self.digits.fullmatch(str(value)):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.NumberFilter):
    """The id of a related object: a positive whole number a primary key can hold."""

    field_class = WholeNumberField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class StableOrderingFilter(django_filters.OrderingFilter):
    """`ordering=` with the primary key as the last tie-breaker, so pages never overlap."""

    def filter(self, qs, value):
        if value in EMPTY_VALUES or list(value) == [""]:
            return qs
        if any(param in EMPTY_VALUES for param in value):
            # `?ordering=` is no ordering; `?ordering=,` or `name,,code` is a typo, not a choice.
            raise exceptions.ValidationError({self.field_name: [_("Empty field name in the ordering.")]})
        ordering = [self.get_ordering_value(param) for param in value]
        return qs.order_by(*ordering, "pk")


class FilterSet(django_filters.FilterSet):
    """django-filter's FilterSet, built per request for less (issue 19).

    django-filter deep-copies every declared filter for each instance and
    builds a new form class, with a new form field per filter, every time:
    about a tenth of a small list request's CPU time went there. A filter
    holds no state of its own besides the `model` and `parent` set here, so
    a shallow copy each is enough, and the form class (its fields, built from
    the filters' declarations) is built once per FilterSet class; each form
    still copies its fields (Django's forms do), so a request never sees
    another's. A filter whose form field depends on the request (a queryset
    of choices read per request) keeps django-filter's way.
    """

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        if not self._shallow_copies():
            super().__init__(data, queryset, request=request, prefix=prefix)
            return
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = {name: self._copy(filter_) for name, filter_ in self.base_filters.items()}
        for filter_ in self.filters.values():
            filter_.model = queryset.model
            filter_.parent = self

    @classmethod
    def _shallow_copies(cls) -> bool:
        return not any(isinstance(filter_, QuerySetRequestMixin) for filter_ in cls.base_filters.values())

    @staticmethod
    def _copy(filter_):
        copied = copy.copy(filter_)
        # Built lazily from the declaration, per copy, like the deep copy did.
        copied.__dict__.pop("_field", None)
        if isinstance(filter_.__dict__.get("filter"), FilterMethod):
            # A `method=` filter calls its own parent's method.
            copied.filter = FilterMethod(copied)
        return copied

    def get_form_class(self):
        cls = type(self)
        if not cls._shallow_copies():
            return super().get_form_class()
        form_class = cls.__dict__.get("_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            cls._form_class = form_class
        return form_class


class StrictFilterBackend(DjangoFilterBackend):
    """DjangoFilterBackend that also rejects parameters nobody reads."""

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        fields = filterset.form.fields
        known = set(fields) | _pagination_params(view)
        unknown = sorted(set(request.query_params) - known)
        if unknown:
            valid = ", ".join(sorted(known))
            message = _("Unknown parameter. Valid parameters: %(valid)s.") % {"valid": valid}
            raise exceptions.ValidationError({name: [message] for name in unknown})
        # Django reads the last of `?is_read=true&is_read=false`: the client meant something else.
        repeated = sorted(
            name
            for name, values in request.query_params.lists()
            if len(values) > 1
            and not (name in fields and getattr(fields[name].widget, "allow_multiple_selected", False))
        )
        if repeated:
            message = _("Give this parameter once.")
            raise exceptions.ValidationError({name: [message] for name in repeated})
        if not filterset.is_valid():
            raise exceptions.ValidationError(filterset.errors)
        return filterset.qs


def _pagination_params(view) -> set[str]:
    """The parameters read besides the filters: the page, and the format DRF's negotiation reads."""
    paginator = getattr(view, "paginator", None)
    names = (
        getattr(paginator, "limit_query_param", None),
        getattr(paginator, "offset_query_param", None),
        api_settings.URL_FORMAT_OVERRIDE,
    )
    return {name for name in names if name}


class SearchFilter(django_filters.CharFilter):
    """`search=text`: case-insensitive substring match over a few fields."""

    def __init__(self, *, search_fields: list[str], **kwargs):
        self.search_fields = search_fields
        super().__init__(**kwargs)

    def filter(self, qs, value):
        value = (value or "").strip()
        if not value:
            return qs
        query = Q()
        for field in self.search_fields:
            query |= Q(**{f"{field}__icontains": value})
        return qs.filter(query)
