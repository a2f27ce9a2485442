"""Meter readings through the API (DESIGN §14, issue 16), next to the ORM's `bulk_create` of the same rows.

Product: `BATCHES` requests `POST /api/meters/{id}/readings`, each a JSON array
of `BATCH_SIZE` readings, one after the other through the bench's gunicorn with
a real token: parsing, validation of the batch as a whole, one transaction, the
meter's latest value, and the asset's alert refresh on commit.

Floor: in the bench's process, per batch one transaction with
`MeterReading.objects.bulk_create` of the same rows and the same update of the
meter's `last_value` / `last_read_at`.

Each uses a meter of its own (two metered assets in service), values rising by
a thousandth and times by a millisecond from the meter's latest reading, so
every batch is valid. Afterwards both meters, their readings and the two assets'
alerts are as before.
"""

import datetime
import json
import time
import urllib.request
from decimal import Decimal

BATCHES = 20
BATCH_SIZE = 1_000
STEP = Decimal("0.001")


def pick_meters():
    """Two meters of assets in service, no plan following them (their alerts stay as they are)."""
    from assets.choices import AssetStatus
    from assets.models import Meter

    meters = list(
        Meter.objects.exclude(asset__status=AssetStatus.RETIRED)
        .filter(plans__isnull=True, last_value__isnull=False)
        .order_by("id")[:2]
    )
    if len(meters) < 2:
        meters = list(
            Meter.objects.exclude(asset__status=AssetStatus.RETIRED)
            .filter(last_value__isnull=False)
            .order_by("id")[:2]
        )
    return meters


def batches_for(meter, *, batches: int, size: int, now: datetime.datetime) -> list[list[dict]]:
    """The readings of `batches` valid batches: rising from the meter's latest, ending before `now`."""
    count = batches * size
    start = max(meter.last_read_at, now - datetime.timedelta(seconds=count / 1000 + 1))
    value = meter.last_value
    out = []
    for batch in range(batches):
        items = []
        for index in range(size):
            n = batch * size + index + 1
            items.append(
                {
                    "value": float(value + STEP * n),
                    "read_at": (start + datetime.timedelta(milliseconds=n))
                    .isoformat()
                    .replace("+00:00", "Z"),
                }
            )
        out.append(items)
    return out


def http_poster(base: str, token: str):
    """POST a body to a meter's readings over HTTP with the token; returns the status."""

    def post(meter_id: int, body: bytes) -> int:
        request = urllib.request.Request(
            f"{base}/api/meters/{meter_id}/readings",
            data=body,
            method="POST",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=120) as response:
            response.read()
            return response.status

    return post


def post_batches(post, meter_id: int, bodies: list[bytes]) -> float:
    started = time.perf_counter()
    for body in bodies:
        status = post(meter_id, body)
        if status != 201:
            raise RuntimeError(f"readings: HTTP {status}")
    return time.perf_counter() - started


def bulk_create_batches(meter, batches: list[list[dict]]) -> float:
    """The floor: per batch one transaction, `bulk_create` and the meter's latest value."""
    from django.db import transaction
    from django.utils import timezone
    from django.utils.dateparse import parse_datetime

    from assets.models import Meter, MeterReading

    rows = [
        [(Decimal(str(item["value"])), parse_datetime(item["read_at"])) for item in items]
        for items in batches
    ]
    started = time.perf_counter()
    for batch in rows:
        with transaction.atomic():
            MeterReading.objects.bulk_create(
                [MeterReading(meter_id=meter.pk, value=value, read_at=read_at) for value, read_at in batch]
            )
            Meter.objects.filter(pk=meter.pk).update(
                last_value=batch[-1][0], last_read_at=batch[-1][1], updated_at=timezone.now()
            )
    return time.perf_counter() - started


def restore(meters) -> None:
    """The meters' readings and latest values as before, and their assets' alerts."""
    from alerts.services import refresh_asset_alerts
    from assets.models import Meter, MeterReading

    for meter in meters:
        MeterReading.objects.filter(meter=meter, read_at__gt=meter.last_read_at).delete()
        Meter.objects.filter(pk=meter.pk).update(last_value=meter.last_value, last_read_at=meter.last_read_at)
    refresh_asset_alerts([meter.asset_id for meter in meters])


def measure_readings(post, *, batches: int = BATCHES, size: int = BATCH_SIZE) -> dict | None:
    """Product through `post` (`http_poster`: over HTTP), then the floor in this process."""
    from django.utils import timezone

    meters = pick_meters()
    if len(meters) < 2:
        return None
    product_meter, floor_meter = meters
    now = timezone.now()
    product_batches = batches_for(product_meter, batches=batches, size=size, now=now)
    floor_batches = batches_for(floor_meter, batches=batches, size=size, now=now)
    bodies = [json.dumps(items).encode() for items in product_batches]
    readings = batches * size
    try:
        product_seconds = post_batches(post, product_meter.pk, bodies)
        floor_seconds = bulk_create_batches(floor_meter, floor_batches)
        stored = {
            meter.pk: meter.readings.filter(read_at__gt=meter.last_read_at).count()
            for meter in (product_meter, floor_meter)
        }
    finally:
        restore(meters)
    return {
        "condition": f"{batches} batches of {size:,}",
        "readings": readings,
        "stored": {"product": stored[product_meter.pk], "floor": stored[floor_meter.pk]},
        "product": {"seconds": product_seconds, "readings_per_second": readings / product_seconds},
        "floor": {"seconds": floor_seconds, "readings_per_second": readings / floor_seconds},
    }
