"""Meters (DESIGN §14): readings that never go down, meter plans, and the rules' meter side."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from alerts.choices import AlertKind, Priority
from alerts.generation import generate_alerts
from alerts.models import Alert
from assets.choices import Criticality
from assets.models import Meter, MeterReading
from assets.services import Reading, record_readings
from maintenance.choices import IntervalUnit, MaintenanceStatus
from maintenance.services import complete_maintenance, ensure_plan_occurrences
from tests.factories import AssetFactory, MaintenancePlanFactory, MeterFactory

D = datetime.date
NOW = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=datetime.UTC)
OPEN = MaintenanceStatus.open_statuses()


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def read(meter: Meter, *values, at: datetime.datetime = NOW) -> None:
    record_readings(meter=meter, readings=[Reading(value=Decimal(v), read_at=at) for v in values])


def meter_plan(*, criticality=Criticality.MEDIUM, interval=500, start_value=None, **kwargs):
    """Every 6 months or `interval` h; the calendar side far away (next due Jul 31)."""
    asset = AssetFactory(criticality=criticality)
    meter = MeterFactory(asset=asset, unit="h")
    if start_value is not None:
        read(meter, start_value, at=NOW - datetime.timedelta(days=1))
    plan = MaintenancePlanFactory(
        asset=asset,
        meter=meter,
        meter_interval=Decimal(interval),
        interval=6,
        interval_unit=IntervalUnit.MONTH,
        starts_on=D(2026, 1, 31),
        **kwargs,
    )
    return plan, meter, plan.occurrences.get(status__in=OPEN)


def active_alert(occurrence):
    alerts = list(Alert.objects.filter(is_active=True, maintenance=occurrence))
    assert len(alerts) <= 1, "one alert per maintenance"
    return alerts[0] if alerts else None


def kind_and_priority(occurrence):
    generate_alerts()
    alert = active_alert(occurrence)
    return None if alert is None else (alert.kind, alert.priority)


# --- Readings ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_batch_stores_its_readings_and_the_meters_latest_value_together():
    meter = MeterFactory()
    read(meter, "10", "12.5", "12.5", "20")

    meter.refresh_from_db()
    assert (meter.last_value, meter.last_read_at) == (Decimal("20"), NOW)
    assert sorted(MeterReading.objects.filter(meter=meter).values_list("value", flat=True)) == [
        Decimal("10"),
        Decimal("12.5"),
        Decimal("12.5"),
        Decimal("20"),
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("batch", [["5", "40"], ["60", "59"]], ids=["below-latest", "down-within-batch"])
def test_a_decreasing_batch_is_refused_whole(batch):
    meter = MeterFactory()
    read(meter, "50")

    with pytest.raises(ValidationError) as refused:
        read(meter, *batch)

    assert "[0].value" in refused.value.message_dict or "[1].value" in refused.value.message_dict
    meter.refresh_from_db()
    assert meter.last_value == Decimal("50")
    assert MeterReading.objects.filter(meter=meter).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_batch_refreshes_the_assets_alerts_once_on_commit():
    plan, meter, occurrence = meter_plan(start_value=0)
    from alerts.generation import service

    calls = []
    original = service.refresh_asset_alerts

    def counting(asset_ids, **kwargs):
        calls.append(set(asset_ids))
        return original(asset_ids, **kwargs)

    import alerts.signals

    alerts.signals.refresh_asset_alerts, saved = counting, alerts.signals.refresh_asset_alerts
    try:
        read(meter, *[str(v) for v in range(400, 460)])
    finally:
        alerts.signals.refresh_asset_alerts = saved

    assert calls == [{plan.asset_id}]
    # At once, whatever the calendar says (next due date Jul 31).
    alert = active_alert(occurrence)
    assert (alert.kind, alert.priority) == (AlertKind.MAINTENANCE_DUE_SOON, Priority.MEDIUM)
    assert "at 459 h of 500 h" in alert.message


# --- Plans and occurrences -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_first_occurrence_is_due_at_the_meter_value_when_the_plan_started_plus_the_interval():
    _plan, _meter, occurrence = meter_plan(start_value=1234.5)
    assert occurrence.due_meter_value == Decimal("1734.5")


@pytest.mark.django_db(transaction=True)
def test_the_next_occurrence_is_due_at_the_meter_value_at_completion_plus_the_interval():
    plan, meter, occurrence = meter_plan(start_value=0)
    read(meter, "470")
    complete_maintenance(maintenance=occurrence)

    following = plan.occurrences.get(status__in=OPEN)
    assert following.due_meter_value == Decimal("970")


@pytest.mark.django_db(transaction=True)
def test_the_safety_net_takes_the_meter_value_when_the_previous_occurrence_closed():
    plan, meter, occurrence = meter_plan(start_value=0)
    read(meter, "300", at=NOW - datetime.timedelta(hours=2))
    complete_maintenance(maintenance=occurrence, now=NOW - datetime.timedelta(hours=1))
    plan.occurrences.filter(status__in=OPEN).delete()
    read(meter, "420")

    assert ensure_plan_occurrences() == 1
    assert plan.occurrences.get(status__in=OPEN).due_meter_value == Decimal("800")


@pytest.mark.django_db(transaction=True)
def test_a_new_meter_interval_moves_the_open_occurrence_and_its_alert():
    plan, meter, occurrence = meter_plan(start_value=1000)
    read(meter, "1300")
    assert kind_and_priority(occurrence) is None

    plan.meter_interval = Decimal(320)
    plan.save()  # the on-commit refresh raises the alert before any generation

    occurrence.refresh_from_db()
    assert occurrence.due_meter_value == Decimal("1320")
    assert active_alert(occurrence).kind == AlertKind.MAINTENANCE_DUE_SOON


@pytest.mark.django_db(transaction=True)
def test_another_meter_starts_from_its_value_now_and_no_meter_drops_the_meter_due():
    plan, _meter, occurrence = meter_plan(start_value=1000)
    other = MeterFactory(asset=plan.asset, unit="h")
    read(other, "42")

    plan.meter = other
    plan.save()
    occurrence.refresh_from_db()
    assert occurrence.due_meter_value == Decimal("542")

    plan.meter, plan.meter_interval = None, None
    plan.save()
    occurrence.refresh_from_db()
    assert occurrence.due_meter_value is None


@pytest.mark.django_db(transaction=True)
def test_a_plan_change_without_its_trigger_leaves_the_meter_due_alone():
    plan, meter, occurrence = meter_plan(start_value=1000)
    read(meter, "1100")
    plan.title = "Renamed"
    plan.save()
    occurrence.refresh_from_db()
    assert occurrence.due_meter_value == Decimal("1500")


@pytest.mark.django_db
def test_a_meter_of_another_asset_is_refused_on_a_plan():
    other = MeterFactory()
    plan = MaintenancePlanFactory.build(
        asset=AssetFactory(), meter=other, meter_interval=Decimal(500), starts_on=D(2026, 1, 31)
    )
    with pytest.raises(ValidationError) as refused:
        plan.full_clean()
    assert "meter" in refused.value.message_dict


# --- The rules' meter side -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("latest", "expected"),
    [
        ("449.999", None),
        ("450", (AlertKind.MAINTENANCE_DUE_SOON, Priority.MEDIUM)),
        ("499.999", (AlertKind.MAINTENANCE_DUE_SOON, Priority.MEDIUM)),
        ("500", (AlertKind.MAINTENANCE_OVERDUE, Priority.HIGH)),
        ("549.999", (AlertKind.MAINTENANCE_OVERDUE, Priority.HIGH)),
        ("550", (AlertKind.MAINTENANCE_OVERDUE, Priority.CRITICAL)),
    ],
)
def test_meter_thresholds_at_their_boundaries(latest, expected):
    _plan, meter, occurrence = meter_plan(start_value=0)
    read(meter, latest)
    assert kind_and_priority(occurrence) == expected


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("latest", "expected"),
    [
        ("450", (AlertKind.MAINTENANCE_DUE_SOON, Priority.HIGH)),
        ("500", (AlertKind.MAINTENANCE_OVERDUE, Priority.CRITICAL)),
    ],
)
def test_a_critical_asset_raises_the_meter_priorities(latest, expected):
    _plan, meter, occurrence = meter_plan(criticality=Criticality.CRITICAL, start_value=0)
    read(meter, latest)
    assert kind_and_priority(occurrence) == expected


@pytest.mark.django_db(transaction=True)
def test_the_percentages_come_from_the_settings(settings):
    settings.ALERTS = {**settings.ALERTS, "METER_DUE_SOON_PERCENT": 20, "METER_OVERDUE_CRITICAL_PERCENT": 50}
    _plan, meter, occurrence = meter_plan(start_value=0)
    read(meter, "400")
    assert kind_and_priority(occurrence) == (AlertKind.MAINTENANCE_DUE_SOON, Priority.MEDIUM)
    read(meter, "749")
    assert kind_and_priority(occurrence) == (AlertKind.MAINTENANCE_OVERDUE, Priority.HIGH)
    read(meter, "750")
    assert kind_and_priority(occurrence) == (AlertKind.MAINTENANCE_OVERDUE, Priority.CRITICAL)


@pytest.mark.django_db(transaction=True)
def test_whichever_first_the_meter_overdue_beats_the_date_due_soon():
    _plan, meter, occurrence = meter_plan(start_value=0)
    occurrence.scheduled_date = D(2026, 6, 18)  # due soon by date
    occurrence.save()
    read(meter, "510")

    generate_alerts()
    alert = active_alert(occurrence)
    assert (alert.kind, alert.priority) == (AlertKind.MAINTENANCE_OVERDUE, Priority.HIGH)
    assert alert.message.endswith("is overdue at 510 h of 500 h.")


@pytest.mark.django_db(transaction=True)
def test_whichever_first_the_date_overdue_beats_the_meter_due_soon():
    _plan, meter, occurrence = meter_plan(start_value=0)
    occurrence.scheduled_date = D(2026, 6, 1)  # two weeks late: critical by date
    occurrence.save()
    read(meter, "460")

    generate_alerts()
    alert = active_alert(occurrence)
    assert (alert.kind, alert.priority) == (AlertKind.MAINTENANCE_OVERDUE, Priority.CRITICAL)
    assert "was scheduled for 2026-06-01" in alert.message


@pytest.mark.django_db(transaction=True)
def test_the_meter_message_is_in_the_sites_language_and_number_format(settings):
    settings.LANGUAGE_CODE = "fr"
    _plan, meter, occurrence = meter_plan(interval=5000, start_value=0)
    read(meter, "4980.5")

    with translation.override("fr"):
        generate_alerts()
    message = active_alert(occurrence).message
    assert "4\xa0980,5" in message and "5\xa0000" in message


@pytest.mark.django_db(transaction=True)
def test_the_message_groups_thousands_in_english():
    _plan, meter, occurrence = meter_plan(interval=5000, start_value=0)
    read(meter, "4980")
    generate_alerts()
    assert "at 4,980 h of 5,000 h" in active_alert(occurrence).message


@pytest.mark.django_db(transaction=True)
def test_a_meter_without_readings_and_a_plan_without_meter_raise_nothing_by_meter():
    _plan, _meter, occurrence = meter_plan()
    assert occurrence.due_meter_value == Decimal(500)
    assert kind_and_priority(occurrence) is None


def _generation_statements(count: int) -> int:
    for _ in range(count):
        _plan, meter, _occurrence = meter_plan(start_value=0)
        read(meter, "480")
    with CaptureQueriesContext(connection) as queries:
        generate_alerts()
    return len(queries)


@pytest.mark.django_db(transaction=True)
def test_the_generation_runs_the_same_statements_whatever_the_number_of_meters():
    few = _generation_statements(1)
    assert Alert.objects.filter(is_active=True, kind=AlertKind.MAINTENANCE_DUE_SOON).count() == 1
    assert _generation_statements(6) == few
    assert Alert.objects.filter(is_active=True, kind=AlertKind.MAINTENANCE_DUE_SOON).count() == 7
