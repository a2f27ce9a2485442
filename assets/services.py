"""Write operations of the assets app: meter readings (DESIGN §14)."""

import datetime
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from assets.models import METER_DECIMAL_PLACES, METER_MAX_DIGITS, Meter, MeterReading
from assets.signals import readings_recorded

MAX_READINGS_PER_BATCH = 10_000
# A reading may be this far ahead of the server's clock (the sender's clock skew).
CLOCK_SKEW = datetime.timedelta(minutes=1)
_MAX_VALUE = Decimal(10) ** (METER_MAX_DIGITS - METER_DECIMAL_PLACES)
_QUANTUM = Decimal(1).scaleb(-METER_DECIMAL_PLACES)


@dataclass(frozen=True)
class Reading:
    value: Decimal
    read_at: datetime.datetime


def parse_readings(data, *, now: datetime.datetime) -> list[Reading]:
    """Readings from a request body: one `{"value", "read_at"}` object or an array of them.

    `read_at` defaults to `now`. Raises `ValidationError` with every message
    keyed by the item and field (`[12].value`; plain `value` for one object).
    """
    single = isinstance(data, dict)
    items = [data] if single else data
    if not isinstance(items, list):
        raise ValidationError({"non_field_errors": _("Send one reading object or an array of them.")})
    if not items:
        raise ValidationError({"non_field_errors": _("The array holds no reading.")})
    if len(items) > MAX_READINGS_PER_BATCH:
        raise ValidationError(
            {
                "non_field_errors": _("%(count)d readings sent; a request holds at most %(max)d.")
                % {"count": len(items), "max": MAX_READINGS_PER_BATCH}
            }
        )
    latest_allowed = now + CLOCK_SKEW
    readings, errors = [], {}
    for index, item in enumerate(items):
        prefix = "" if single else f"[{index}]."
        if not isinstance(item, dict):
            errors[prefix.rstrip(".") or "non_field_errors"] = [_("Expected an object with `value`.")]
            continue
        unknown = sorted(set(item) - {"value", "read_at"})
        for name in unknown:
            errors[f"{prefix}{name}"] = [_("Unknown field.")]
        value, value_error = _value(item.get("value"), "value" in item)
        if value_error:
            errors[f"{prefix}value"] = [value_error]
        read_at, read_at_error = _read_at(item.get("read_at"), "read_at" in item, now=now)
        if read_at_error is None and read_at > latest_allowed:
            read_at_error = _("This time is in the future.")
        if read_at_error:
            errors[f"{prefix}read_at"] = [read_at_error]
        if not (unknown or value_error or read_at_error):
            readings.append(Reading(value=value, read_at=read_at))
    if errors:
        raise ValidationError(errors)
    return readings


def record_readings(*, meter: Meter, readings: Sequence[Reading], single: bool = False) -> int:
    """Store `readings` of `meter` in one transaction, and its latest value with them.

    Values and times never go down, from the meter's latest reading and from
    one reading of the batch to the next; a batch that breaks this is refused
    whole (`ValidationError` keyed `[i].value` / `[i].read_at`, or `value` /
    `read_at` when `single`). The meter row is locked, so two batches at once
    are checked one after the other. One INSERT, one UPDATE of the meter, and
    `readings_recorded` sent once. Returns how many readings were stored.
    """
    with transaction.atomic():
        # Meter.DoesNotExist when it was deleted meanwhile.
        last_value, last_read_at = (
            Meter.objects.select_for_update()
            .filter(pk=meter.pk)
            .values_list("last_value", "last_read_at")
            .get()
        )
        errors = {}
        for index, reading in enumerate(readings):
            prefix = "" if single else f"[{index}]."
            if last_value is not None and reading.value < last_value:
                errors[f"{prefix}value"] = [
                    _("%(value)s is below the previous reading, %(previous)s: a meter never goes down.")
                    % {"value": reading.value, "previous": last_value}
                ]
            if last_read_at is not None and reading.read_at < last_read_at:
                errors[f"{prefix}read_at"] = [
                    _("%(time)s is before the previous reading, at %(previous)s.")
                    % {"time": reading.read_at.isoformat(), "previous": last_read_at.isoformat()}
                ]
            last_value, last_read_at = reading.value, reading.read_at
        if errors:
            raise ValidationError(errors)
        count = _insert_readings(meter.pk, readings)
        Meter.objects.filter(pk=meter.pk).update(
            last_value=last_value, last_read_at=last_read_at, updated_at=timezone.now()
        )
        meter.last_value, meter.last_read_at = last_value, last_read_at
        readings_recorded.send(sender=Meter, meter=meter, count=count)
    return count


def _insert_readings(meter_id: int, readings: Sequence[Reading]) -> int:
    """One INSERT of the readings. On PostgreSQL the values and times go as two arrays
    (`unnest`): a telemetry batch of 10,000 is two parameters, not 30,000 bound one by
    one and 10,000 model instances (twice as fast at 1,000 readings)."""
    if connection.vendor != "postgresql":
        return len(
            MeterReading.objects.bulk_create(
                [MeterReading(meter_id=meter_id, value=r.value, read_at=r.read_at) for r in readings]
            )
        )
    table = connection.ops.quote_name(MeterReading._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (meter_id, value, read_at) "  # noqa: S608 (the model's table)
            "SELECT %s, r.value, r.read_at "
            "FROM unnest(%s::numeric[], %s::timestamptz[]) AS r(value, read_at)",
            [meter_id, [r.value for r in readings], [r.read_at for r in readings]],
        )
        return cursor.rowcount


def _value(raw, given: bool) -> tuple[Decimal | None, str | None]:
    if not given or raw is None:
        return None, _("This field is required.")
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None, _("A number is required.")
    if isinstance(raw, float) and not math.isfinite(raw):
        return None, _("A finite number is required.")
    try:
        value = Decimal(str(raw)).quantize(_QUANTUM)
    except InvalidOperation:
        return None, _("A number is required.")
    if value < 0:
        return None, _("A meter value cannot be negative.")
    if value >= _MAX_VALUE:
        return None, _("At most %(max)s.") % {"max": f"{_MAX_VALUE - _QUANTUM}"}
    return value, None


def _read_at(raw, given: bool, *, now: datetime.datetime) -> tuple[datetime.datetime | None, str | None]:
    if not given or raw is None:
        return now, None
    if not isinstance(raw, str):
        return None, _("A date and time (ISO 8601) is required.")
    try:
        parsed = parse_datetime(raw)
    except ValueError:
        parsed = None
    if parsed is None:
        return None, _("A date and time (ISO 8601) is required.")
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed, None
