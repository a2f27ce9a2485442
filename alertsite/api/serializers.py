"""Strict input fields, and lists rendered straight from database rows with the serializer's own output."""

import datetime
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework import serializers
from rest_framework.settings import ISO_8601, api_settings


class StrictPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """An id is a JSON integer: DRF would read `10.9` as 10, `true` as 1 and `"5"` as 5."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


class StrictCharField(serializers.CharField):
    """A string is a JSON string: DRF would store `0` as `"0"`."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """A whole number is a JSON integer: DRF would take `7.0` or `"7"` as 7."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class ModelSerializer(serializers.ModelSerializer):
    """The API's ModelSerializer: ids, strings and whole numbers are taken only as their JSON type.

    Declared fields use the strict classes above directly.
    """

    serializer_related_field = StrictPrimaryKeyRelatedField
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        **{
            field: StrictCharField
            for field in (models.CharField, models.TextField, models.SlugField, models.EmailField)
        },
        **{
            field: StrictIntegerField
            for field in (
                models.IntegerField,
                models.BigIntegerField,
                models.SmallIntegerField,
                models.PositiveIntegerField,
                models.PositiveBigIntegerField,
                models.PositiveSmallIntegerField,
            )
        },
    }


# Fields whose representation of a database value is the value itself.
PLAIN_FIELDS = (
    serializers.BooleanField,
    serializers.CharField,
    serializers.ChoiceField,
    serializers.IntegerField,
    serializers.PrimaryKeyRelatedField,
)
# Fields whose representation is computed from the value (ISO dates, time zone).
CONVERTED_FIELDS = (serializers.DateField, serializers.DateTimeField, serializers.DecimalField)


class RowSerializer:
    """Renders a ModelSerializer's readable fields from `.values_list()` rows.

    Building model instances and walking DRF fields costs more than the query
    on a long list; this gives the same JSON for a fraction of it. Only plain
    fields (and dates, converted by the serializer's own fields) are allowed,
    so the output cannot drift from `serializer_class(many=True).data`.
    """

    def __init__(self, serializer_class: type[serializers.ModelSerializer]):
        self.names: list[str] = []
        self.lookups: list[str] = []
        self.converters: list = []
        # Indexes of the ISO 8601 datetime fields in the default time zone: the
        # hot spot of a long list (thousands of values), converted by `_iso_datetime`.
        self.iso_datetimes: set[int] = set()
        for name, field in serializer_class().fields.items():
            if field.write_only:
                continue
            if not isinstance(field, PLAIN_FIELDS + CONVERTED_FIELDS) or field.source == "*":
                raise ImproperlyConfigured(
                    f"{serializer_class.__name__}.{name}: {type(field).__name__} cannot be read from rows."
                )
            self.names.append(name)
            self.lookups.append("__".join(field.source_attrs))
            self.converters.append(field.to_representation if isinstance(field, CONVERTED_FIELDS) else None)
            if _is_iso_datetime(field):
                self.iso_datetimes.add(len(self.names) - 1)

    @classmethod
    @cache
    def of(cls, serializer_class: type[serializers.ModelSerializer]) -> "RowSerializer":
        return cls(serializer_class)

    def rows(self, queryset: QuerySet) -> QuerySet:
        """The queryset as lazy tuples, one per object, in the serializer's field order."""
        return queryset.values_list(*self.lookups)

    def represent(self, rows) -> list[dict]:
        converters = list(self.converters)
        # What each field would look up for every value, looked up once.
        tz = timezone.get_current_timezone() if settings.USE_TZ else None
        if tz is not None:
            for index in self.iso_datetimes:
                converters[index] = _iso_datetime(converters[index], tz)
        # Only the converted columns are visited; each row becomes a dict in C (dict(zip)).
        conversions = [(index, convert) for index, convert in enumerate(converters) if convert is not None]
        names = self.names
        represented = []
        for row in rows:
            if conversions:
                row = list(row)
                for index, convert in conversions:
                    value = row[index]
                    if value is not None:
                        row[index] = convert(value)
            represented.append(dict(zip(names, row, strict=True)))
        return represented


def _is_iso_datetime(field) -> bool:
    output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
    return (
        isinstance(field, serializers.DateTimeField)
        and isinstance(output_format, str)
        and output_format.lower() == ISO_8601
        and not hasattr(field, "timezone")
    )


def _iso_datetime(to_representation, tz):
    """`DateTimeField.to_representation` for an aware datetime, in the time zone `tz`.

    The same string (`…Z` for UTC); anything unusual goes to the field itself.
    A value already in UTC, shown in UTC (the database's and the default
    time zone), needs no conversion: the common case of a long list.
    """
    in_utc = tz is datetime.UTC or getattr(tz, "key", None) == "UTC"

    def convert(value):
        if isinstance(value, str) or value.tzinfo is None:
            return to_representation(value)
        if in_utc and value.tzinfo is datetime.UTC:
            return value.isoformat()[:-6] + "Z"
        try:
            text = value.astimezone(tz).isoformat()
        except OverflowError:
            return to_representation(value)
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return convert
