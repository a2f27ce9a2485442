"""Lists rendered straight from database rows, with the serializer's own output."""

from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework import serializers
from rest_framework.settings import ISO_8601, api_settings

# Fields whose representation of a database value is the value itself.
PLAIN_FIELDS = (
    serializers.BooleanField,
    serializers.CharField,
    serializers.ChoiceField,
    serializers.IntegerField,
    serializers.PrimaryKeyRelatedField,
)
# Fields whose representation is computed from the value (ISO dates, time zone).
CONVERTED_FIELDS = (serializers.DateField, serializers.DateTimeField)


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
        fields = list(zip(self.names, converters, strict=True))
        return [
            {
                name: value if convert is None or value is None else convert(value)
                for (name, convert), value in zip(fields, row, strict=True)
            }
            for row in rows
        ]


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
    """

    def convert(value):
        if isinstance(value, str) or value.tzinfo is None:
            return to_representation(value)
        try:
            text = value.astimezone(tz).isoformat()
        except OverflowError:
            return to_representation(value)
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return convert
