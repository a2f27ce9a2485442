"""A generation with every feature of the wave on stays constant in the fleet size (issue 19).

Events, assignees, plans and their occurrences, meters past their thresholds,
acknowledgements and snoozes that lapse, escalations, and notices enqueued for
subscriptions: the number of SQL statements of a run, and the Python memory it
peaks at, must not grow with the number of assets it covers.
"""

import datetime
import tracemalloc
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alerts import actions
from alerts.models import Alert, AlertEvent, GenerationRun, Notification, Subscription
from alerts.notifications.services import new_secret
from alerts.services import generate_alerts
from assets.models import Asset, Meter
from assets.services import Reading, record_readings
from maintenance.choices import IntervalUnit
from maintenance.models import Maintenance, MaintenancePlan
from tests.factories import (
    AssetFactory,
    MaintenanceFactory,
    MaintenancePlanFactory,
    MeterFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)

T0 = datetime.datetime(2026, 6, 15, 9, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def private_webhooks(settings):
    settings.NOTIFY_ALLOW_PRIVATE_WEBHOOKS = True


def build_fleet(units: int, *, technician) -> list:
    """`units` assets, each with every kind of work the rules look at; returns their meters."""
    today = T0.date()
    meters = []
    for _ in range(units):
        asset = AssetFactory(maintenance_interval_days=30, owner=technician)
        MaintenanceFactory(asset=asset, scheduled_date=today + 3 * DAY, assigned_to=technician)
        MaintenanceFactory(asset=asset, scheduled_date=today - DAY)
        meter = MeterFactory(asset=asset)
        record_readings(meter=meter, readings=[Reading(value=Decimal(100), read_at=T0 - DAY)])
        MaintenancePlanFactory(
            asset=asset,
            meter=meter,
            meter_interval=Decimal(500),
            interval=6,
            interval_unit=IntervalUnit.MONTH,
            starts_on=today - 30 * DAY,
            assigned_to=technician,
        )
        meters.append(meter)
    return meters


def measured_run() -> tuple[int, int, dict]:
    """Statements and Python peak (bytes) of one full generation, and its counts."""
    tracemalloc.start()
    try:
        with CaptureQueriesContext(connection) as captured:
            result = generate_alerts()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return len(captured), peak, result.as_dict()


def runs_over(units: int, *, manager, technician) -> list[tuple[int, int]]:
    """A first run, then a run two days later with lapses, escalations and meters past due."""
    for model in (Notification, AlertEvent, Alert, GenerationRun, MaintenancePlan, Maintenance, Asset):
        model.objects.all().delete()
    with time_machine.travel(T0, tick=False):
        meters = build_fleet(units, technician=technician)
        # The instant refreshes raised them; the measured run raises them again from nothing.
        expected = Alert.objects.filter(is_active=True).count()
        assert expected >= 2 * units
        for model in (Notification, AlertEvent, Alert):
            model.objects.all().delete()
        statements, peak, first = measured_run()
        assert first["created"] == expected, first
        # Half acknowledged (their acknowledgement times out), half snoozed until tomorrow.
        active = Alert.objects.filter(is_active=True).order_by("pk")
        alert_ids = list(active.values_list("pk", flat=True))
        actions.acknowledge_alerts(alerts=Alert.objects.filter(pk__in=alert_ids[::2]), user=technician)
        actions.snooze_alerts(
            alerts=Alert.objects.filter(pk__in=alert_ids[1::2]), user=manager, until=T0 + DAY
        )
    later = T0 + 2 * DAY
    with time_machine.travel(later, tick=False):
        # Telemetry behind the instant refresh's back: past the meter's due soon, past due on half.
        ids = [meter.pk for meter in meters]
        Meter.objects.filter(pk__in=ids[::2]).update(last_value=Decimal(620), last_read_at=later)
        Meter.objects.filter(pk__in=ids[1::2]).update(last_value=Decimal(560), last_read_at=later)
        statements_later, peak_later, second = measured_run()
        assert second["created"] == units, second
        assert AlertEvent.objects.filter(kind="UNACKNOWLEDGED").count() == len(alert_ids[::2])
        assert AlertEvent.objects.filter(kind="UNSNOOZED").count() == len(alert_ids[1::2])
    assert Notification.objects.count() > 4 * units
    return [(statements, peak), (statements_later, peak_later)]


def test_statements_and_peak_memory_do_not_grow_with_the_fleet():
    manager, technician = UserFactory(username="manager"), UserFactory(username="technician")
    Subscription.objects.create(user=manager, name="all", channel="EMAIL", target="m@example.com")
    Subscription.objects.create(
        user=manager,
        name="hook",
        channel="WEBHOOK",
        target="http://127.0.0.1:9/hook",
        secret=new_secret(),
        min_priority="HIGH",
    )
    Subscription.objects.create(
        user=technician,
        name="mine",
        channel="EMAIL",
        target="t@example.com",
        assigned_to_me=True,
        quiet_from=datetime.time(22),
        quiet_until=datetime.time(6),
    )

    small = runs_over(5, manager=manager, technician=technician)
    large = runs_over(100, manager=manager, technician=technician)

    for (small_statements, small_peak), (large_statements, large_peak) in zip(small, large, strict=True):
        assert large_statements == small_statements
        # Twenty times the fleet: a row kept in Python per alert would show (about 1 kB each).
        assert large_peak < 1.3 * small_peak + 32 * 1024, (small_peak, large_peak)
